"""Authorization rows of the quality pages: regulators in their jurisdiction, providers for their own home."""

from core import time
from quality import services
from tests.matrix import PAGE, everyone, signed_in

REGULATOR_PAGE = signed_in(PAGE, reg_in=200, admin=200)
REGULATOR_POST = signed_in(PAGE, reg_in=400, admin=400)  # CSRF token only: a form error for those who may act

ROWS = [
    ("GET", "/methods/quality", everyone(200)),
    ("GET", "/regulator/quality/", signed_in(PAGE, reg_in=200, reg_out=200, admin=200)),
    ("POST", "/regulator/quality/import", signed_in(PAGE, reg_in=400, reg_out=400, admin=400)),
    ("GET", "/regulator/quality/homes/{a}", REGULATOR_PAGE),
    ("POST", "/regulator/quality/homes/{a}/inspections", REGULATOR_POST),
    ("POST", "/regulator/quality/homes/{a}/sanctions", REGULATOR_POST),
    ("POST", "/regulator/quality/homes/{a}/grades", REGULATOR_POST),
    ("POST", "/regulator/quality/sanctions/{q_sanction}/resolve", REGULATOR_POST),
    ("POST", "/regulator/quality/staffing/{q_report}/check", signed_in(PAGE, reg_in=302, admin=302)),
    ("GET", "/portal/quality/homes/{a}", signed_in(PAGE, prov_a=200)),
    ("POST", "/portal/quality/homes/{a}/staffing", signed_in(PAGE, prov_a=400)),
    ("POST", "/portal/quality/homes/{a}/responses", signed_in(PAGE, prov_a=400)),
]
KEYS = {"q_sanction": 11, "q_report": 12}


def setup(world):
    """A minor sanction and an unchecked staffing report of home A."""
    today = time.today()
    sanction = services.record_sanction(world.home_a, world.users["reg_in"], "fine", "minor", today)
    report = services.report_staffing(world.home_a, world.users["prov_a"], today, 50, 10, 2)
    return {"q_sanction": sanction.id, "q_report": report.id}
