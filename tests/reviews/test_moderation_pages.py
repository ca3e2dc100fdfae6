"""The regulators' queue and review pages: jurisdiction, risk order, signals and evidence, bulk decisions."""

import re

import sqlalchemy as sa

from core.extensions import db
from reviews import services
from reviews.models import ModerationDecision, Review
from tests.factories import login_as, make_user
from tests.reviews.conftest import csrf_token

RISKY = "护理很好，有问题打我电话13812345678，或加微信 wx123456 了解优惠。"


def _queue_ids(html):
    return [int(i) for i in re.findall(r'id="queue-(\d+)"', html)]


def test_the_queue_lists_the_jurisdictions_waiting_reviews_riskiest_first(world, client):
    calm = world.submit()
    risky = world.submit(user=world.other_family, text=RISKY)
    elsewhere = world.submit(home=world.other_home, user=make_user("family"))
    assert risky.risk_score > calm.risk_score
    login_as(client, world.regulator)
    page = client.get("/regulator/reviews/").get_data(as_text=True)
    assert _queue_ids(page) == [risky.id, calm.id]
    assert elsewhere.id not in _queue_ids(page)
    assert 'class="evidence"' in page and "js/moderation.js" in page
    login_as(client, world.outside_regulator)
    assert _queue_ids(client.get("/regulator/reviews/").get_data(as_text=True)) == [elsewhere.id]
    assert client.get(f"/regulator/reviews/{calm.id}").status_code == 404


def test_an_admin_sees_every_region_and_a_city_regulator_only_its_city(world, client):
    here, there = world.submit(), world.submit(home=world.other_home, user=make_user("family"))
    login_as(client, make_user("admin"))
    assert set(_queue_ids(client.get("/regulator/reviews/").get_data(as_text=True))) == {here.id, there.id}
    login_as(client, world.second_regulator)  # Suzhou
    assert _queue_ids(client.get("/regulator/reviews/").get_data(as_text=True)) == [here.id]


def test_the_review_page_shows_signals_and_the_log_and_records_a_decision(world, client):
    review = world.submit(text=RISKY)
    login_as(client, world.regulator)
    page = client.get(f"/regulator/reviews/{review.id}").get_data(as_text=True)
    assert "evidence" in page and 'id="decision-form"' in page and "audit-log" in page
    token = csrf_token(page)
    refused = client.post(f"/regulator/reviews/{review.id}/decide", data={
        "csrf_token": token, "action": "reject", "reason_code": "personal_data", "statement": ""})
    assert refused.status_code == 400 and db.session.get(Review, review.id).status == "pending"
    response = client.post(f"/regulator/reviews/{review.id}/decide", data={
        "csrf_token": token, "action": "reject", "reason_code": "personal_data",
        "statement": "评价中包含电话号码，请删去个人信息后重新发表。"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, review.id).status == "rejected"
    login_as(client, world.family)
    assert "请删去个人信息" in client.get(f"/reviews/{review.id}").get_data(as_text=True)


def test_a_bulk_decision_applies_one_reason_and_skips_what_is_no_longer_waiting(world, client):
    first, second = world.submit(), world.submit(user=world.other_family)
    third = world.submit(user=make_user("family"))
    services.moderate_review(world.second_regulator, third, "publish", "meets_guidelines")
    login_as(client, world.regulator)
    token = csrf_token(client.get("/regulator/reviews/").get_data(as_text=True))
    response = client.post("/regulator/reviews/bulk", data={
        "csrf_token": token, "action": "fold", "reason_code": "duplicate", "statement": "内容重复",
        "review_id": [first.id, second.id, third.id]})
    assert response.status_code == 302
    db.session.expire_all()
    statuses = {r.id: (r.status, r.reason_code) for r in db.session.scalars(sa.select(Review))}
    assert statuses[first.id] == statuses[second.id] == ("folded", "duplicate")
    assert statuses[third.id] == ("folded", "duplicate")  # published reviews may be folded too
    response = client.post("/regulator/reviews/bulk", data={
        "csrf_token": token, "action": "publish", "review_id": [first.id]})
    assert response.status_code == 302  # skipped: a fold stands unless appealed
    assert db.session.get(Review, first.id).status == "folded"


def test_a_bulk_decision_touching_another_jurisdiction_is_refused_whole(world, client):
    here, there = world.submit(), world.submit(home=world.other_home, user=make_user("family"))
    login_as(client, world.regulator)
    token = csrf_token(client.get("/regulator/reviews/").get_data(as_text=True))
    log_size = db.session.scalar(sa.select(sa.func.count()).select_from(ModerationDecision))
    response = client.post("/regulator/reviews/bulk", data={
        "csrf_token": token, "action": "publish", "review_id": [here.id, there.id]})
    assert response.status_code == 403
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(Review))} == {"pending"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModerationDecision)) == log_size


def test_a_bulk_decision_needs_a_selection_and_known_ids(world, client):
    world.submit()
    login_as(client, world.regulator)
    token = csrf_token(client.get("/regulator/reviews/").get_data(as_text=True))
    assert client.post("/regulator/reviews/bulk", data={"csrf_token": token, "action": "publish"}).status_code == 400
    assert client.post("/regulator/reviews/bulk", data={"csrf_token": token, "action": "publish",
                                                        "review_id": ["abc"]}).status_code == 400
    assert client.post("/regulator/reviews/bulk", data={"csrf_token": token, "action": "publish",
                                                        "review_id": ["999999"]}).status_code == 404
    for huge in (str(2**63), str(2**64 + 1), "9" * 40):  # beyond any id the database holds: never an overflow
        assert client.post("/regulator/reviews/bulk", data={"csrf_token": token, "action": "fold",
                                                            "reason_code": "duplicate", "statement": "重复",
                                                            "review_id": [huge]}).status_code == 404
    assert client.get("/regulator/reviews/?status=nonsense").status_code == 400


def test_the_audit_log_page_lists_decisions_in_the_jurisdiction_only(world, client):
    here = world.published()
    there = world.submit(home=world.other_home, user=make_user("family"))
    login_as(client, world.regulator)
    page = client.get("/regulator/reviews/log").get_data(as_text=True)
    assert f"#{here.id}" in page and f"#{there.id}" not in page
