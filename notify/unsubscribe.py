"""One-click unsubscribe links: a signed token naming the person, the kind and the channel (no sign-in needed)."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "notify-unsubscribe"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token(user_id, kind, channel):
    """The token of an unsubscribe link."""
    return _serializer().dumps([user_id, kind, channel])


def path(user_id, kind, channel):
    """The path of USER_ID's link that stops KIND on CHANNEL."""
    return f"/notifications/unsubscribe/{token(user_id, kind, channel)}"  # the worker runs outside requests


def read(value):
    """(user_id, kind, channel) from a token, or None when it was not signed by us."""
    try:
        user_id, kind, channel = _serializer().loads(value)
    except (BadSignature, ValueError, TypeError):
        return None
    return user_id, kind, channel
