"""Reviews of homes. Only published reviews count towards a home's score (moderation: see the reviews issue)."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db

SUB_SCORES = ("care", "staff", "medical", "food", "cleanliness", "activities", "management", "value")
RELATIONSHIPS = ("resident", "family", "visitor")
STATUSES = ("submitted", "screening", "pending", "published", "folded", "rejected")


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (sa.CheckConstraint("overall BETWEEN 1 AND 5", name="overall_1_to_5"),
                      sa.Index("ix_reviews_home_status", "home_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"))
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
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[object | None] = mapped_column(UTCDateTime)
