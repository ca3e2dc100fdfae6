"""Reads for reviews: the public list of a home, an author's reviews, the moderation queue, the audit log."""

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core import time
from core.errors import NotFound
from core.extensions import db
from marketplace.models import Home
from reviews.engagement_models import ReviewReport
from reviews.models import ModerationDecision, Review

QUEUE_STATUSES = ("pending", "appealed")
QUEUE_FILTERS = (*QUEUE_STATUSES, "reported")  # reported: open reports by families or homes, any status
QUEUE_ORDERS = ("risk", "reports")
PUBLIC_STATUSES = ("published", "folded")


def get_review(review_id):
    """Return the review with REVIEW_ID (its home, signals and appeal loaded) or raise NotFound."""
    review = db.session.scalars(sa.select(Review).where(Review.id == review_id).options(
        selectinload(Review.signals), selectinload(Review.appeals), selectinload(Review.home),
        selectinload(Review.photos))).first()
    if review is None:
        raise NotFound(_("No such review."))
    return review


def home_reviews(home_id, include_folded=False, limit=None, offset=0, statuses=None):
    """Return HOME_ID's current public reviews, newest first: published, and folded ones when asked."""
    statuses = statuses or (PUBLIC_STATUSES if include_folded else ("published",))
    stmt = (sa.select(Review).where(Review.home_id == home_id, Review.status.in_(statuses),
                                    Review.superseded.is_(False))
            .options(selectinload(Review.photos))
            .order_by(Review.published_at.desc().nullslast(), Review.id.desc()).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()


def count_home_reviews(home_id):
    """Return {"published": n, "folded": n} of HOME_ID's current reviews."""
    rows = db.session.execute(sa.select(Review.status, sa.func.count()).where(
        Review.home_id == home_id, Review.status.in_(PUBLIC_STATUSES), Review.superseded.is_(False))
        .group_by(Review.status)).all()
    return {"published": 0, "folded": 0, **dict(rows)}


def home_review_summary(home_id):
    """Return the published, current reviews' star histogram {1..5: n} and each sub-score's average (or None)."""
    rows = db.session.execute(sa.select(Review.overall, Review.sub_scores).where(
        Review.home_id == home_id, Review.status == "published", Review.superseded.is_(False))).all()
    histogram = {stars: 0 for stars in range(5, 0, -1)}
    given = {}
    for overall, sub_scores in rows:
        histogram[overall] = histogram.get(overall, 0) + 1
        for name, value in (sub_scores or {}).items():
            if isinstance(value, int) and 1 <= value <= 5:
                given.setdefault(name, []).append(value)
    averages = {name: round(sum(values) / len(values), 1) for name, values in given.items()}
    return {"total": len(rows), "histogram": histogram, "averages": averages}


def author_reviews(user_id):
    """Return USER_ID's reviews, newest first, with their homes."""
    return db.session.scalars(sa.select(Review).where(Review.author_id == user_id)
                              .options(selectinload(Review.home), selectinload(Review.appeals))
                              .order_by(Review.created_at.desc(), Review.id.desc())).all()


def in_jurisdiction_of(user):
    """Return the SQL condition on Home for the homes USER regulates (admins: all; others: none)."""
    if user.role == "admin":
        return sa.true()
    if user.role != "regulator" or not user.jurisdiction_code:
        return sa.false()
    return sa.or_(Home.province_code == user.jurisdiction_code, Home.city_code == user.jurisdiction_code)


def _open_reports():
    """Return a subquery of (review_id, n) for reviews with open reports from families or homes."""
    return (sa.select(ReviewReport.review_id.label("review_id"), sa.func.count(ReviewReport.id).label("n"))
            .where(ReviewReport.status == "open").group_by(ReviewReport.review_id).subquery("open_reports"))


def _queue_condition(reports, status):
    """Return what puts a review in the queue under the filter STATUS (None: everything waiting)."""
    if status == "reported":
        return reports.c.n > 0
    if status:
        return Review.status == status
    return sa.or_(Review.status.in_(QUEUE_STATUSES), reports.c.n > 0)


def moderation_queue(user, status=None, order="risk", limit=200):
    """Return the reviews waiting for USER in their jurisdiction: pending, appealed and reported ones.

    ORDER "risk" puts the riskiest first; "reports" the most reported first (then the riskiest).
    """
    reports = _open_reports()
    ordering = [Review.risk_score.desc(), Review.created_at, Review.id]
    if order == "reports":
        ordering.insert(0, sa.func.coalesce(reports.c.n, 0).desc())
    stmt = (sa.select(Review).join(Home, Home.id == Review.home_id)
            .outerjoin(reports, reports.c.review_id == Review.id)
            .where(_queue_condition(reports, status), in_jurisdiction_of(user))
            .options(selectinload(Review.signals), selectinload(Review.home), selectinload(Review.appeals),
                     selectinload(Review.photos))
            .order_by(*ordering).limit(limit))
    return db.session.scalars(stmt).all()


def queue_counts(user):
    """Return {filter: n} of the reviews waiting in USER's jurisdiction (pending, appealed, reported, all)."""
    reports = _open_reports()
    base = (sa.select(sa.func.count(Review.id)).join(Home, Home.id == Review.home_id)
            .outerjoin(reports, reports.c.review_id == Review.id).where(in_jurisdiction_of(user)))
    return {name or "all": db.session.scalar(base.where(_queue_condition(reports, name)))
            for name in (*QUEUE_FILTERS, None)}


def review_log(review_id):
    """Return REVIEW_ID's audit log, oldest first."""
    return db.session.scalars(sa.select(ModerationDecision).where(ModerationDecision.review_id == review_id)
                              .options(selectinload(ModerationDecision.actor))
                              .order_by(ModerationDecision.id)).all()


def audit_log(user, limit=200):
    """Return the latest audit log lines about reviews of homes in USER's jurisdiction, newest first."""
    stmt = (sa.select(ModerationDecision, Review, Home).join(Review, Review.id == ModerationDecision.review_id)
            .join(Home, Home.id == Review.home_id).where(in_jurisdiction_of(user))
            .options(selectinload(ModerationDecision.actor))
            .order_by(ModerationDecision.id.desc()).limit(limit))
    return db.session.execute(stmt).all()


def home_of(review):
    """Return the home REVIEW is about."""
    return db.session.get(Home, review.home_id)


def review_of(row):
    """Return the review a reply or report ROW belongs to."""
    return db.session.get(Review, row.review_id)


def public_reviews(home_id, limit):
    """Return the LIMIT newest reviews of HOME_ID that others may see (published or folded)."""
    return db.session.scalars(sa.select(Review).where(Review.home_id == home_id,
                                                      Review.status.in_(PUBLIC_STATUSES))
                              .order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)).all()


def public_review_ids(home_id):
    """Return the ids of every review of HOME_ID that others may see."""
    return db.session.scalars(sa.select(Review.id).where(Review.home_id == home_id,
                                                         Review.status.in_(PUBLIC_STATUSES))).all()


def ratings_by_month(home_id, since):
    """Return {"YYYY-MM": [overall score, ...]} of HOME_ID's reviews published from the date SINCE's month on
    (months in business time)."""
    start = time.start_of_day(since.replace(day=1))
    rows = db.session.execute(sa.select(Review.published_at, Review.overall)
                              .where(Review.home_id == home_id, Review.status == "published",
                                     Review.published_at.is_not(None), Review.published_at >= start)).all()
    scores = defaultdict(list)
    for published_at, overall in rows:
        scores[published_at.astimezone(time.business_tz()).strftime("%Y-%m")].append(overall)
    return scores
