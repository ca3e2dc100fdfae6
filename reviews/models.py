"""Reviews of homes, what screening found, moderation decisions (an append-only audit log) and appeals.

Only published reviews count towards a home's score; folded ones are visible on request; rejected ones are
hidden; none is ever deleted (demo reviews excepted: they go with their demo home).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm import relationship as orm_relationship  # "relationship" is also a Review column

from core.db import UTCDateTime, utcnow
from core.extensions import db

SUB_SCORES = ("care", "staff", "medical", "food", "cleanliness", "activities", "management", "value")
RELATIONSHIPS = ("resident", "family", "visitor")
# submitted -> screening -> pending -> published | folded | rejected; folded/rejected -> appealed (once)
# -> published | folded | rejected. The allowed moves are reviews.services.TRANSITIONS.
STATUSES = ("submitted", "screening", "pending", "published", "folded", "rejected", "appealed")
APPEAL_STATUSES = ("open", "upheld", "overturned")
CURRENT_REVIEW_INDEX = "uq_reviews_current_author_home"


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (sa.CheckConstraint("overall BETWEEN 1 AND 5", name="overall_1_to_5"),
                      sa.Index("ix_reviews_home_status", "home_id", "status"),
                      sa.Index("ix_reviews_author_home", "author_id", "home_id"),
                      # only the most recent review of one person per home counts: at most one current row,
                      # also when two submissions race (reviews.services.submit_review retries the loser)
                      sa.Index(CURRENT_REVIEW_INDEX, "author_id", "home_id", unique=True,
                               sqlite_where=sa.text("NOT superseded"), postgresql_where=sa.text("NOT superseded")))

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))  # demo: none
    relationship: Mapped[str] = mapped_column(sa.String(20))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    overall: Mapped[int] = mapped_column(sa.SmallInteger)
    sub_scores: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {care: 1..5, ...}
    text: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(10), default="zh")
    status: Mapped[str] = mapped_column(sa.String(20), default="submitted")
    verified: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    source_ip: Mapped[str | None] = mapped_column(sa.String(45), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    risk_score: Mapped[int] = mapped_column(default=0)  # min(100, sum of the screening signals' risks)
    fingerprint: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # set by reviews.screening
    superseded: Mapped[bool] = mapped_column(default=False)  # a newer review by the same author of the same home
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))  # of the latest decision, shown to the author
    decision_statement: Mapped[str | None] = mapped_column(sa.Text)  # of the latest decision
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[object | None] = mapped_column(UTCDateTime)

    home = orm_relationship("Home", foreign_keys=[home_id])
    author = orm_relationship("User", foreign_keys=[author_id])
    signals = orm_relationship("ReviewSignal", order_by="ReviewSignal.risk.desc()", back_populates="review")
    appeals = orm_relationship("Appeal", order_by="Appeal.id", back_populates="review")
    photos = orm_relationship("ReviewPhoto", order_by="ReviewPhoto.id", back_populates="review")

    @property
    def appeal(self):
        """The latest appeal (a decision changed after an appeal was decided may be appealed again), or None."""
        return self.appeals[-1] if self.appeals else None


class ReviewPhoto(db.Model):
    """A photo with a review: a clean JPEG under PHOTO_DIR (marketplace.photos rules), public once published."""

    __tablename__ = "review_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    review = orm_relationship("Review", back_populates="photos")


class ReviewSignal(db.Model):
    """One thing automatic screening found in a review, with its evidence."""

    __tablename__ = "review_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    risk: Mapped[int] = mapped_column(default=0)  # 0..100
    evidence: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    review = orm_relationship("Review", back_populates="signals")


class ModerationDecision(db.Model):
    """One line of the append-only audit log: who moved which review from which state to which, and why."""

    __tablename__ = "review_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)  # None: the system
    action: Mapped[str] = mapped_column(sa.String(40))  # submit, screen, queue, publish, fold, reject, appeal...
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    actor = orm_relationship("User", foreign_keys=[actor_id])


class Appeal(db.Model):
    """The author's appeal against a fold or a reject; a regulator other than the decider decides it. One per
    decision: a later change of the outcome opens a new one; at most one is open at a time."""

    __tablename__ = "review_appeals"
    __table_args__ = (sa.Index("uq_review_appeals_open_review_id", "review_id", unique=True,
                               sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    appealed_status: Mapped[str] = mapped_column(sa.String(20))  # folded or rejected
    appealed_decider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # may not decide it
    grounds: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    review = orm_relationship("Review", back_populates="appeals")


class AuditLogIsAppendOnly(Exception):
    """Raised when anything tries to change or remove a line of the moderation audit log."""


@event.listens_for(ModerationDecision, "before_update")
def _refuse_audit_update(_mapper, _connection, target):
    raise AuditLogIsAppendOnly(f"audit log entry {target.id} cannot be changed")


@event.listens_for(ModerationDecision, "before_delete")
def _refuse_audit_delete(_mapper, _connection, target):
    raise AuditLogIsAppendOnly(f"audit log entry {target.id} cannot be deleted")


@event.listens_for(Review, "before_delete")
def _refuse_review_delete(_mapper, _connection, target):
    if not target.is_demo:
        raise AuditLogIsAppendOnly(f"consumer review {target.id} cannot be deleted; fold or reject it")


def _consumer_rows(session, whereclause):
    """Count the audit rows WHERECLAUSE selects that belong to non-demo reviews."""
    log, reviews = ModerationDecision.__table__, Review.__table__.alias("guarded_review")
    stmt = (sa.select(sa.func.count()).select_from(log.join(reviews, reviews.c.id == log.c.review_id))
            .where(reviews.c.is_demo.is_(False)))
    if whereclause is not None:
        stmt = stmt.where(whereclause)
    return session.execute(stmt).scalar_one()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state):
    """Refuse bulk UPDATEs of the audit log, and bulk DELETEs except of demo reviews' rows (demo resets)."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != ModerationDecision.__tablename__:  # ORM statements carry an annotated copy
        return
    if state.is_update or _consumer_rows(state.session, state.statement.whereclause):
        raise AuditLogIsAppendOnly("the moderation audit log is append-only")
