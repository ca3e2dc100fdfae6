"""Duplicate and near-duplicate reviews of one home (reads the database, never writes)."""

from datetime import timedelta

import sqlalchemy as sa

from core.db import utcnow
from core.extensions import db
from reviews.screening.base import DUPLICATE_TEXT, Signal
from reviews.screening.fingerprints import compare_texts, fingerprint

# Duplicates. Reviews of one home cluster in time; 90 days catches copy-paste campaigns while keeping the
# candidate query small, and the row cap bounds it even for a home or address that is being flooded.
DUPLICATE_LOOKBACK = timedelta(days=90)
DUPLICATE_MAX_CANDIDATES = 500


def _created(review):
    return review.created_at or utcnow()


def _duplicate_candidates(review):
    """Return recent other reviews of the same home, author, address or device, or with the same fingerprint.

    The fingerprint (indexed) finds one template posted from different accounts and addresses about
    different homes; the other keys find edited copies. The look-back and the row cap bound the query.
    """
    from reviews.models import Review

    scope = [Review.home_id == review.home_id]
    for column, value in ((Review.author_id, review.author_id), (Review.source_ip, review.source_ip),
                          (Review.device_id, review.device_id), (Review.fingerprint, review.fingerprint)):
        if value:
            scope.append(column == value)
    stmt = (sa.select(Review.id, Review.home_id, Review.author_id, Review.text, Review.fingerprint)
            .where(Review.id != review.id, Review.is_demo.is_(False),
                   Review.created_at >= _created(review) - DUPLICATE_LOOKBACK,
                   sa.or_(*scope))
            .order_by(Review.created_at.desc(), Review.id.desc()).limit(DUPLICATE_MAX_CANDIDATES))
    return db.session.execute(stmt).all()


def detect_duplicates(review):
    """Return a duplicate_text Signal when REVIEW copies or nearly copies other recent reviews, or None."""
    mine = review.fingerprint or fingerprint(review.text)
    similar = []
    for row in _duplicate_candidates(review):
        if review.author_id and row.author_id == review.author_id and row.home_id == review.home_id:
            continue  # the author's own earlier review of this home: a rewrite, not a copy
        result = compare_texts(review.text or "", row.text or "", (mine, row.fingerprint or fingerprint(row.text)))
        if result:
            similar.append({"review_id": row.id, "home_id": row.home_id, **result})
    if not similar:
        return None
    similar.sort(key=lambda s: (-s["similarity"], s["review_id"]))
    risk = 60 if any(s["exact"] for s in similar) else 40
    risk = min(risk + (10 if len(similar) >= 3 else 0) + (10 if len({s["home_id"] for s in similar}) > 1 else 0),
               80)
    return Signal(DUPLICATE_TEXT, risk, {"similar": similar[:20], "count": len(similar),
                                         "lookback_days": DUPLICATE_LOOKBACK.days})
