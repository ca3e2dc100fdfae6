"""Care homes, their operators, fee items per care level and vacancies. SQL is the system of record."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import time
from core.db import UTCDateTime, utcnow
from core.extensions import db
from marketplace import freshness, pricing


def grade_in_force(grade, valid_until, on=None):
    """Return GRADE if its certificate is in force ON a date (default today), else None: expired counts as none.

    A grade without a recorded expiry date is taken as in force (the register gave no end date).
    """
    if grade is None or (valid_until is not None and valid_until < (on or time.today())):
        return None
    return grade


def grade_expired(grade, valid_until, on=None):
    """Say whether a recorded GRADE has expired ON a date (default today)."""
    return grade is not None and grade_in_force(grade, valid_until, on) is None


class Provider(db.Model):
    """An operator (运营方) running one or more homes."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # a regulator verifies an operator before its changes are published
    verified_at: Mapped[object | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True))

    homes: Mapped[list["Home"]] = relationship(back_populates="provider")


class Home(db.Model):
    """A care home (养老机构). `version` counts every change that search shows (marketplace/search_documents.py)."""

    __tablename__ = "homes"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    licence_no: Mapped[str | None] = mapped_column(sa.String(40), unique=True)  # 养老机构备案号
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    province_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    city_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    # None: the source located the home only to its city (accepted at city level, pin approximate)
    district_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    address_en: Mapped[str] = mapped_column(sa.String(300), default="")
    lat: Mapped[float | None] = mapped_column(sa.Float)  # WGS-84; None: no source placed it
    lon: Mapped[float | None] = mapped_column(sa.Float)  # WGS-84
    location_approximate: Mapped[bool] = mapped_column(default=False)
    # rooftop | street | district | city (the geocoder's or the centre's precision); None: given by the source
    location_precision: Mapped[str | None] = mapped_column(sa.String(20))
    location_verified: Mapped[bool] = mapped_column(default=False)  # a provider or regulator placed the pin
    former_district_name: Mapped[str | None] = mapped_column(sa.String(40))  # 闸北区 for a home now in 静安区
    ownership: Mapped[str | None] = mapped_column(sa.String(20))  # None: not published (never "private")
    grade: Mapped[int | None] = mapped_column(sa.SmallInteger)  # GB/T 37276-2018, 1..5
    grade_valid_until: Mapped[date | None] = mapped_column(sa.Date)
    grade_source: Mapped[str] = mapped_column(sa.String(200), default="")
    beds_total: Mapped[int | None] = mapped_column()  # None: not published (never 0)
    # months of fees the home requires paid in advance (预收费); None: not stated. Over 12 is recorded but flagged
    prepayment_months: Mapped[int | None] = mapped_column(sa.SmallInteger)
    phone: Mapped[str | None] = mapped_column(sa.String(40))  # None: not published
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    visiting_hours: Mapped[str] = mapped_column(sa.String(100), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    services: Mapped[list] = mapped_column(sa.JSON, default=list)
    included: Mapped[list] = mapped_column(sa.JSON, default=list)
    medical_insurance: Mapped[bool] = mapped_column(default=False)  # 医保定点
    ltci: Mapped[bool] = mapped_column(default=False)  # 长护险定点
    cross_province_settlement: Mapped[bool] = mapped_column(default=False)  # 异地就医直接结算
    integrated_medical: Mapped[bool] = mapped_column(default=False)  # 医养结合
    dementia_unit: Mapped[bool] = mapped_column(default=False)  # 认知症照护专区
    review_score: Mapped[float | None] = mapped_column(sa.Float)
    review_count: Mapped[int] = mapped_column(default=0)
    quality_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)  # quality/rules.py; None: not enough data
    quality_warning: Mapped[bool] = mapped_column(default=False)  # a serious sanction in the last 12 months
    is_demo: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # where the listing came from
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider | None] = relationship(back_populates="homes")
    fee_items: Mapped[list["FeeItem"]] = relationship(back_populates="home", cascade="all, delete-orphan",
                                                      order_by="FeeItem.effective_from")
    vacancies: Mapped[list["Vacancy"]] = relationship(back_populates="home", cascade="all, delete-orphan")

    @property
    def features(self):
        """Return the feature codes this home has."""
        from marketplace.vocab import FEATURES

        return [f for f in FEATURES if getattr(self, f)]

    def grade_in_force(self, on=None):
        """Return the national grade in force ON a date (default today), or None (none, or expired)."""
        return grade_in_force(self.grade, self.grade_valid_until, on)

    def grade_expired(self, on=None):
        """Say whether the home's recorded national grade has expired ON a date (default today)."""
        return grade_expired(self.grade, self.grade_valid_until, on)

    def current_fees(self, on=None):
        """Return {care_level: {kind: FeeItem}} in effect ON a date (default today)."""
        return pricing.current_fees(self.fee_items, on)

    def upcoming_fees(self, on=None):
        """Return fee items that take effect after ON (price-change notices)."""
        return pricing.upcoming_fees(self.fee_items, on)

    def monthly_price_for(self, care_level, on=None):
        """Return the all-in monthly price in fen (bed + care + meals) for CARE_LEVEL, or None."""
        return pricing.monthly_price(self.current_fees(on).get(care_level))

    def monthly_prices(self, on=None):
        """Return {care_level: monthly price in fen} for the levels this home accepts."""
        return pricing.monthly_prices(self.fee_items, on)

    def vacancy_for(self, care_level):
        """Return the Vacancy row for CARE_LEVEL, or None."""
        return next((v for v in self.vacancies if v.care_level == care_level), None)

    @property
    def beds_free(self):
        """Return the free beds over all care levels; None when no free beds were ever reported."""
        return sum(v.beds_free for v in self.vacancies) if self.vacancies else None

    @property
    def vacancy_confirmed_at(self):
        """Return the oldest confirmation among the levels this home offers (marketplace/freshness.py), or None."""
        return freshness.confirmed_at(self.fee_items, self.vacancies)


class FeeItem(db.Model):
    """One fee of a home for one care level, in integer fen, in effect from a date (history is kept)."""

    __tablename__ = "fee_items"
    __table_args__ = (sa.UniqueConstraint("home_id", "care_level", "kind", "effective_from",
                                          name="uq_fee_items_home_level_kind_from"),
                      sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    care_level: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(20))  # bed | care | meals (monthly) | deposit (one-off)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    home: Mapped[Home] = relationship(back_populates="fee_items")


class Vacancy(db.Model):
    """Free beds of a home for one care level, with when and by whom they were last confirmed."""

    __tablename__ = "vacancies"
    __table_args__ = (sa.UniqueConstraint("home_id", "care_level", name="uq_vacancies_home_level"),
                      sa.CheckConstraint("beds_free >= 0", name="beds_free_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    care_level: Mapped[str] = mapped_column(sa.String(20))
    beds_free: Mapped[int] = mapped_column(default=0)
    confirmed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(200), default="")

    home: Mapped[Home] = relationship(back_populates="vacancies")


class HomeClaim(db.Model):
    """An operator claims a home by its filing number (养老机构备案号), or, for a home without one, with its
    unified social credit code and the documents that show it runs the home; a regulator of the place decides.

    Approving a claim on a home another operator runs does not move it at once: that operator is told and may
    dispute until `transfer_due_on` (CLAIM_DISPUTE_DAYS business days later); undisputed, the daily job moves
    the home on that date (`transferred_at`). A dispute sends the claim back to a regulator (status disputed).
    """

    __tablename__ = "home_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    licence_no: Mapped[str] = mapped_column(sa.String(40))  # "" for a home listed without one
    # a home without a filing number (a directory gave only its name and address) is claimed with the operator's
    # unified social credit code (统一社会信用代码) and a description of the documents a regulator checks
    credit_code: Mapped[str | None] = mapped_column(sa.String(18))
    evidence: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # pending | approved | rejected | disputed (back with a regulator)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # the operator running the home when the claim was approved (None: nobody, so it moved at once)
    previous_provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    transfer_due_on: Mapped[date | None] = mapped_column(sa.Date)  # business date the move takes effect
    transferred_at: Mapped[object | None] = mapped_column(UTCDateTime)
    disputed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    disputed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    dispute_note: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def awaiting_transfer(self):
        """Say whether the claim is approved and the home has not moved yet (the dispute period runs)."""
        return self.status == "approved" and self.transferred_at is None


class ListingChange(db.Model):
    """One change to a home's listing, fees or vacancies: who, when, through what, and what changed."""

    __tablename__ = "listing_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    api_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(20))  # portal | api | regulator | import
    changes: Mapped[dict] = mapped_column(sa.JSON)  # {field: [old, new]}
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
