"""A home's review score: a weighted mean of published reviews shrunk towards the regional mean.

rating_i = OVERALL_SHARE * overall_i + (1 - OVERALL_SHARE) * mean(sub-scores_i)   (overall_i alone without
           sub-scores); every term is 1..5, so rating_i is too
score = (PRIOR_WEIGHT * regional_mean + sum(w_i * rating_i)) / (PRIOR_WEIGHT + sum(w_i))
w_i = 0.5 ** (age_in_months / HALF_LIFE_MONTHS) * (VERIFIED_WEIGHT if verified else 1)
regional_mean = (sum of the province's counted overall scores + PRIOR_WEIGHT * DEFAULT_MEAN)
                / (their number + PRIOR_WEIGHT)        (DEFAULT_MEAN when the province has none)

A few reviews cannot give an extreme score (the prior holds it near the mean); recent and verified reviews
weigh more; only published reviews count, and of one author's reviews of a home only the latest (older ones
are marked superseded): folded, rejected, pending and superseded reviews are excluded. The methods page
(/methods/reviews) shows these constants.
"""

from collections import defaultdict

import sqlalchemy as sa

from core import time
from core.extensions import db

PRIOR_WEIGHT = 5.0
HALF_LIFE_MONTHS = 12.0
VERIFIED_WEIGHT = 1.5
DEFAULT_MEAN = 3.5  # used only when a region has no published review at all
OVERALL_SHARE = 0.5  # the overall score's share of a review's rating; the sub-scores' mean has the rest


def review_rating(overall, sub_scores):
    """Return one review's rating: OVERALL_SHARE of the overall score, the rest the mean of its sub-scores."""
    values = [v for v in (sub_scores or {}).values() if isinstance(v, int | float) and 1 <= v <= 5]
    if not values:
        return float(overall)
    return OVERALL_SHARE * overall + (1 - OVERALL_SHARE) * (sum(values) / len(values))


def _counted(review):
    """The condition for a review that counts towards its home's score."""
    return sa.and_(review.status == "published", review.superseded.is_(False))


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

    stmt = (sa.select(Review.home_id, Home.province_code, Review.overall, Review.sub_scores, Review.verified,
                      Review.created_at)
            .join(Home, Home.id == Review.home_id).where(_counted(Review)))
    if home_ids is not None:
        stmt = stmt.where(Review.home_id.in_(home_ids))
    return db.session.execute(stmt).all()


def regional_means():
    """Return {province code: mean overall of the reviews that count, shrunk towards DEFAULT_MEAN}.

    The shrinking (PRIOR_WEIGHT reviews' worth of DEFAULT_MEAN) keeps a province with a handful of reviews
    from lending a home its own reviews back as the prior.
    """
    from marketplace.models import Home
    from reviews.models import Review

    stmt = (sa.select(Home.province_code, sa.func.sum(Review.overall), sa.func.count())
            .join(Home, Home.id == Review.home_id).where(_counted(Review)).group_by(Home.province_code))
    return {code: (float(total) + PRIOR_WEIGHT * DEFAULT_MEAN) / (count + PRIOR_WEIGHT)
            for code, total, count in db.session.execute(stmt).all()}


def compute_scores(home_ids=None, now=None):
    """Return {home id: (score, review count)} for homes with published reviews (all homes when None)."""
    now = now or time.utcnow()
    means = regional_means()
    ratings, province = defaultdict(list), {}
    for home_id, province_code, overall, sub_scores, verified, created_at in _published_rows(home_ids):
        ratings[home_id].append((review_rating(overall, sub_scores), review_weight(created_at, verified, now)))
        province[home_id] = province_code
    return {hid: (bayesian_score(r, means.get(province[hid], DEFAULT_MEAN)), len(r)) for hid, r in ratings.items()}
