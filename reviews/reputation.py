"""A home's review score: a weighted mean of published reviews shrunk towards the regional mean.

score = (PRIOR_WEIGHT * regional_mean + sum(w_i * overall_i)) / (PRIOR_WEIGHT + sum(w_i))
w_i = 0.5 ** (age_in_months / HALF_LIFE_MONTHS) * (VERIFIED_WEIGHT if verified else 1)

A few reviews cannot give an extreme score (the prior holds it near the mean); recent and verified reviews
weigh more; folded and rejected reviews are excluded because only published ones are read.
"""

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa

from core.extensions import db

PRIOR_WEIGHT = 5.0
HALF_LIFE_MONTHS = 12.0
VERIFIED_WEIGHT = 1.5
DEFAULT_MEAN = 3.5  # used only when a region has no published review at all


def review_weight(created_at, verified, now):
    """Return one review's weight: halves every HALF_LIFE_MONTHS, times VERIFIED_WEIGHT when verified."""
    age_months = max(0.0, (now - created_at).total_seconds() / (30.4375 * 86400))
    return 0.5 ** (age_months / HALF_LIFE_MONTHS) * (VERIFIED_WEIGHT if verified else 1.0)


def bayesian_score(ratings, regional_mean):
    """Return the shrunk score from (overall, weight) pairs, rounded to 2 decimals; None without reviews."""
    if not ratings:
        return None
    total_weight = sum(w for _, w in ratings)
    value = (PRIOR_WEIGHT * regional_mean + sum(r * w for r, w in ratings)) / (PRIOR_WEIGHT + total_weight)
    return round(value, 2)


def _published_rows(home_ids=None):
    from marketplace.models import Home
    from reviews.models import Review

    stmt = (sa.select(Review.home_id, Home.province_code, Review.overall, Review.verified, Review.created_at)
            .join(Home, Home.id == Review.home_id).where(Review.status == "published"))
    if home_ids is not None:
        stmt = stmt.where(Review.home_id.in_(home_ids))
    return db.session.execute(stmt).all()


def regional_means():
    """Return {province code: mean overall of published reviews}."""
    from marketplace.models import Home
    from reviews.models import Review

    stmt = (sa.select(Home.province_code, sa.func.avg(Review.overall)).join(Home, Home.id == Review.home_id)
            .where(Review.status == "published").group_by(Home.province_code))
    return {code: float(mean) for code, mean in db.session.execute(stmt).all()}


def compute_scores(home_ids=None, now=None):
    """Return {home id: (score, review count)} for homes with published reviews (all homes when None)."""
    now = now or datetime.now(UTC)
    means = regional_means()
    ratings, province = defaultdict(list), {}
    for home_id, province_code, overall, verified, created_at in _published_rows(home_ids):
        ratings[home_id].append((overall, review_weight(created_at, verified, now)))
        province[home_id] = province_code
    return {hid: (bayesian_score(r, means.get(province[hid], DEFAULT_MEAN)), len(r)) for hid, r in ratings.items()}
