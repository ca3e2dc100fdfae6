"""Matrix rows of the provider side (issue 10): bulk updates in the provider API, claim disputes in the portal."""

from tests.matrix import PAGE, everyone, signed_in

PROVIDER_API = everyone(401)  # bearer tokens only: a session cookie never authenticates the provider API

ROWS = [
    ("PUT", "/api/v1/provider/fees", PROVIDER_API),
    ("PUT", "/api/v1/provider/vacancies", PROVIDER_API),
    # only staff of the operator that runs the home may dispute; with no reason given that is a form error
    ("POST", "/portal/claims/{claim_on_a}/dispute", signed_in(PAGE, prov_a=400)),
]
KEYS = {"claim_on_a": 1}


def setup(world):
    """Operator B claims home A (operator A runs it) and an admin approves: A may dispute until it moves."""
    from marketplace import services

    claim = services.claim_home(world.op_b, "A-1", world.users["prov_b"])
    services.decide_claim(claim, world.users["admin"], approve=True)
    return {"claim_on_a": claim.id}
