"""Users and their roles. A provider user belongs to one operator; a regulator is scoped to a jurisdiction."""

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

ROLES = ("family", "provider", "regulator", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # an active account can be signed in to; a deleted one (privacy/) keeps its id for the audit trail only
    __table_args__ = (sa.CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL OR oidc_subject IS NOT NULL "
                                         "OR NOT active", name="has_identifier"),
                      sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    mobile: Mapped[str | None] = mapped_column(sa.String(20), unique=True)  # stored as +86XXXXXXXXXXX
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))  # argon2id; None for SSO-only users
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    role: Mapped[str] = mapped_column(sa.String(20), default="family")
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    jurisdiction_code: Mapped[str | None] = mapped_column(sa.String(6))  # regulators: a province or city code
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[object | None] = mapped_column(UTCDateTime)  # kept as long as login records
    locked_until: Mapped[object | None] = mapped_column(UTCDateTime)
    oidc_issuer: Mapped[str | None] = mapped_column(sa.String(300))
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider", foreign_keys=[provider_id])

    @property
    def is_active(self):
        return self.active

    def has_role(self, *roles):
        """Say whether the user has one of ROLES."""
        return self.role in roles


class PasswordResetToken(db.Model):
    """A one-time password reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
