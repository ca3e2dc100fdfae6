"""Appeals: once per review, by its author, decided by a regulator other than the one whose decision it is."""

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from reviews import services
from reviews.models import Appeal, ModerationDecision, Review
from tests.factories import login_as
from tests.reviews.conftest import csrf_token

GROUNDS = "我母亲在这里住了半年，评价内容属实，请复核。"


def _folded(world, action="fold", reason="unsubstantiated"):
    review = world.submit(overall=1)
    return services.moderate_review(world.regulator, review, action, reason, "缺少依据")


def test_the_author_appeals_once_and_the_review_waits_in_the_appeal_queue(world):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    assert review.status == "appealed"
    appeal = db.session.scalars(sa.select(Appeal)).one()
    assert (appeal.appealed_status, appeal.appealed_decider_id, appeal.status) == ("folded", world.regulator.id,
                                                                                    "open")
    with pytest.raises(ServiceError) as again:
        services.appeal_review(world.family, review, GROUNDS)
    assert again.value.status == 409


def test_only_the_author_may_appeal(world):
    review = _folded(world)
    with pytest.raises(ServiceError) as refused:
        services.appeal_review(world.other_family, review, GROUNDS)
    assert refused.value.status == 404
    assert db.session.scalars(sa.select(Appeal)).first() is None


def test_the_regulator_who_decided_cannot_decide_the_appeal(world):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    with pytest.raises(ServiceError) as refused:
        services.decide_appeal(world.regulator, review, "publish", "meets_guidelines", "")
    assert refused.value.status == 403 and refused.value.code == "same_regulator"
    db.session.rollback()
    assert db.session.get(Review, review.id).status == "appealed"


def test_a_different_regulator_overturns_the_fold_and_the_review_counts(world):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    services.decide_appeal(world.second_regulator, review, "publish", "meets_guidelines", "申诉成立")
    db.session.expire_all()
    review, appeal = db.session.get(Review, review.id), db.session.scalars(sa.select(Appeal)).one()
    assert review.status == "published" and review.decision_statement == "申诉成立"
    assert appeal.status == "overturned" and appeal.decided_by_id == world.second_regulator.id
    assert db.session.get(Home, world.home.id).review_count == 1
    actions = db.session.scalars(sa.select(ModerationDecision.action).where(
        ModerationDecision.review_id == review.id).order_by(ModerationDecision.id)).all()
    assert actions[-3:] == ["fold", "appeal", "appeal_publish"]


def test_upholding_keeps_the_decision_and_an_appeal_never_makes_it_harsher(world):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    with pytest.raises(ServiceError):
        services.decide_appeal(world.second_regulator, review, "reject", "personal_data", "更严")
    db.session.rollback()
    review = db.session.get(Review, review.id)
    services.decide_appeal(world.second_regulator, review, "fold", "unsubstantiated", "维持折叠")
    assert review.status == "folded" and review.appeal.status == "upheld"
    with pytest.raises(ServiceError):  # decided: no second appeal
        services.appeal_review(world.family, review, GROUNDS)


def test_a_regulator_outside_the_jurisdiction_cannot_decide_the_appeal(world):
    review = _folded(world, "reject", "personal_data")
    services.appeal_review(world.family, review, GROUNDS)
    with pytest.raises(ServiceError) as refused:
        services.decide_appeal(world.outside_regulator, review, "publish", "meets_guidelines", "")
    assert refused.value.status == 403


def test_the_author_sees_the_statement_and_appeals_on_their_page(world, client):
    review = _folded(world)
    login_as(client, world.family)
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "缺少依据" in page and 'id="appeal-form"' in page
    token = csrf_token(page)
    assert client.post(f"/reviews/{review.id}/appeal", data={"csrf_token": token, "grounds": ""}).status_code == 400
    response = client.post(f"/reviews/{review.id}/appeal", data={"csrf_token": token, "grounds": GROUNDS})
    assert response.status_code == 302
    assert db.session.get(Review, review.id).status == "appealed"
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert 'id="appeal-form"' not in page and GROUNDS in page
    assert client.post(f"/reviews/{review.id}/appeal", data={"csrf_token": token,
                                                             "grounds": GROUNDS}).status_code == 409


def test_the_deciding_regulator_is_told_to_leave_the_appeal_to_a_colleague(world, client):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    login_as(client, world.regulator)
    page = client.get(f"/regulator/reviews/{review.id}").get_data(as_text=True)
    assert 'id="own-decision"' in page and 'id="decision-form"' not in page
    token = csrf_token(page)
    response = client.post(f"/regulator/reviews/{review.id}/decide", data={
        "csrf_token": token, "action": "publish", "reason_code": "meets_guidelines"})
    assert response.status_code == 403
    login_as(client, world.second_regulator)
    response = client.post(f"/regulator/reviews/{review.id}/decide", data={
        "csrf_token": token, "action": "publish", "reason_code": "meets_guidelines"})
    assert response.status_code == 302
    assert db.session.get(Review, review.id).status == "published"


def _overturned(world):
    """Folded by regulator A, appealed by the author, published on appeal by regulator B."""
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    return services.decide_appeal(world.second_regulator, review, "publish", "meets_guidelines", "申诉成立")


def test_the_overruled_regulator_cannot_fold_again_after_the_appeal(world, client):
    review = _overturned(world)
    with pytest.raises(ServiceError) as refused:
        services.moderate_review(world.regulator, review, "fold", "unsubstantiated", "仍然缺少依据")
    assert refused.value.status == 403 and refused.value.code == "decided_on_appeal"
    db.session.rollback()
    with pytest.raises(ServiceError):
        services.moderate_reviews(world.regulator, [review.id], "reject", "suspected_fake", "疑似虚假")
    db.session.rollback()
    login_as(client, world.regulator)
    token = csrf_token(client.get(f"/regulator/reviews/{review.id}").get_data(as_text=True))
    response = client.post(f"/regulator/reviews/{review.id}/decide", data={
        "csrf_token": token, "action": "fold", "reason_code": "unsubstantiated", "statement": "再次折叠"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == "published"


def test_a_later_change_by_another_regulator_opens_a_new_appeal(world):
    from tests.factories import make_user

    review = _overturned(world)
    colleague = make_user("regulator", jurisdiction="320000", display_name="江苏监管丙")
    services.moderate_review(colleague, review, "fold", "conflict_of_interest", "发现利益冲突")
    assert review.status == "folded"
    services.appeal_review(world.family, review, GROUNDS)  # a new decision: a new appeal right
    assert review.status == "appealed"
    appeals = db.session.scalars(sa.select(Appeal).order_by(Appeal.id)).all()
    assert [a.status for a in appeals] == ["overturned", "open"]
    assert appeals[1].appealed_decider_id == colleague.id
    with pytest.raises(ServiceError) as again:
        services.appeal_review(world.family, review, GROUNDS)  # still one per decision
    assert again.value.status == 409
    db.session.rollback()
    with pytest.raises(ServiceError):  # the colleague cannot decide the appeal against their own fold
        services.decide_appeal(colleague, review, "publish", "meets_guidelines", "")
    db.session.rollback()
    services.decide_appeal(world.regulator, review, "publish", "meets_guidelines", "利益冲突不成立")
    assert db.session.get(Review, review.id).status == "published"


def test_an_upheld_appeal_is_final_for_its_decision(world):
    review = _folded(world)
    services.appeal_review(world.family, review, GROUNDS)
    services.decide_appeal(world.second_regulator, review, "fold", "unsubstantiated", "维持")
    with pytest.raises(ServiceError) as again:
        services.appeal_review(world.family, review, GROUNDS)
    assert again.value.status == 409


def test_an_admin_may_change_an_outcome_decided_on_appeal_and_it_is_on_the_record(world):
    from tests.factories import make_user

    review = _overturned(world)
    admin = make_user("admin")
    services.moderate_review(admin, review, "fold", "personal_data", "含有个人信息")
    assert review.status == "folded"
    actions = db.session.scalars(sa.select(ModerationDecision.action).where(
        ModerationDecision.review_id == review.id).order_by(ModerationDecision.id)).all()
    assert actions[-2:] == ["fold", "admin_override"]
