"""Notifications: the inbox item (one per person and event, always kept), its deliveries by e-mail and SMS (an
outbox the worker drains with retries), and each person's choices per kind and channel."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

CHANNELS = ("email", "sms")
STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # what the message names (reference, home...)
    link: Mapped[str] = mapped_column(sa.String(300), default="")  # a path on this site
    # one notification per person and event: recording the same event twice (a retried request) is a no-op
    dedupe_key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="notification", cascade="all, delete-orphan")


class Delivery(db.Model):
    """One message to send on one channel; `id` doubles as the idempotency key the message carries."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (sa.UniqueConstraint("notification_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)  # backoff, quiet hours
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(200), default="")

    notification: Mapped[Notification] = relationship(back_populates="deliveries")


class Preference(db.Model):
    """A person's choice for one kind on one channel (no row: the kind's default)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    enabled: Mapped[bool] = mapped_column()


class Settings(db.Model):
    """The language messages go out in (the site's language when the person last chose it)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
