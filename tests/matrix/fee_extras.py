"""Matrix rows of the fee extras: the portal prepayment-requirement form (fees and the API: main file)."""

from tests.matrix import PAGE, signed_in

ROWS = [
    # an empty form is valid (the home states no prepayment), so the home's provider and an admin are redirected
    ("POST", "/portal/homes/{a}/prepayment", signed_in(PAGE, prov_a=302, admin=302)),
]
KEYS = {}


def setup(world):
    """Nothing of our own: the row uses the World's home A."""
    return {}
