"""Matrix rows of correcting one's own account: every signed-in person corrects only their own details; an empty
form is a form error; a link confirming a new address works only for the account it was sent for (a bad one: 400)."""

from tests.matrix import PAGE, members, signed_in

ROWS = [
    ("POST", "/account/details", signed_in(PAGE, **members(400))),
    ("GET", "/account/address/not-a-valid-link", signed_in(PAGE, **members(400))),
    ("POST", "/account/address/not-a-valid-link", signed_in(PAGE, **members(400))),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
