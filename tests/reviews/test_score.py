"""The score from moderated reviews: combined rating, bounds, direction, folded and superseded excluded."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.extensions import db
from marketplace.models import Home
from reviews import services
from reviews.models import SUB_SCORES
from reviews.reputation import OVERALL_SHARE, bayesian_score, review_rating, review_weight
from search import outbox
from search.backend import current_backend
from search.query import SearchQuery
from tests.factories import make_home, make_user
from tests.reviews.conftest import review_values

NOW = datetime(2026, 11, 1, tzinfo=UTC)
scores = st.integers(1, 5)
sub_score_sets = st.dictionaries(st.sampled_from(SUB_SCORES), scores)
reviews = st.lists(st.tuples(scores, sub_score_sets, st.booleans(), st.integers(0, 1500)), max_size=30)


def _pairs(items):
    return [(review_rating(o, s), review_weight(NOW - timedelta(days=age), verified, NOW))
            for o, s, verified, age in items]


@given(scores, sub_score_sets)
def test_a_reviews_rating_stays_within_one_to_five(overall, subs):
    assert 1 <= review_rating(overall, subs) <= 5


def test_a_reviews_rating_combines_overall_and_the_mean_of_the_sub_scores():
    assert review_rating(4, dict.fromkeys(SUB_SCORES, 2)) == pytest.approx(OVERALL_SHARE * 4
                                                                           + (1 - OVERALL_SHARE) * 2)
    assert review_rating(4, {}) == 4


@given(reviews, st.floats(1, 5), st.booleans(), st.sampled_from([1, 5]))
def test_the_score_stays_in_bounds_and_follows_a_new_five_or_one_star_review(items, mean, verified, stars):
    before = bayesian_score(_pairs(items), mean) if items else mean
    after = bayesian_score(_pairs(items + [(stars, dict.fromkeys(SUB_SCORES, stars), verified, 0)]), mean)
    assert 1 <= after <= 5
    assert after >= round(before, 2) if stars == 5 else after <= round(before, 2)


# Through the services and the database: a fresh home per example, so examples do not disturb each other
# (reviews are never deleted, so nothing is cleaned up in between).
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(scores, sub_score_sets.filter(lambda s: len(s) == len(SUB_SCORES))), max_size=3),
       st.sampled_from([1, 5]))
def test_publishing_a_five_star_review_raises_the_stored_score_and_a_one_star_lowers_it(world, existing, stars):
    home = make_home("340104")  # Anhui: no other test's reviews share its regional mean
    for overall, subs in existing:
        _publish(world, make_user("family"), home, overall, subs)
    before = db.session.get(Home, home.id).review_score
    _publish(world, make_user("family"), home, stars, dict.fromkeys(SUB_SCORES, stars))
    db.session.expire_all()
    after = db.session.get(Home, home.id).review_score
    assert 1 <= after <= 5
    if before is not None:
        assert after >= before if stars == 5 else after <= before


def _publish(world, user, home, overall, subs):
    review = services.submit_review(user, home, **review_values(overall=overall, sub_scores=subs))
    return services.moderate_review(_anhui_regulator(), review, "publish", "meets_guidelines")


def _anhui_regulator():
    from accounts.models import User

    existing = db.session.scalars(sa.select(User).where(User.jurisdiction_code == "340000")).first()
    return existing or make_user("regulator", jurisdiction="340000")


def test_folded_rejected_and_pending_reviews_do_not_count_and_the_score_reaches_search(world):
    for n, overall in enumerate((5, 5, 4)):
        world.published(overall=overall, user=make_user("family"), text=f"第{n}位家属：护理细心，环境整洁。")
    folded = world.published(overall=1, user=make_user("family"))
    services.moderate_review(world.regulator, folded, "fold", "unsubstantiated", "缺少依据")
    rejected = world.submit(overall=1, user=make_user("family"))
    services.moderate_review(world.regulator, rejected, "reject", "abusive_language", "辱骂")
    world.submit(overall=1, user=make_user("family"))  # pending
    home = db.session.get(Home, world.home.id)
    assert home.review_count == 3 and 3.5 < home.review_score < 5
    outbox.drain(current_backend())
    hit = current_backend().search(SearchQuery(text="姑苏评价")).hits[0]
    assert hit.doc["rating"] == home.review_score and hit.doc["review_count"] == 3


def test_folding_a_published_review_takes_it_out_of_the_score(world):
    review = world.published(overall=1)
    assert db.session.get(Home, world.home.id).review_count == 1
    services.moderate_review(world.regulator, review, "fold", "off_topic", "与本院无关")
    db.session.expire_all()
    home = db.session.get(Home, world.home.id)
    assert (home.review_count, home.review_score) == (0, None)
