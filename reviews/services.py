"""Writes for reviews: recompute the review scores that homes (and so search) show."""

import sqlalchemy as sa

from core.extensions import db
from marketplace.models import Home
from reviews.reputation import compute_scores


def refresh_review_scores(home_ids=None):
    """Recompute review_score and review_count of HOME_IDS (all when None); changed homes go to the outbox."""
    scores = compute_scores(home_ids)
    stmt = sa.select(Home)
    if home_ids is not None:
        stmt = stmt.where(Home.id.in_(home_ids))
    changed = 0
    for home in db.session.scalars(stmt):
        score, count = scores.get(home.id, (None, 0))
        if (home.review_score, home.review_count) != (score, count):
            home.review_score, home.review_count = score, count
            changed += 1
    db.session.commit()
    return changed
