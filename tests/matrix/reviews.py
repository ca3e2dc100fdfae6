"""Matrix rows of the reviews core: writing, the author's pages, appeals, public lists, the moderation queue.

{rv} is a pending review of home A (Jiangsu) by the `family` role; {rv_folded} is the family's review of home B
(Zhejiang), folded by a Zhejiang regulator, so the family may appeal it. {rv_photo} is the photo sent with
{rv}: while the review waits, only its author and the regulators who moderate it may see the photo.
"""

from tests.matrix import PAGE, everyone, signed_in

MODERATORS = {"reg_in": 200, "reg_out": 200, "admin": 200}
IN_JURISDICTION = {"reg_in": 200, "reg_out": 404, "admin": 200}  # outside: the review is not said to exist

ROWS = [
    ("GET", "/homes/{a}/reviews/new", signed_in(PAGE, family=200)),
    ("POST", "/homes/{a}/reviews/new", signed_in(PAGE, family=400)),
    ("GET", "/homes/{a}/reviews", everyone(200)),
    ("GET", "/methods/reviews", everyone(200)),
    ("GET", "/api/v1/homes/{a}/reviews", everyone(200)),
    ("POST", "/api/v1/homes/{a}/reviews", signed_in(401, family=400)),  # the family: no X-CSRFToken, a 400
    ("GET", "/account/reviews", signed_in(PAGE, family=200)),
    ("GET", "/reviews/{rv}", signed_in(PAGE, family=200, prov_a=404, prov_b=404, **IN_JURISDICTION)),
    ("POST", "/reviews/{rv_folded}/appeal", signed_in(PAGE, family=400, prov_a=404, prov_b=404, reg_in=404,
                                                      reg_out=404, admin=404)),
    ("GET", "/reviews/photos/{rv_photo}", {"anon": 404, "family": 200, "prov_a": 404, "prov_b": 404,
                                          **IN_JURISDICTION}),
    ("GET", "/regulator/reviews/", signed_in(PAGE, **MODERATORS)),
    ("POST", "/regulator/reviews/bulk", signed_in(PAGE, reg_in=400, reg_out=400, admin=400)),
    ("GET", "/regulator/reviews/log", signed_in(PAGE, **MODERATORS)),
    ("GET", "/regulator/reviews/{rv}", signed_in(PAGE, **IN_JURISDICTION)),
    ("POST", "/regulator/reviews/{rv}/decide", signed_in(PAGE, reg_in=400, reg_out=404, admin=400)),
]
KEYS = {"rv": 21, "rv_folded": 22, "rv_photo": "a" * 32 + ".jpg"}


def setup(world):
    """Create the pending review of home A (with a photo) and the folded one of home B."""
    import tempfile

    from flask import current_app

    from reviews import services
    from tests.reviews.conftest import review_values
    from tests.reviews.test_photos import png_bytes

    current_app.config["PHOTO_DIR"] = tempfile.mkdtemp(prefix="matrix-review-photos-")
    family = world.users["family"]
    pending = services.submit_review(family, world.home_a, photos=[png_bytes()], **review_values())
    folded = services.submit_review(family, world.home_b, **review_values())
    services.moderate_review(world.users["reg_out"], folded, "fold", "not_first_hand", "并非亲身经历")
    return {"rv": pending.id, "rv_folded": folded.id, "rv_photo": pending.photos[0].filename}
