"""Quality records of homes (inspections, sanctions, grade certificates, staffing) and the ratings made from them.

Regulators write inspections, sanctions and grade certificates; providers report staffing, which counts once a
regulator has checked it; providers may attach a response to any record. A home's QualityRating is derived data,
recomputed by quality.services.recompute_rating whenever an input changes (see quality/rules.py).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

INSPECTION_KINDS = ("routine", "follow_up", "complaint", "special")
SEVERITIES = ("minor", "moderate", "serious", "critical")  # of a finding, as CMS's deficiency grid
SCOPES = ("isolated", "pattern", "widespread")
SANCTION_KINDS = ("warning", "corrective_order", "fine", "admission_suspension", "licence_revocation")
SANCTION_SEVERITIES = ("minor", "serious")
RECORD_TYPES = ("inspection", "sanction", "grade", "staffing")


class Inspection(db.Model):
    """One inspection of a home by a regulator, with its findings."""

    __tablename__ = "quality_inspections"
    __table_args__ = (sa.Index("ix_quality_inspections_home_date", "home_id", "inspected_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"))
    inspected_on: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(20), default="routine")
    inspector: Mapped[str] = mapped_column(sa.String(200), default="")  # the inspecting body
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # form | import:<file name> | demo
    is_demo: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    findings: Mapped[list["Finding"]] = relationship(back_populates="inspection", cascade="all, delete-orphan",
                                                     order_by="Finding.id")


class Finding(db.Model):
    """One finding (deficiency) of an inspection: how severe it is and how widespread."""

    __tablename__ = "quality_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("quality_inspections.id", ondelete="CASCADE"),
                                               index=True)
    severity: Mapped[str] = mapped_column(sa.String(20))
    scope: Mapped[str] = mapped_column(sa.String(20), default="isolated")
    description: Mapped[str] = mapped_column(sa.Text, default="")

    inspection: Mapped[Inspection] = relationship(back_populates="findings")


class Sanction(db.Model):
    """A sanction or corrective order (责令改正) imposed on a home."""

    __tablename__ = "quality_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    severity: Mapped[str] = mapped_column(sa.String(20), default="minor")
    issued_on: Mapped[date] = mapped_column(sa.Date)
    resolved_on: Mapped[date | None] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def resolved(self):
        """Say whether the sanction has been resolved (the corrective order complied with)."""
        return self.resolved_on is not None


class GradeCertificate(db.Model):
    """A national grade certificate (GB/T 37276-2018 level 1-5) with its issuing body and validity."""

    __tablename__ = "quality_grade_certificates"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_1_to_5"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    issuing_body: Mapped[str] = mapped_column(sa.String(200))
    certificate_no: Mapped[str] = mapped_column(sa.String(60), default="")
    issued_on: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    def valid_on(self, day):
        """Say whether the certificate is in force on DAY."""
        return self.issued_on <= day <= self.valid_until


class StaffingReport(db.Model):
    """Staff and residents on a date, reported by the home's operator; it counts once a regulator checked it."""

    __tablename__ = "quality_staffing_reports"
    __table_args__ = (sa.CheckConstraint("residents > 0", name="residents_positive"),
                      sa.CheckConstraint("care_staff >= 0 AND nurses >= 0", name="staff_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(sa.Date)
    residents: Mapped[int] = mapped_column()
    care_staff: Mapped[int] = mapped_column()  # full-time equivalents giving direct care, nurses included
    nurses: Mapped[int] = mapped_column()  # registered nurses (护士), full-time equivalents
    is_demo: Mapped[bool] = mapped_column(default=False)
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reported_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    @property
    def staff_ratio(self):
        """Return care staff per resident."""
        return self.care_staff / self.residents

    @property
    def nursing_share(self):
        """Return the share of nurses among care staff (0 without staff)."""
        return self.nurses / self.care_staff if self.care_staff else 0.0

    @property
    def checked(self):
        """Say whether a regulator has checked the report."""
        return self.checked_at is not None


class ProviderResponse(db.Model):
    """A provider's response attached to one quality record of its home (shown next to the record)."""

    __tablename__ = "quality_provider_responses"
    __table_args__ = (sa.Index("ix_quality_provider_responses_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(sa.String(20))  # RECORD_TYPES
    record_id: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class QualityRating(db.Model):
    """A home's current quality rating under a versioned rule set; overall None means not enough data."""

    __tablename__ = "quality_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), unique=True)
    rules_id: Mapped[str] = mapped_column(sa.String(20))
    overall: Mapped[int | None] = mapped_column(sa.SmallInteger)
    capped: Mapped[bool] = mapped_column(default=False)
    warning: Mapped[bool] = mapped_column(default=False)
    sub_ratings: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {part: {"stars": n or None, ...}}
    computed_on: Mapped[date] = mapped_column(sa.Date)  # the day the rules were applied for (recency, expiry)
    computed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
