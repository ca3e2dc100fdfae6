"""Authorization rows for correcting a home's pin (marketplace/views.py): its operator's staff, a regulator of
its place, or an admin."""

from tests.matrix import PAGE, signed_in

KEYS = {}
ROWS = [
    ("GET", "/homes/{a}/pin", signed_in(PAGE, prov_a=200, reg_in=200, admin=200)),
    ("POST", "/homes/{a}/pin", signed_in(PAGE, prov_a=400, reg_in=400, admin=400)),  # allowed; no CSRF token
]


def setup(world):
    """Nothing beyond the shared world: home A is prov_a's, in reg_in's jurisdiction."""
    return {}
