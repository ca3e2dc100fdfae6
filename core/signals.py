"""Signals a domain package sends and others (ops metrics, later notifications) may listen to, so the listener
depends on the sender and never the other way round."""

from blinker import Namespace

_signals = Namespace()

login_failed = _signals.signal("login-failed")  # sender: the app; kwargs: locked (bool)
# a person corrected their own account (PIPL art. 46); sent before the commit, so a record commits with the change
account_corrected = _signals.signal("account-corrected")  # kwargs: user, field (display_name|email|mobile)
search_finished = _signals.signal("search-finished")  # kwargs: backend, kind, seconds, failed (bool)

# Domain events a person should be told of. Sent by a service BEFORE it commits, so a listener that records a
# notification on the same session commits (or rolls back) with the change itself.
inquiry_event = _signals.signal("inquiry-event")  # kwargs: inquiry, event (received|reply|visit_confirmed|...)
review_event = _signals.signal("review-event")  # kwargs: review, event (published|folded|removed|appeal_decided)
claim_event = _signals.signal("claim-event")  # kwargs: claim, event (filed|approved|rejected|disputed)
import_event = _signals.signal("import-event")  # kwargs: run, event (finished)
# search/outbox.py, after a drain batch reached the index and before its outbox rows are deleted (same
# transaction): kwargs: backend, docs ({id: document} upserted), deleted (ids). A listener may write on
# db.session; raising keeps the rows for the next drain (at least once).
documents_indexed = _signals.signal("documents-indexed")
