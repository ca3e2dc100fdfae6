"""All writes to homes, fees, vacancies, claims and operators. Views and the API parse input and call these.

Every change is recorded as a ListingChange (who, when, through which channel, what changed); the outbox
hook (search/outbox.py) queues the home for the search index in the same transaction.
"""

from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import signals, time
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from marketplace import pricing
from marketplace.models import FeeItem, Home, HomeClaim, ListingChange, Provider, Vacancy
from marketplace.vocab import CARE_LEVELS, FEE_KINDS, INCLUDED, SERVICES

LISTING_FIELDS = ("description", "description_en", "name_en", "address_en", "phone", "website", "visiting_hours",
                  "services", "included")
MAX_FEE_FEN = 10_000_000  # ¥100,000 a month: anything above is a typing error, not a price
DEPOSIT_MONTHS_LIMIT = 12  # 2024 national rule on prepaid fees: deposit <= 12 x the monthly bed fee
MAX_EXTRA_FEN = 2_000_000  # ¥20,000 a month for one optional extra: anything above is a typing error
MAX_PREPAYMENT_MONTHS = 120  # ten years: anything above is a typing error, not a requirement
UNCHANGED = object()  # set_fees: leave the prepayment requirement as it is
MAX_BEDS = 5000


class Actor:
    """Who makes a change: a signed-in user, or an API client acting for an operator."""

    def __init__(self, user=None, api_client_id=None, channel="portal"):
        self.user, self.api_client_id, self.channel = user, api_client_id, channel


def _record(home, actor, changes):
    if changes:
        db.session.add(ListingChange(home_id=home.id, user_id=getattr(actor.user, "id", None),
                                     api_client_id=actor.api_client_id, channel=actor.channel, changes=changes))


def _check_codes(field, values, allowed):
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ServiceError(_("Unknown values: %(values)s", values=", ".join(map(str, bad))), {field: [
            _("Allowed: %(allowed)s", allowed=", ".join(allowed))]}, code="invalid_listing")


def update_listing(home, values, actor):
    """Change listing fields of HOME (only LISTING_FIELDS); record what changed; commit."""
    unknown = sorted(set(values) - set(LISTING_FIELDS))
    if unknown:
        raise ServiceError(_("These fields cannot be changed here."), {k: [_("Not editable.")] for k in unknown})
    for field, allowed in (("services", SERVICES), ("included", INCLUDED)):
        if field in values:
            _check_codes(field, values[field], allowed)
    changes = {}
    for field, new in values.items():
        old = getattr(home, field)
        if old != new:
            changes[field] = [old, new]
            setattr(home, field, new)
    _record(home, actor, changes)
    db.session.commit()
    return changes


def _validate_fee(item):
    errors = {}
    if item["care_level"] not in CARE_LEVELS:
        errors["care_level"] = [_("Unknown care level.")]
    if item["kind"] not in FEE_KINDS:
        errors["kind"] = [_("Unknown fee kind.")]
    top = MAX_EXTRA_FEN if item["kind"] in pricing.EXTRA_KINDS else MAX_FEE_FEN
    amount = item["amount_fen"]
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= top:
        errors["amount_fen"] = [_("An amount in fen between 0 and %(max)s.", max=top)]
    if item["effective_from"] < time.today():
        errors["effective_from"] = [_("A price change cannot take effect in the past.")]
    if errors:
        raise ServiceError(_("A fee item is invalid."), errors, code="invalid_fee")


def _check_deposit_limit(fee_items, on_dates):
    """Refuse a schedule where a deposit exceeds 12 x the monthly bed fee in effect on any changed date."""
    for on in sorted(on_dates):
        for level, fees in pricing.current_fees(fee_items, on).items():
            bed, deposit = fees.get("bed"), fees.get("deposit")
            if bed and deposit and deposit.amount_fen > DEPOSIT_MONTHS_LIMIT * bed.amount_fen:
                raise ServiceError(
                    _("The deposit may not exceed 12 months of the bed fee (2024 national rule on prepaid fees)."),
                    {"deposit": [_("At most %(max)s fen for %(level)s.", max=DEPOSIT_MONTHS_LIMIT * bed.amount_fen,
                                   level=level)]}, code="deposit_over_limit")


def _validate_prepayment(months):
    """Refuse a prepayment requirement that is not a whole number of months from 0 to MAX_PREPAYMENT_MONTHS."""
    if months is None or (isinstance(months, int) and not isinstance(months, bool)
                          and 0 <= months <= MAX_PREPAYMENT_MONTHS):
        return
    raise ServiceError(_("The prepayment requirement is invalid."), {"prepayment_months": [
        _("A whole number of months from 0 to %(max)s.", max=MAX_PREPAYMENT_MONTHS)]}, code="invalid_fee")


def _set_prepayment(home, months, changes):
    if months is not UNCHANGED and months != home.prepayment_months:
        changes["prepayment_months"] = [home.prepayment_months, months]
        home.prepayment_months = months


# PostgreSQL names the constraint; SQLite names the table
_NATURAL_KEYS = ("uq_fee_items_home_level_kind_from", "uq_vacancies_home_level",
                 "UNIQUE constraint failed: fee_items.", "UNIQUE constraint failed: vacancies.")


def _once_per_natural_key(write):
    """Run WRITE(); if a concurrent identical write inserted the same natural key first, run it once more.

    The second run sees the other request's committed rows and changes only what still differs (usually
    nothing), so identical concurrent requests all succeed with the same outcome instead of a 500.
    """
    try:
        return write()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if not any(name in str(exc.orig) for name in _NATURAL_KEYS):
            raise
        return write()


def set_fees(home, items, actor, prepayment_months=UNCHANGED):
    """Add or replace fee items (natural key: care level, kind, effective date); idempotent; commit.

    Identical concurrent calls are safe: the one that loses the race to insert a key re-reads and matches.
    """
    return _once_per_natural_key(lambda: _set_fees(home, items, actor, prepayment_months))


def _set_fees(home, items, actor, prepayment_months):
    """Apply fee ITEMS to HOME (see set_fees); commit.

    ITEMS: [{care_level, kind, amount_fen, effective_from (date)}]; kinds include the optional extras (extra_*).
    A price change with a later effective date is announced to families until it applies; history is kept.
    PREPAYMENT_MONTHS (None: not stated) sets the months the home requires paid in advance; over 12 is
    recorded, and flagged to families (pricing.prepayment_over_limit).
    """
    for item in items:
        _validate_fee(item)
    if prepayment_months is not UNCHANGED:
        _validate_prepayment(prepayment_months)
    existing = {(f.care_level, f.kind, f.effective_from): f for f in home.fee_items}
    # check the schedule as it would be before touching any row: a refused write changes nothing
    prospective = {key: SimpleNamespace(care_level=key[0], kind=key[1], effective_from=key[2],
                                         amount_fen=row.amount_fen) for key, row in existing.items()}
    for item in items:
        key = (item["care_level"], item["kind"], item["effective_from"])
        prospective[key] = SimpleNamespace(care_level=key[0], kind=key[1], effective_from=key[2],
                                           amount_fen=item["amount_fen"])
    _check_deposit_limit(prospective.values(), {i["effective_from"] for i in items} | {time.today()})
    changes = {}
    for item in items:
        key = (item["care_level"], item["kind"], item["effective_from"])
        row = existing.get(key)
        if row is None:
            row = FeeItem(care_level=key[0], kind=key[1], effective_from=key[2], amount_fen=item["amount_fen"])
            home.fee_items.append(row)
            existing[key] = row
            changes[f"{key[0]}.{key[1]}@{key[2].isoformat()}"] = [None, item["amount_fen"]]
        elif row.amount_fen != item["amount_fen"]:
            changes[f"{key[0]}.{key[1]}@{key[2].isoformat()}"] = [row.amount_fen, item["amount_fen"]]
            row.amount_fen = item["amount_fen"]
        else:
            continue
        row.source, row.recorded_at = _source(actor), utcnow()
    _set_prepayment(home, prepayment_months, changes)
    _record(home, actor, changes)
    db.session.commit()
    return changes


def confirm_vacancies(home, free_beds, actor):
    """Set and confirm free beds per care level ({level: n}; the same numbers re-confirm them); commit.

    Each level named is confirmed as of now; levels not named keep their own confirmation. Re-confirming
    unchanged numbers is cheap: it renews the confirmation times (and so the home's search document) and
    writes no change-history row; only changed numbers are history.
    """
    return _once_per_natural_key(lambda: _confirm_vacancies(home, free_beds, actor))


def _confirm_vacancies(home, free_beds, actor):
    errors = {level: [_("Unknown care level.")] for level in free_beds if level not in CARE_LEVELS}
    errors.update({level: [_("Free beds must be a whole number from 0 to %(max)s.", max=MAX_BEDS)]
                   for level, n in free_beds.items() if level not in errors and not _is_bed_count(n)})
    if errors:
        raise ServiceError(_("Free beds are invalid."), errors, code="invalid_vacancies")
    now, changes = utcnow(), {}
    for level, beds in free_beds.items():
        row = home.vacancy_for(level)
        if row is None:
            row = Vacancy(care_level=level, beds_free=beds)
            home.vacancies.append(row)
            changes[f"vacancy.{level}"] = [None, beds]
        elif row.beds_free != beds:
            changes[f"vacancy.{level}"] = [row.beds_free, beds]
        row.beds_free, row.confirmed_at, row.source = beds, now, _source(actor)
    changes["vacancy.confirmed_at"] = [None, now.isoformat()]
    if len(changes) > 1:  # a number changed: that is history; a bare re-confirmation is not
        _record(home, actor, changes)
    db.session.commit()
    return changes


def _is_bed_count(n):
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_BEDS


def _source(actor):
    if actor.channel == "api":
        return f"provider API client {actor.api_client_id}"
    if actor.channel == "regulator":
        return "regulator"
    return "provider portal"


def create_provider(name, user):
    """Create an operator account for USER (who becomes its staff, role provider); unverified; commit."""
    name = (name or "").strip()
    if not 2 <= len(name) <= 200:
        raise ServiceError(_("Give the operator's registered name."), {"name": [_("2 to 200 characters.")]})
    provider = Provider(name=name)
    db.session.add(provider)
    db.session.flush()
    user.provider_id, user.role = provider.id, "provider"
    db.session.commit()
    return provider


def claim_home(provider, licence_no, user):
    """Ask to manage the home with filing number LICENCE_NO; a regulator of its place decides; commit."""
    home = db.session.scalar(sa.select(Home).where(Home.licence_no == (licence_no or "").strip())) \
        if (licence_no or "").strip() else None
    if home is None:
        raise ServiceError(_("No home has this filing number."), {"licence_no": [_("Unknown filing number.")]},
                           status=404, code="unknown_licence")
    return _new_claim(provider, home, user, "licence_no", licence_no=home.licence_no)


CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_credit_code(code):
    """Say whether CODE is a well-formed unified social credit code (18 characters, its check character right)."""
    if len(code or "") != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        return False
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31] == code[17]


def claim_home_with_documents(provider, home_id, credit_code, evidence, user):
    """Ask to manage home HOME_ID, listed without a filing number, with the operator's unified social credit code
    and a description of the documents that show it runs the home; a regulator of its place decides; commit."""
    home = db.session.get(Home, home_id) if isinstance(home_id, int) else None
    if home is None:
        raise ServiceError(_("No such home."), {"credit_code": [_("Choose the home on its page.")]}, status=404,
                           code="unknown_home")
    if home.licence_no:
        raise ServiceError(_("This home has a filing number: claim it with that number."),
                           {"credit_code": [_("Use the filing number instead.")]}, status=409,
                           code="has_filing_number")
    code = "".join((credit_code or "").split()).upper()
    if not valid_credit_code(code):
        raise ServiceError(_("Give the operator's unified social credit code."),
                           {"credit_code": [_("18 characters, as on the business licence.")]},
                           code="invalid_credit_code")
    evidence = (evidence or "").strip()
    if not 10 <= len(evidence) <= 2000:
        raise ServiceError(_("Say which documents show that your operator runs this home."),
                           {"evidence": [_("10 to 2000 characters.")]}, code="invalid_evidence")
    return _new_claim(provider, home, user, "credit_code", licence_no="", credit_code=code, evidence=evidence)


def _new_claim(provider, home, user, field, **values):
    if home.provider_id == provider.id:
        raise ServiceError(_("Your operator already manages this home."), {field: [_("Already yours.")]},
                           status=409, code="already_managed")
    pending = db.session.scalar(sa.select(HomeClaim).where(HomeClaim.home_id == home.id,
                                                           HomeClaim.provider_id == provider.id,
                                                           HomeClaim.status == "pending"))
    if pending:
        return pending
    claim = HomeClaim(home_id=home.id, provider_id=provider.id, created_by_id=user.id, **values)
    db.session.add(claim)
    db.session.flush()
    signals.claim_event.send(None, claim=claim, event="filed")  # before the commit: told with the change
    db.session.commit()
    return claim


def decide_claim(claim, regulator, approve, note=""):
    """Approve or reject a pending (or disputed) claim; commit.

    An approved claim on a home nobody runs moves it at once. On a home another operator runs, that operator
    is told (its portal dashboard) and may dispute until CLAIM_DISPUTE_DAYS business days have passed; the
    daily job (transfer_claims_due) then moves it. A disputed claim a regulator approves moves it at once.
    """
    if claim.status not in ("pending", "disputed"):
        raise ServiceError(_("This claim was already decided."), status=409, code="already_decided")
    heard_dispute = claim.status == "disputed"
    claim.status = "approved" if approve else "rejected"
    claim.note, claim.decided_by_id, claim.decided_at = note, regulator.id, utcnow()
    if approve:
        home = db.session.get(Home, claim.home_id)
        _reject_rival_claims(claim, regulator)
        if home.provider_id is None or heard_dispute:
            _transfer(claim, home, Actor(regulator, channel="regulator"))
        else:
            claim.previous_provider_id = home.provider_id
            claim.transfer_due_on = time.add_business_days(time.today(), current_app.config["CLAIM_DISPUTE_DAYS"])
    signals.claim_event.send(None, claim=claim, event=claim.status)
    db.session.commit()
    return claim


def _transfer(claim, home, actor):
    _record(home, actor, {"provider_id": [home.provider_id, claim.provider_id]})
    home.provider_id, claim.transferred_at = claim.provider_id, utcnow()


def dispute_claim(claim, user, note):
    """Dispute, for the operator now running the home, a claim approved on it; a regulator decides again; commit."""
    if not claim.awaiting_transfer or claim.previous_provider_id is None:
        raise ServiceError(_("This claim cannot be disputed any more."), status=409, code="not_disputable")
    if time.today() >= claim.transfer_due_on:
        raise ServiceError(_("The period to dispute this claim is over."), status=409, code="dispute_period_over")
    note = (note or "").strip()
    if not 5 <= len(note) <= 2000:
        raise ServiceError(_("Say why the claim is wrong."), {"note": [_("5 to 2000 characters.")]},
                           code="invalid_dispute")
    claim.status, claim.disputed_at, claim.disputed_by_id, claim.dispute_note = "disputed", utcnow(), user.id, note
    signals.claim_event.send(None, claim=claim, event="disputed")
    db.session.commit()
    return claim


def transfer_claims_due(on=None):
    """Move each home whose approved claim's dispute period passed undisputed by ON (default today); commit.

    A daily job: idempotent, since a moved claim is marked transferred. A home whose operator changed in the
    meantime is not moved; the claim is rejected with a note.
    """
    on = on or time.today()
    due = db.session.scalars(sa.select(HomeClaim).where(HomeClaim.status == "approved",
                                                        HomeClaim.transferred_at.is_(None),
                                                        HomeClaim.transfer_due_on <= on)
                             .order_by(HomeClaim.id).with_for_update()).all()
    for claim in due:
        home = db.session.get(Home, claim.home_id)
        if home.provider_id != claim.previous_provider_id:
            claim.status, claim.note = "rejected", _("The home's operator changed before this claim took effect.")
            continue
        _transfer(claim, home, Actor(SimpleNamespace(id=claim.decided_by_id), channel="regulator"))
    db.session.commit()
    return len(due)


def _reject_rival_claims(approved, regulator):
    rivals = db.session.scalars(sa.select(HomeClaim).where(HomeClaim.home_id == approved.home_id,
                                                          HomeClaim.status == "pending", HomeClaim.id != approved.id))
    for rival in rivals:
        rival.status, rival.decided_by_id, rival.decided_at = "rejected", regulator.id, utcnow()
        rival.note = _("Another operator's claim to this home was approved.")
        signals.claim_event.send(None, claim=rival, event="rejected")


def verify_provider(provider, regulator):
    """Mark PROVIDER verified by REGULATOR, so its changes publish; commit."""
    if provider.verified_at is not None:
        raise ServiceError(_("This operator is already verified."), status=409, code="already_verified")
    provider.verified_at, provider.verified_by_id = utcnow(), regulator.id
    db.session.commit()
    return provider


MAX_PIN_OFFSET_KM = 60  # a corrected pin this far from the home's district (or city) centre is a slip


def correct_location(home, lat, lon, actor):
    """Place HOME's pin at (LAT, LON) in WGS-84, as its operator or a regulator saw it; mark it verified; commit."""
    from geo.coords import out_of_china
    from geo.distance import haversine_km
    from geo.gazetteer import gazetteer

    area = gazetteer().district(home.district_code or "") or gazetteer().city(home.city_code)
    if lat is None or lon is None or out_of_china(lat, lon) or (
            area is not None and haversine_km(lat, lon, area.lat, area.lon) > MAX_PIN_OFFSET_KM):
        raise ServiceError(_("Place the pin on the home, inside its district."),
                           {"lat": [_("A point near the home's district.")]}, code="invalid_location")
    lat, lon = round(lat, 6), round(lon, 6)
    changes = {"location": [[home.lat, home.lon], [lat, lon]]}
    home.lat, home.lon, home.location_approximate = lat, lon, False
    home.location_precision, home.location_verified = "rooftop", True
    _record(home, actor, changes)
    db.session.commit()
    return home
