"""Matrix rows of designations: a provider declares for its own home; a regulator of the home's place confirms."""

from costs import services
from tests.matrix import PAGE, signed_in

ROWS = [
    ("GET", "/portal/homes/{a}/designations", signed_in(PAGE, prov_a=200, admin=200)),
    ("POST", "/portal/homes/{a}/designations", signed_in(PAGE, prov_a=400, admin=400)),
    ("GET", "/regulator/designations/", signed_in(PAGE, reg_in=200, reg_out=200, admin=200)),
    # confirming needs no input: done (302) by those who may
    ("POST", "/regulator/designations/{desig}/confirm", signed_in(PAGE, reg_in=302, admin=302)),
]
KEYS = {"desig": 31}


def setup(world):
    """Home A's operator declares its LTCI designation (pending)."""
    row = services.record_designation(world.home_a, "ltci", "苏州市医保局定点名单 (test)", basis="declared",
                                      user=world.users["prov_a"])
    return {"desig": row.id}
