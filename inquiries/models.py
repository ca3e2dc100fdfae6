"""Inquiries and visit bookings from a signed-in family to a home, and the messages of their thread."""

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

KINDS = ("inquiry", "visit")
STATUSES = ("open", "answered", "closed", "visit_confirmed", "visit_declined")
TIME_SLOTS = ("morning", "afternoon")
AUTHOR_ROLES = ("family", "provider")
BODY_MAX = 2000

# Crockford-like: no 0/O, 1/I/L, U, so a reference read out over the phone is not misheard or mistyped.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 6


def new_reference(year):
    """Return a random, non-sequential reference such as YRD-2026-7F3K9Q."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"YRD-{year}-{code}"


class Inquiry(db.Model):
    """A question to a home, or a visit booking (a date and a morning/afternoon slot)."""

    __tablename__ = "inquiries"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('inquiry', 'visit')", name="kind_known"),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed', 'visit_confirmed', 'visit_declined')",
                           name="status_known"),
        sa.CheckConstraint("kind = 'inquiry' OR (visit_date IS NOT NULL AND time_slot IS NOT NULL)",
                           name="visit_has_date_and_slot"),
        # a live thread has a way to reach the family; one erased (account deleted, retention) has none at all
        sa.CheckConstraint("contact_phone <> '' OR contact_email <> '' OR contact_name = ''", name="has_contact"),
        sa.CheckConstraint("contact_consent", name="consent_given"),
        sa.Index("ix_inquiries_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    visit_date: Mapped[object | None] = mapped_column(sa.Date)
    time_slot: Mapped[str | None] = mapped_column(sa.String(10))
    care_level: Mapped[str | None] = mapped_column(sa.String(20))
    contact_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")  # digits, +86 mobile or landline
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    contact_consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    # the latest word is the family's and the home has not answered it (a visit decision counts as an answer)
    awaiting_provider: Mapped[bool] = mapped_column(default=True)
    # normalised first message, to spot the same text sent to many homes (see services._check_spam_rules)
    body_fingerprint: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    home = relationship("Home")
    user = relationship("User")
    messages: Mapped[list["InquiryMessage"]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryMessage.id")

    @property
    def is_visit(self):
        """Say whether this is a visit booking."""
        return self.kind == "visit"


class InquiryMessage(db.Model):
    """One message of an inquiry's thread, by the family or by the home's staff."""

    __tablename__ = "inquiry_messages"
    __table_args__ = (sa.CheckConstraint("author_role IN ('family', 'provider')", name="author_role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    inquiry: Mapped[Inquiry] = relationship(back_populates="messages")
    author = relationship("User")
