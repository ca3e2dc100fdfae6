"""How account messages reach people: pluggable senders named by PASSWORD_RESET_SENDER (a dotted path).

A sender delivers four messages: send_password_reset(user, link), send_signup_link(kind, address, link) (the
link that finishes a sign-up), send_signup_notice(user, link) (someone tried to sign up with your address) and
send_address_change_link(kind, address, link) (the link that confirms a new e-mail address or mobile number).
"""

import logging

from flask import current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)


class LogSender:
    """Write the reset link to the log: for development only, since anyone who reads the log can use it."""

    def send_password_reset(self, user, link):
        """Log LINK for USER."""
        log.warning("password reset link for user %s: %s", user.id, link)

    def send_signup_link(self, kind, address, link):
        """Log the link that finishes a sign-up for ADDRESS (an email or a mobile number, as KIND says)."""
        log.warning("sign-up link for a new %s: %s", kind, link)

    def send_signup_notice(self, user, link):
        """Log that someone tried to sign up with USER's address (LINK: sign in or reset the password)."""
        log.warning("sign-up attempted with the address of user %s; notice sent with %s", user.id, link)

    def send_address_change_link(self, kind, address, link):
        """Log the link that confirms a new address (an email or a mobile number, as KIND says)."""
        log.warning("address change link for a new %s: %s", kind, link)


class CollectingSender:
    """Keep every message in `sent` (tests, and a development shell)."""

    def __init__(self):
        self.sent = []

    def send_password_reset(self, user, link):
        """Remember (USER's id, where it goes, LINK)."""
        self.sent.append({"user_id": user.id, "to": user.email or user.mobile, "link": link})

    def send_signup_link(self, kind, address, link):
        """Remember the link that finishes a sign-up for ADDRESS."""
        self.sent.append({"kind": "signup_link", "user_id": None, "to": address, "link": link})

    def send_signup_notice(self, user, link):
        """Remember the notice to USER that someone tried to sign up with their address."""
        self.sent.append({"kind": "signup_notice", "user_id": user.id, "to": user.email or user.mobile, "link": link})

    def send_address_change_link(self, kind, address, link):
        """Remember the link that confirms ADDRESS as an account's new e-mail address or mobile number."""
        self.sent.append({"kind": "address_change", "user_id": None, "to": address, "link": link})


def current_sender():
    """Return this app's sender, built once from PASSWORD_RESET_SENDER."""
    senders = current_app.extensions.setdefault("accounts.senders", {})
    path = current_app.config.get("PASSWORD_RESET_SENDER") or "accounts.senders.LogSender"
    if path not in senders:
        senders[path] = _build(import_string(path))
    return senders[path]


def _build(target):
    return target() if isinstance(target, type) else target
