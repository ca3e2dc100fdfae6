"""A flood of reviews from one address is throttled (429) and flagged; everything accepted before it stays."""

import sqlalchemy as sa

from core.extensions import db
from reviews.models import Review, ReviewSignal
from tests.factories import login_as, make_home, make_user
from tests.reviews.conftest import csrf_token, form_data


def _stored():
    db.session.expire_all()
    return db.session.scalars(sa.select(Review).order_by(Review.id)).all()


def _post(client, home_id, **changes):
    token = csrf_token(client.get(f"/homes/{home_id}/reviews/new").get_data(as_text=True))
    return client.post(f"/homes/{home_id}/reviews/new", data={"csrf_token": token, **form_data(**changes)})


def test_a_flood_from_one_address_gets_429s_and_keeps_what_was_accepted(app, client, world):
    app.config.update(REVIEW_SUBMIT_LIMIT_IP="4/hour", REVIEW_SUBMIT_LIMIT_USER="100/hour")
    homes = [make_home("320508", name=f"洪水测试院{n}") for n in range(6)]
    statuses = []
    for n, home in enumerate(homes):
        login_as(client, make_user("family"))  # a new account each time, behind the same address
        statuses.append(_post(client, home.id, text=f"第{n}条评价：护理还可以，伙食一般，环境干净。").status_code)
    assert statuses == [302] * 4 + [429] * 2
    accepted = _stored()
    assert len(accepted) == 4 and {r.status for r in accepted} == {"pending"}
    assert [r.home_id for r in accepted] == [h.id for h in homes[:4]]
    assert {r.source_ip for r in accepted} == {"127.0.0.1"}


def test_the_per_user_limit_counts_only_accepted_reviews(app, client, world):
    app.config.update(REVIEW_SUBMIT_LIMIT_USER="2/hour")
    login_as(client, world.family)
    homes = [make_home("320508") for _ in range(3)]
    assert _post(client, homes[0].id, overall="9").status_code == 400  # a typing error costs nothing
    assert _post(client, homes[0].id).status_code == 302
    assert _post(client, homes[1].id).status_code == 302
    assert _post(client, homes[2].id).status_code == 429
    assert len(_stored()) == 2


def test_a_burst_from_one_address_is_flagged_for_the_regulator(app, client, world):
    app.config.update(REVIEW_SUBMIT_LIMIT_USER="100/hour", REVIEW_SUBMIT_LIMIT_IP="100/hour")
    for n in range(6):
        login_as(client, make_user("family"))
        text = f"评价{n}：这家养老院的护理非常好，强烈推荐给大家。"
        assert _post(client, world.home.id, text=text).status_code == 302
    reviews = _stored()
    flagged = db.session.scalars(sa.select(ReviewSignal.review_id).where(
        ReviewSignal.review_id == reviews[-1].id)).all()
    assert flagged, "the sixth review from one address for one home in minutes carries a screening signal"
    assert reviews[-1].risk_score > reviews[0].risk_score
