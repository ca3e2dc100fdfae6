"""How password reset links reach people: pluggable senders named by PASSWORD_RESET_SENDER (a dotted path)."""

import logging

from flask import current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)


class LogSender:
    """Write the reset link to the log: for development only, since anyone who reads the log can use it."""

    def send_password_reset(self, user, link):
        """Log LINK for USER."""
        log.warning("password reset link for user %s: %s", user.id, link)


class CollectingSender:
    """Keep every message in `sent` (tests, and a development shell)."""

    def __init__(self):
        self.sent = []

    def send_password_reset(self, user, link):
        """Remember (USER's id, where it goes, LINK)."""
        self.sent.append({"user_id": user.id, "to": user.email or user.mobile, "link": link})


def current_sender():
    """Return this app's sender, built once from PASSWORD_RESET_SENDER."""
    senders = current_app.extensions.setdefault("accounts.senders", {})
    path = current_app.config.get("PASSWORD_RESET_SENDER") or "accounts.senders.LogSender"
    if path not in senders:
        senders[path] = _build(import_string(path))
    return senders[path]


def _build(target):
    return target() if isinstance(target, type) else target
