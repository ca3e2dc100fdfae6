"""Engagement around a review: one-time verification codes, verifications, provider replies, reports and
helpful votes. Writes go through reviews.engagement; reviews themselves live in reviews.models."""

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import relationship as link  # "relationship" is also a column name here

from core.db import UTCDateTime, utcnow
from core.extensions import db

CODE_RELATIONSHIPS = ("resident", "family")  # what the home confirms a code holder to be
VERIFICATION_METHODS = ("code", "regulator")
REPLY_STATUSES = ("pending", "published", "rejected")
# reason codes follow reviews.services.REASON_CODES where they mean the same
REPLY_REJECT_REASONS = ("personal_data", "abusive_language", "advertising", "off_topic", "reveals_reviewer",
                        "other")
REPORT_REASONS = ("false_information", "personal_data", "abusive_language", "advertising",
                  "conflict_of_interest", "not_first_hand", "other")
REPORT_STATUSES = ("open", "upheld", "dismissed")
REPLY_MAX = 2000
REPORT_TEXT_MAX = 1000
STATEMENT_MAX = 1000

# Crockford-like: no 0/O, 1/I/L, U, so a code read out or copied from paper is not misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 30^12, about 59 bits: guessing is hopeless behind the rate limit


def new_code():
    """Return a fresh random code, grouped for reading: 7F3K-9QAB-2MXC."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code):
    """Return CODE as it is hashed: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_code(code):
    """Return the SHA-256 of a normalised code (only this is stored)."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class VerificationCode(db.Model):
    """A one-time code a home gives a resident or a family member, so their review shows as first-hand."""

    __tablename__ = "review_verification_codes"
    __table_args__ = (sa.CheckConstraint(_in("relationship", CODE_RELATIONSHIPS), name="relationship_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(4))  # the last characters, so staff can tell codes apart
    relationship: Mapped[str] = mapped_column(sa.String(20))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    used_by_review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviews.id", ondelete="SET NULL"))

    def state(self, now):
        """Return unused, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "unused"


class ReviewVerification(db.Model):
    """How a review became verified: by a code or by a regulator, with the confirmed relationship."""

    __tablename__ = "review_verifications"
    __table_args__ = (sa.CheckConstraint(_in("method", VERIFICATION_METHODS), name="method_known"),
                      sa.CheckConstraint(_in("relationship", CODE_RELATIONSHIPS), name="relationship_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(sa.String(20))
    relationship: Mapped[str] = mapped_column(sa.String(20))
    stated_relationship: Mapped[str] = mapped_column(sa.String(20))  # what the author had written
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_verification_codes.id", ondelete="SET NULL"))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    verified_by = link("User", foreign_keys=[verified_by_id])


PUBLISHED_REASON_FITS = "status != 'published' OR COALESCE(reason_code, '') = 'meets_guidelines'"
REJECTED_REASON_FITS = "status != 'rejected' OR " + _in("COALESCE(reason_code, '')", REPLY_REJECT_REASONS)


class ReviewReply(db.Model):
    """The home's one public reply to a review; shown only once a regulator has published it."""

    __tablename__ = "review_replies"
    __table_args__ = (sa.CheckConstraint(_in("status", REPLY_STATUSES), name="status_known"),
                      # a decision's reason fits the decision, whatever code writes the row
                      sa.CheckConstraint(PUBLISHED_REASON_FITS, name="published_reason_fits"),
                      sa.CheckConstraint(REJECTED_REASON_FITS, name="rejected_reason_fits"),
                      sa.Index("ix_review_replies_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    review = link("Review", foreign_keys=[review_id])


class ReviewReport(db.Model):
    """A family member's or the home's report that a review breaks the rules; a regulator resolves it."""

    __tablename__ = "review_reports"
    __table_args__ = (sa.CheckConstraint(_in("reason", REPORT_REASONS), name="reason_known"),
                      sa.CheckConstraint(_in("status", REPORT_STATUSES), name="status_known"),
                      sa.UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_review_reporter"),
                      sa.Index("ix_review_reports_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reporter_role: Mapped[str] = mapped_column(sa.String(20))  # family or provider
    reason: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    resolution_note: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    review = link("Review", foreign_keys=[review_id])


class HelpfulVote(db.Model):
    """One user's "this review was helpful"; a second click takes it back."""

    __tablename__ = "review_helpful_votes"
    __table_args__ = (sa.UniqueConstraint("review_id", "user_id", name="uq_review_helpful_votes_review_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
