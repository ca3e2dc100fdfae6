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

# a regulator of the review's home (Jiangsu) or an admin may ask; showing needs a reason (an empty POST is 400)
ROWS += [
    ("GET", "/regulator/reviews/{rv}/reveal", signed_in(PAGE, reg_in=200, admin=200)),
    ("POST", "/regulator/reviews/{rv}/reveal", signed_in(PAGE, reg_in=400, admin=400)),
]
KEYS = {"rv": 1}


def setup(world):  # noqa: F811 - the reveal rows need a review of home A
    """A published review of home A by the world's family."""
    from tests.reviews.test_engagement_fixtures import make_review

    return {"rv": make_review(world.home_a, author=world.users["family"], status="published").id}
