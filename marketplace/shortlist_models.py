"""The shortlist kept on a signed-in family's account: the compare tray, with no limit and a private note per home."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db

NOTE_MAX = 1000


class ShortlistEntry(db.Model):
    """One home on one person's shortlist, with the note only they see (None: no note written)."""

    __tablename__ = "shortlist_entries"
    __table_args__ = (sa.UniqueConstraint("user_id", "home_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))
    added_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
