"""Signals a domain package sends and others (ops metrics, later notifications) may listen to, so the listener
depends on the sender and never the other way round."""

from blinker import Namespace

_signals = Namespace()

login_failed = _signals.signal("login-failed")  # sender: the app; kwargs: locked (bool)
search_finished = _signals.signal("search-finished")  # kwargs: backend, kind, seconds, failed (bool)
