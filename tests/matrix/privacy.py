"""Matrix rows of privacy/: the notice is public; a person's own data, consents and deletion are their own."""

from tests.matrix import PAGE, everyone, members, signed_in

ROWS = [
    ("GET", "/privacy", everyone(200)),
    ("GET", "/privacy/consent", signed_in(PAGE, **members(200))),
    ("POST", "/privacy/consent", signed_in(PAGE, **members(200))),
    ("GET", "/account/data", signed_in(PAGE, **members(200))),
    ("GET", "/account/data.json", signed_in(PAGE, **members(200))),
    ("POST", "/account/data/withdraw", signed_in(PAGE, **members(400))),
    ("GET", "/account/delete", signed_in(PAGE, **members(200))),
    ("POST", "/account/delete", signed_in(PAGE, **members(400))),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
