"""Writing a review: who may, what is checked (period, 12 months, scores, text), screening, supersession."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from reviews import services
from reviews.models import Review, ReviewSignal
from tests.factories import login_as, make_user
from tests.reviews.conftest import csrf_token, form_data, review_values


def _reviews():
    db.session.expire_all()
    return db.session.scalars(sa.select(Review).order_by(Review.id)).all()


def test_a_family_review_is_stored_with_its_scores_language_address_and_device(world):
    review = services.submit_review(world.family, world.home, **review_values(), source_ip="203.0.113.7",
                                    device_id="d" * 32)
    stored = _reviews()[0]
    assert stored.id == review.id and stored.author_id == world.family.id and stored.status == "pending"
    assert stored.sub_scores["food"] == 4 and stored.language == "zh"
    assert (stored.source_ip, stored.device_id) == ("203.0.113.7", "d" * 32)
    english = world.submit(user=world.other_family, text="The staff were kind and the rooms were always clean.")
    assert english.language == "en"


@pytest.mark.parametrize("role", ["provider", "regulator", "admin"])
def test_only_family_accounts_may_write_reviews(world, role):
    user = {"provider": world.staff, "regulator": world.regulator}.get(role) or make_user("admin")
    with pytest.raises(ServiceError) as refused:
        world.submit(user=user)
    assert refused.value.status == 403
    assert _reviews() == []


def test_experience_that_ended_more_than_12_months_ago_cannot_be_reviewed(world):
    today = time.today()
    oldest = services.oldest_reviewable_end(today)
    with pytest.raises(ServiceError) as refused:
        world.submit(period_start=oldest - timedelta(days=100), period_end=oldest - timedelta(days=1))
    assert "period_end" in refused.value.fields
    assert world.submit(period_start=oldest - timedelta(days=100), period_end=oldest).status == "pending"


def test_twelve_months_back_is_counted_in_calendar_months():
    assert services.oldest_reviewable_end(date(2026, 11, 23)) == date(2025, 11, 23)
    assert services.oldest_reviewable_end(date(2028, 2, 29)) == date(2027, 2, 28)
    assert services.oldest_reviewable_end(date(2026, 1, 31)) == date(2025, 1, 31)


@pytest.mark.parametrize("changes,field", [
    ({"relationship": "neighbour"}, "relationship"),
    ({"period_start": time.today() + timedelta(days=30), "period_end": time.today() + timedelta(days=60)},
     "period_end"),
    ({"period_start": time.today() - timedelta(days=10), "period_end": time.today() - timedelta(days=20)},
     "period_start"),
    ({"period_start": None}, "period_end"),
    ({"overall": 6}, "overall"),
    ({"overall": 0}, "overall"),
    ({"overall": True}, "overall"),
    ({"sub_scores": {"care": 5}}, "food"),
    ({"text": "太好了"}, "text"),
    ({"text": "好" * 2001}, "text"),
])
def test_bad_reviews_are_refused_naming_the_field_and_nothing_is_stored(world, changes, field):
    with pytest.raises(ServiceError) as refused:
        world.submit(**changes)
    assert refused.value.status == 400 and field in refused.value.fields
    assert _reviews() == []


def test_screening_signals_are_stored_with_their_evidence_and_add_up_to_the_risk(world):
    review = world.submit(text="护理很好，有事请打电话13812345678联系我，加微信详谈，价格优惠。")
    signals = db.session.scalars(sa.select(ReviewSignal).where(ReviewSignal.review_id == review.id)).all()
    assert signals, "a phone number in the text is personal data"
    assert all(isinstance(s.evidence, dict) for s in signals)
    assert review.risk_score == min(100, sum(s.risk for s in signals)) > 0
    assert review.status == "pending"  # nothing is decided automatically
    assert review.fingerprint  # screening fingerprints the text for near-duplicate search


def test_a_newer_review_supersedes_the_authors_older_one_and_only_the_newer_counts(world):
    old = world.published(overall=1)
    assert db.session.get(Home, world.home.id).review_count == 1
    new = world.submit(overall=5, text="第二次评价：换了护理主管以后，服务明显改善，老人很满意。")
    db.session.expire_all()
    old, new = db.session.get(Review, old.id), db.session.get(Review, new.id)
    assert old.superseded and not new.superseded and old.status == "published"
    assert db.session.get(Home, world.home.id).review_count == 0  # the new one waits for moderation
    services.moderate_review(world.regulator, new, "publish", "meets_guidelines")
    home = db.session.get(Home, world.home.id)
    assert home.review_count == 1 and home.review_score > 3.5


def test_reviews_of_other_homes_or_by_other_people_are_not_superseded(world):
    first = world.submit()
    world.submit(home=world.other_home)
    world.submit(user=world.other_family, text="另一位家属的评价：环境整洁，员工热情，值得推荐。")
    assert not db.session.get(Review, first.id).superseded


def test_the_form_takes_a_review_and_shows_the_author_its_status(world, client):
    login_as(client, world.family)
    page = client.get(f"/homes/{world.home.id}/reviews/new")
    assert page.status_code == 200 and "yrd_device" in page.headers.get("Set-Cookie", "")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(f"/homes/{world.home.id}/reviews/new", data={"csrf_token": token, **form_data()})
    assert response.status_code == 302
    review = _reviews()[0]
    assert response.headers["Location"].endswith(f"/reviews/{review.id}")
    assert review.source_ip == "127.0.0.1" and review.device_id
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert 'id="review-status"' in page
    assert client.get("/account/reviews").status_code == 200


@pytest.mark.parametrize("changes", [{"overall": "9"}, {"relationship": None}, {"text": "短"},
                                     {"period_end": "not-a-date"}, {"care": None}])
def test_the_form_refuses_bad_input_with_a_400(world, client, changes):
    login_as(client, world.family)
    token = csrf_token(client.get(f"/homes/{world.home.id}/reviews/new").get_data(as_text=True))
    response = client.post(f"/homes/{world.home.id}/reviews/new", data={"csrf_token": token,
                                                                        **form_data(**changes)})
    assert response.status_code == 400
    assert _reviews() == []


def test_the_form_shows_the_12_month_rule_as_a_field_error(world, client):
    login_as(client, world.family)
    token = csrf_token(client.get(f"/homes/{world.home.id}/reviews/new").get_data(as_text=True))
    response = client.post(f"/homes/{world.home.id}/reviews/new", data={"csrf_token": token, **form_data(
        period_start="2020-01-01", period_end="2021-01-01")})
    assert response.status_code == 400 and "12" in response.get_data(as_text=True)


def test_another_users_review_page_is_a_404(world, client):
    review = world.submit()
    login_as(client, world.other_family)
    assert client.get(f"/reviews/{review.id}").status_code == 404
    login_as(client, world.outside_regulator)
    assert client.get(f"/reviews/{review.id}").status_code == 404
    login_as(client, world.regulator)
    assert client.get(f"/reviews/{review.id}").status_code == 200
