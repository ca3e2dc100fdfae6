"""Matrix rows of notify/: the inbox and settings are every signed-in person's own; unsubscribe links need a
token we signed (a made-up one is 404 for everyone)."""

from tests.matrix import PAGE, everyone, members, signed_in

ROWS = [
    ("GET", "/account/notifications", signed_in(PAGE, **members(200))),
    ("POST", "/account/notifications/read", signed_in(PAGE, **members(302))),
    ("GET", "/account/notifications/settings", signed_in(PAGE, **members(200))),
    ("POST", "/account/notifications/settings", signed_in(PAGE, **members(302))),
    ("GET", "/notifications/unsubscribe/{unsub}", everyone(404)),
    ("POST", "/notifications/unsubscribe/{unsub}", everyone(404)),
]
KEYS = {"unsub": "not-a-signed-token"}


def setup(world):
    """An unsigned token: the route must refuse it to everyone."""
    return {"unsub": "not-a-signed-token"}
