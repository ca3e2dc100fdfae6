"""Matrix rows of review engagement: helpful votes, reports, verification codes, replies, regulators' decisions.

Two published reviews of home A: {rve} by a family member who is none of the matrix roles (so the `family`
role may vote on and report it), {rve_own} by the `family` role itself (so it may enter a code on it). A pending
reply and an open report on {rve_own} and an unused code of home A give the regulators and staff something
to act on.
"""

from tests.factories import make_user
from tests.matrix import PAGE, signed_in
from tests.reviews.test_engagement_fixtures import make_review

REGULATORS_IN = {"reg_in": 400, "admin": 400}  # POSTs without their fields: a form error

ROWS = [
    ("POST", "/reviews/{rve}/helpful", signed_in(PAGE, family=302)),  # a toggle needs no input
    ("GET", "/reviews/{rve}/report", signed_in(PAGE, family=200, prov_a=200)),
    ("POST", "/reviews/{rve}/report", signed_in(PAGE, family=400, prov_a=400)),
    ("GET", "/reviews/{rve_own}/code", signed_in(PAGE, family=200)),
    ("POST", "/reviews/{rve_own}/code", signed_in(PAGE, family=400)),
    ("GET", "/portal/homes/{a}/reviews", signed_in(PAGE, prov_a=200)),
    ("POST", "/portal/reviews/{rve}/reply", signed_in(PAGE, prov_a=400)),
    ("GET", "/portal/homes/{a}/review-codes", signed_in(PAGE, prov_a=200)),
    ("POST", "/portal/homes/{a}/review-codes", signed_in(PAGE, prov_a=400)),
    ("POST", "/portal/homes/{a}/review-codes/{code_eng}/revoke", signed_in(PAGE, prov_a=302)),
    ("GET", "/regulator/review-engagement", signed_in(PAGE, reg_in=200, reg_out=200, admin=200)),
    ("POST", "/regulator/replies/{reply_eng}/decide", signed_in(PAGE, **REGULATORS_IN)),
    ("POST", "/regulator/review-reports/{report_eng}/resolve", signed_in(PAGE, **REGULATORS_IN)),
    ("GET", "/regulator/reviews/{rve}/verify", signed_in(PAGE, reg_in=200, admin=200)),
    ("POST", "/regulator/reviews/{rve}/verify", signed_in(PAGE, **REGULATORS_IN)),
]
KEYS = {"rve": 11, "rve_own": 12, "code_eng": 13, "reply_eng": 14, "report_eng": 15}


def setup(world):
    """Create the two reviews of home A, a pending reply, an open report and an unused code."""
    from reviews import engagement

    staff = world.users["prov_a"]
    review = make_review(world.home_a, make_user("family"))
    own = make_review(world.home_a, world.users["family"])
    reply = engagement.submit_reply(staff, own, "感谢您的评价。")
    report = engagement.report_review(staff, own, "false_information", "时间不符")
    (code, _plain), = engagement.issue_codes(staff, world.home_a, "family")
    return {"rve": review.id, "rve_own": own.id, "code_eng": code.id, "reply_eng": reply.id,
            "report_eng": report.id}
