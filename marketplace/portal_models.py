"""Provider-portal tables: a home's photos and its daily page-view counter."""

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, utcnow
from core.extensions import db

log = logging.getLogger(__name__)


class HomePhoto(db.Model):
    """A photo of a home: a re-encoded JPEG stored under PHOTO_DIR with a random, server-made file name."""

    __tablename__ = "home_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    caption: Mapped[str] = mapped_column(sa.String(200), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    # photos go live when added; only a verified operator (or an admin) can add them
    published: Mapped[bool] = mapped_column(default=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class HomeView(db.Model):
    """How many times a home's public page was viewed on one day (China Standard Time)."""

    __tablename__ = "home_views"
    __table_args__ = (sa.UniqueConstraint("home_id", "day", name="uq_home_views_home_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    views: Mapped[int] = mapped_column(default=0)


def _increment(home_id, day):
    table = HomeView.__table__
    return db.session.execute(sa.update(table).where(table.c.home_id == home_id, table.c.day == day)
                              .values(views=table.c.views + 1)).rowcount


def record_home_view(home_id, day):
    """Count one view of HOME_ID's page on DAY; commit. Never breaks the page it is counted from."""
    try:
        if not _increment(home_id, day):
            try:
                with db.session.begin_nested():  # two first views of the day may race: the loser adds 1
                    db.session.add(HomeView(home_id=home_id, day=day, views=1))
            except sa.exc.IntegrityError:
                _increment(home_id, day)
        db.session.commit()
    except sa.exc.SQLAlchemyError:  # a counter must never take the home page down
        log.exception("could not count a view of home %s", home_id)
        db.session.rollback()
