"""Matrix rows of the policy-fact editor (regulators for their jurisdiction's facts, admins for all) and of the
public facts: the API and the open-data file."""

from costs import services
from costs.facts import current_facts
from costs.models import PolicyFact
from tests.matrix import PAGE, everyone, signed_in

EDITORS = signed_in(PAGE, reg_in=200, reg_out=200, admin=200)

ROWS = [
    ("GET", "/regulator/facts/", EDITORS),
    ("GET", "/regulator/facts/versions/1", EDITORS),
    # a Suzhou fact: the Jiangsu regulator may edit it, the Zhejiang one may not
    ("GET", "/regulator/facts/{fact_js}/edit", signed_in(PAGE, reg_in=200, admin=200)),
    ("POST", "/regulator/facts/{fact_js}/edit", signed_in(PAGE, reg_in=400, admin=400)),
    # a national fact: admins only
    ("GET", "/regulator/facts/{fact_cn}/edit", signed_in(PAGE, admin=200)),
    ("GET", "/api/v1/policy-facts", everyone(200)),
    ("GET", "/api/v1/policy-facts?version=1", everyone(200)),
    ("GET", "/open-data/v1/facts.json", everyone(200)),
]
KEYS = {"fact_js": 21, "fact_cn": 22}


def setup(world):
    """Load the shipped facts as version 1; a Suzhou fact and a national one."""
    services.load_seed_facts()
    facts = current_facts()
    suzhou = facts.find("ltci.daily_standard_fen", ("320500",), grade="severe")
    national = facts.find("limits.deposit_max_months")
    ids = dict(PolicyFact.query.with_entities(PolicyFact.code, PolicyFact.id).all())
    return {"fact_js": ids[suzhou.code], "fact_cn": ids[national.code]}
