"""Policy facts with their evidence, in published versions; and which insurance a home takes (designations).

A fact version is a complete, immutable set of facts: publishing an edit copies every fact of the current
version into a new one with the change applied, so any estimate can be reproduced by its version number.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

FACT_STATUSES = ("verified", "secondary", "unverified")
DESIGNATION_KINDS = ("ltci", "cross_province_settlement", "medical_insurance")
DESIGNATION_BASES = ("imported", "declared")
DESIGNATION_STATUSES = ("pending", "confirmed", "rejected")


class FactVersion(db.Model):
    """One published set of policy facts; `number` is what estimates record and reproduce by."""

    __tablename__ = "policy_fact_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    origin: Mapped[str] = mapped_column(sa.String(20))  # seed | edit
    seed_version: Mapped[str | None] = mapped_column(sa.String(40))  # the shipped seed file's version, if seeded
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    published_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    facts: Mapped[list["PolicyFact"]] = relationship(back_populates="version", cascade="all, delete-orphan",
                                                     order_by="PolicyFact.id")


class PolicyFact(db.Model):
    """One policy fact of one version: the value, where and when it holds, and the evidence for it.

    Scope: origin_region is where the parent is insured (the family's place for travel facts), home_region
    where the home is, grade the assessment grade; None means "any". doc_date is ISO, to the month
    ("2021-01") or the year where only that is known.
    """

    __tablename__ = "policy_facts"
    __table_args__ = (sa.Index("ix_policy_facts_version_key", "version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_fact_versions.id"))
    code: Mapped[str] = mapped_column(sa.String(120))  # stable across versions: key + scope + effective_from
    key: Mapped[str] = mapped_column(sa.String(60))
    origin_region: Mapped[str | None] = mapped_column(sa.String(6))
    home_region: Mapped[str | None] = mapped_column(sa.String(6))
    grade: Mapped[str | None] = mapped_column(sa.String(20))
    value: Mapped[object] = mapped_column(sa.JSON)
    effective_from: Mapped[date | None] = mapped_column(sa.Date)
    effective_to: Mapped[date | None] = mapped_column(sa.Date)
    doc_title: Mapped[str] = mapped_column(sa.String(300))
    doc_number: Mapped[str | None] = mapped_column(sa.String(100))
    doc_issuer: Mapped[str | None] = mapped_column(sa.String(200))
    doc_date: Mapped[str | None] = mapped_column(sa.String(10))
    doc_url: Mapped[str | None] = mapped_column(sa.String(500))
    quote: Mapped[str | None] = mapped_column(sa.Text)
    verified_on: Mapped[date | None] = mapped_column(sa.Date)
    verified_by: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it is not verified, or what is still missing
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # the note and the reason as zh-CN pages show them (data, not msgids); None: the English one is shown
    note_zh: Mapped[str | None] = mapped_column(sa.Text)
    reason_zh: Mapped[str | None] = mapped_column(sa.Text)

    version: Mapped[FactVersion] = relationship(back_populates="facts")


class StaleFact(db.Model):
    """A fact of the current version whose last verification is over a year old (or never): the daily job's list."""

    __tablename__ = "policy_fact_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_number: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(120))
    origin_region: Mapped[str | None] = mapped_column(sa.String(6))
    home_region: Mapped[str | None] = mapped_column(sa.String(6))
    verified_on: Mapped[date | None] = mapped_column(sa.Date)
    listed_on: Mapped[date] = mapped_column(sa.Date)


class HomeDesignation(db.Model):
    """A home's designation for an insurance scheme, with its own source and date.

    kind ltci: the home is a designated provider of the LTCI scheme of `scheme_region` (an insuring city; the
    home's own city when None). Imported rows count at once; provider-declared ones once a regulator confirms.
    """

    __tablename__ = "home_designations"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    scheme_region: Mapped[str | None] = mapped_column(sa.String(6))
    basis: Mapped[str] = mapped_column(sa.String(20))  # imported | declared
    status: Mapped[str] = mapped_column(sa.String(20))  # pending | confirmed | rejected
    source: Mapped[str] = mapped_column(sa.String(300))
    source_date: Mapped[date | None] = mapped_column(sa.Date)
    declared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
