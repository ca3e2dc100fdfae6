"""What was done with a person's data on request: exports, deletions, staff reveals, retention clean-ups."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db


class DataRequest(db.Model):
    """The record of an export, a deletion or a staff member's reveal of someone's personal data (ids only)."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # export | delete | reveal | retention | correct
    subject_id: Mapped[int | None] = mapped_column(index=True)  # the person the data is about (no foreign key:
    actor_id: Mapped[int | None] = mapped_column()              # the record outlives what it is about)
    target: Mapped[str] = mapped_column(sa.String(60), default="")  # e.g. review:17
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
