"""Consents a person gives: to the privacy notice (its version) and, separately, to storing sensitive
information such as a parent's care needs (PIPL arts. 28-32). Lives with accounts so any domain may ask."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core import time
from core.db import UTCDateTime, utcnow
from core.extensions import db

PURPOSES = ("notice", "sensitive")
NOTICE_VERSION = "2026-12-07"  # change it with the notice (privacy/templates): everyone is asked again


class Consent(db.Model):
    """One consent given (and maybe withdrawn later): to which purpose, which notice version, when."""

    __tablename__ = "privacy_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[str] = mapped_column(sa.String(20))
    granted_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[object | None] = mapped_column(UTCDateTime)


def current(user_id, purpose):
    """USER_ID's consent to PURPOSE in force (the current notice version for `notice`), or None."""
    stmt = sa.select(Consent).where(Consent.user_id == user_id, Consent.purpose == purpose,
                                    Consent.withdrawn_at.is_(None))
    if purpose == "notice":
        stmt = stmt.where(Consent.version == NOTICE_VERSION)
    return db.session.scalars(stmt.order_by(Consent.id.desc()).limit(1)).first()


def grant(user_id, purpose):
    """Record USER_ID's consent to PURPOSE under the current notice version (the caller commits)."""
    if current(user_id, purpose) is None:
        db.session.add(Consent(user_id=user_id, purpose=purpose, version=NOTICE_VERSION, granted_at=time.utcnow()))


def withdraw(user_id, purpose):
    """Withdraw USER_ID's consent to PURPOSE (the caller commits); return whether there was one."""
    rows = db.session.scalars(sa.select(Consent).where(Consent.user_id == user_id, Consent.purpose == purpose,
                                                       Consent.withdrawn_at.is_(None))).all()
    for row in rows:
        row.withdrawn_at = time.utcnow()
    return bool(rows)


def has_any(user_id, purpose):
    """Whether USER_ID ever consented to PURPOSE (under any notice version)."""
    return db.session.scalar(sa.select(sa.func.count(Consent.id)).where(
        Consent.user_id == user_id, Consent.purpose == purpose)) > 0
