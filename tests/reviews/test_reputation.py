"""The review score: bounded, shrunk towards the regional mean, recent and verified reviews weigh more."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import time
from core.extensions import db
from marketplace.models import Home
from reviews.models import Review
from reviews.reputation import PRIOR_WEIGHT, bayesian_score, review_weight
from reviews.services import refresh_review_scores
from search import outbox
from search.backend import current_backend
from search.query import SearchQuery
from tests.factories import make_home

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ratings = st.lists(st.tuples(st.integers(1, 5), st.floats(0.01, 1.5)), min_size=1, max_size=40)
means = st.floats(1, 5)


@given(ratings, means)
def test_the_score_stays_within_one_to_five(pairs, mean):
    assert 1 <= bayesian_score(pairs, mean) <= 5


@given(ratings, means, st.floats(0.01, 1.5))
def test_another_five_star_review_never_lowers_the_score(pairs, mean, weight):
    assert bayesian_score(pairs + [(5, weight)], mean) >= bayesian_score(pairs, mean)


@given(ratings, means, st.floats(0.01, 1.5))
def test_another_one_star_review_never_raises_the_score(pairs, mean, weight):
    assert bayesian_score(pairs + [(1, weight)], mean) <= bayesian_score(pairs, mean)


def test_a_single_review_cannot_give_an_extreme_score():
    assert bayesian_score([(5, 1.0)], 3.5) == pytest.approx((PRIOR_WEIGHT * 3.5 + 5) / (PRIOR_WEIGHT + 1), abs=0.01)
    assert bayesian_score([(5, 1.0)], 3.5) < 4
    assert bayesian_score([(1, 1.0)], 3.5) > 3


def test_many_reviews_outweigh_the_prior():
    assert bayesian_score([(5, 1.0)] * 200, 3.0) > 4.9


def test_recent_and_verified_reviews_weigh_more():
    old = review_weight(NOW - timedelta(days=730), False, NOW)
    recent = review_weight(NOW - timedelta(days=10), False, NOW)
    assert old < recent <= 1
    assert review_weight(NOW, True, NOW) == pytest.approx(1.5)
    assert review_weight(NOW - timedelta(days=365), False, NOW) == pytest.approx(0.5, abs=0.01)


def _review(home, overall, status="published", **fields):
    db.session.add(Review(home_id=home.id, relationship="family", period_start=date(2026, 1, 1),
                          period_end=date(2026, 6, 1), overall=overall, status=status,
                          created_at=fields.pop("created_at", time.utcnow()), **fields))


def test_folded_and_rejected_reviews_do_not_count_and_scores_reach_search(app):
    home, other = make_home(name="口碑测试养老院"), make_home()
    for overall in (5, 5, 4):
        _review(home, overall)
    _review(home, 1, status="folded")
    _review(home, 1, status="rejected")
    _review(other, 3)
    db.session.commit()
    refresh_review_scores()
    fresh = db.session.get(Home, home.id)
    assert fresh.review_count == 3 and 3.5 < fresh.review_score < 5
    outbox.drain(current_backend())
    hit = current_backend().search(SearchQuery(text="口碑测试")).hits[0]
    assert hit.doc["rating"] == fresh.review_score and hit.doc["review_count"] == 3
