"""Matrix rows of the sign-up link (accounts.signup_confirm): anyone holding a link may use it; a bad one is a 400."""

from tests.matrix import everyone

ROWS = [
    ("GET", "/account/signup/confirm/not-a-valid-link", everyone(400)),
    ("POST", "/account/signup/confirm/not-a-valid-link", everyone(400)),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
