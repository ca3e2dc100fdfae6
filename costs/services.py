"""Writes of costs/: load the shipped facts, publish a new facts version, list stale facts, record designations.

A published version is never changed: an edit publishes a whole new version (every fact copied, the edited one
replaced or added), so an estimate made with version N can always be made again with version N.
"""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts import permissions
from core import time
from core.errors import ServiceError
from core.extensions import db
from costs import facts as factlib
from costs.models import DESIGNATION_KINDS, FACT_STATUSES, FactVersion, HomeDesignation, PolicyFact, StaleFact
from geo.gazetteer import gazetteer

DOC_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")  # to the year, the month or the day
TEXT_LIMITS = {"doc_title": 300, "doc_number": 100, "doc_issuer": 200, "doc_url": 500, "verified_by": 200,
               "grade": 20}


# --- versions -----------------------------------------------------------------------------------------


def _next_number():
    return (db.session.scalar(sa.select(sa.func.max(FactVersion.number))) or 0) + 1


def _row(fact):
    doc = fact.document
    return PolicyFact(code=fact.code, key=fact.key, origin_region=fact.origin_region,
                      home_region=fact.home_region, grade=fact.grade, value=fact.value,
                      effective_from=fact.effective_from, effective_to=fact.effective_to,
                      doc_title=doc["title"], doc_number=doc.get("number"), doc_issuer=doc.get("issuer"),
                      doc_date=doc.get("date"), doc_url=doc.get("url"), quote=fact.quote,
                      verified_on=fact.verified_on, verified_by=fact.verified_by, status=fact.status,
                      reason=fact.reason, note=fact.note, note_zh=fact.note_zh, reason_zh=fact.reason_zh)


def _publish(fact_list, origin, note="", user=None, seed_version=None):
    version = FactVersion(number=_next_number(), origin=origin, note=note[:500], seed_version=seed_version,
                          published_by_id=user.id if user is not None else None)
    version.facts = [_row(f) for f in fact_list]
    db.session.add(version)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:  # another version got this number first: nothing was published
        db.session.rollback()
        raise ServiceError(_("Someone published a version at the same moment; please try again."),
                           code="conflict", status=409) from exc
    factlib.forget_current()
    return version


def load_seed_facts(replace_edits=False):
    """Publish the shipped seed as a new version unless it is already loaded; return (version, loaded?).

    A newer seed does not silently undo facts edited on the site since: without REPLACE_EDITS it refuses.
    """
    seed = factlib.seed_facts()
    loaded = db.session.scalars(sa.select(FactVersion).where(FactVersion.seed_version == seed.seed_version)
                                .order_by(FactVersion.number)).first()
    if loaded is not None:
        return loaded, False
    newest = db.session.scalars(sa.select(FactVersion).order_by(FactVersion.number.desc())).first()
    if newest is not None and newest.origin == "edit" and not replace_edits:
        raise ServiceError(_("Facts were edited on the site since the last seed; load with --replace-edits "
                             "to publish the shipped seed over them."), code="conflict", status=409)
    return _publish(seed.facts, "seed", f"seed {seed.seed_version}", seed_version=seed.seed_version), True


# --- editing ------------------------------------------------------------------------------------------


def _region_ok(code):
    gz = gazetteer()
    return code is None or bool(gz.province(code) or gz.city(code) or gz.district(code))


def _province_and_city(code):
    gz = gazetteer()
    region = gz.district(code) or gz.city(code)
    if region is not None:
        return region.province_code, region.city_code
    return code, None


def may_edit_scope(user, origin_region, home_region):
    """Say whether USER may edit a fact of this scope (accounts.permissions.edits_policy_fact)."""
    places = [_province_and_city(c) for c in (origin_region, home_region) if c]
    return permissions.edits_policy_fact(user, places)


def _parse_value(kind, raw):
    raw = (raw or "").strip()
    if kind == "bool":
        if raw.lower() in ("true", "yes", "1"):
            return True
        if raw.lower() in ("false", "no", "0"):
            return False
        raise ValueError(_("Enter true or false."))
    if kind == "grades":
        grades = [int(p) for p in re.split(r"[,\s]+", raw) if p]
        if not grades or any(g < 0 or g > 6 for g in grades):
            raise ValueError(_("Enter grades 0 to 6, separated by commas."))
        return sorted(set(grades))
    if kind == "text":
        if not raw:
            raise ValueError(_("This field is required."))
        return raw[:200]
    number = int(raw)  # ValueError for anything else
    upper = {"percent": 100, "months": 120, "minutes": 24 * 60}.get(kind)
    if number < 0 or (upper is not None and number > upper):
        raise ValueError(_("Out of range."))
    return number


def _check_value(data, errors):
    kind = factlib.KEYS[data["key"]][0]
    try:
        return _parse_value(kind, data.get("value"))
    except ValueError as exc:
        message = str(exc) if str(exc) and not str(exc).startswith("invalid literal") else _("Enter a whole number.")
        errors["value"] = [message]
        return None


def _check_url(url, errors):
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["doc_url"] = [_("Enter the full address of the document (https://...).")]
    elif parts.path in ("", "/") and not parts.query:
        errors["doc_url"] = [_("Link the document itself, not the issuing body's home page.")]


def _check_evidence(data, errors):
    status = data.get("status")
    if status not in FACT_STATUSES:
        errors["status"] = [_("Choose verified, secondary source or unverified.")]
    if not data.get("doc_title"):
        errors["doc_title"] = [_("Name the document (or the secondary source) this fact rests on.")]
    if data.get("doc_date") and not DOC_DATE.match(data["doc_date"]):
        errors["doc_date"] = [_("Give the date as YYYY, YYYY-MM or YYYY-MM-DD.")]
    _check_url(data.get("doc_url"), errors)
    needed = {"verified": ("doc_url", "quote", "verified_on", "verified_by"),
              "secondary": ("verified_on", "verified_by", "reason"),
              "unverified": ("reason",)}.get(status, ())
    for name in needed:
        if not data.get(name):
            errors.setdefault(name, [_("Required for this status.")])
    if data.get("verified_on") and data["verified_on"] > time.today():
        errors["verified_on"] = [_("The date of verification cannot be in the future.")]


def _check_scope(data, errors):
    for name in ("origin_region", "home_region"):
        if not _region_ok(data.get(name)):
            errors[name] = [_("Unknown region code.")]
    frm, to = data.get("effective_from"), data.get("effective_to")
    if frm and to and to < frm:
        errors["effective_to"] = [_("The end date is before the start date.")]
    for name, limit in TEXT_LIMITS.items():
        if data.get(name) and len(data[name]) > limit:
            errors[name] = [_("At most %(n)s characters.", n=limit)]


def build_fact(data):
    """Return a Fact from the editor's DATA (strings, dates or None), or raise ServiceError with field errors."""
    errors = {}
    data = {k: (None if v == "" else v) for k, v in data.items()}  # an empty field is no value
    if data.get("key") not in factlib.KEYS:
        raise ServiceError(_("Unknown fact."), {"key": [_("Unknown fact.")]}, code="invalid_parameters")
    value = _check_value(data, errors)
    _check_evidence(data, errors)
    _check_scope(data, errors)
    if errors:
        raise ServiceError(_("Some fields need your attention."), errors, code="invalid_parameters")
    scope = {name: data.get(name) or None for name in factlib.SCOPE_FIELDS}
    return factlib.Fact(
        code=factlib.fact_code(data["key"], **scope, effective_from=data.get("effective_from")),
        key=data["key"], value=value, status=data["status"],
        document={"title": data["doc_title"], "number": data.get("doc_number") or None,
                  "issuer": data.get("doc_issuer") or None, "date": data.get("doc_date") or None,
                  "url": data.get("doc_url") or None},
        **scope, effective_from=data.get("effective_from"), effective_to=data.get("effective_to"),
        quote=data.get("quote") or None, verified_on=data.get("verified_on"),
        verified_by=data.get("verified_by") or None, reason=data.get("reason") or None,
        note=data.get("note") or "", note_zh=data.get("note_zh") or None, reason_zh=data.get("reason_zh") or None)


def apply_edit(current, original_code, fact, mode="replace"):
    """Return the facts of CURRENT with FACT replacing ORIGINAL_CODE (mode replace) or added beside it (add)."""
    kept = [f for f in current.facts if not (mode == "replace" and f.code == original_code)]
    if any(f.code == fact.code for f in kept):
        raise ServiceError(_("Another fact already has this scope and start date."),
                           {"effective_from": [_("Give the new fact its own start date or scope.")]},
                           code="conflict", status=409)
    return factlib.FactSet(None, [*kept, fact])


def publish_fact_edit(user, original_code, data, note="", mode="replace"):
    """Check the editor's DATA and USER's right to it, then publish a new version with the change."""
    current = factlib.current_facts()
    original = current.by_code(original_code)
    if original is None:
        raise ServiceError(_("This fact is no longer in the current version."), code="not_found", status=404)
    fact = build_fact(data)
    if not (may_edit_scope(user, original.origin_region, original.home_region)
            and may_edit_scope(user, fact.origin_region, fact.home_region)):
        raise ServiceError(_("This fact lies outside your jurisdiction."), code="forbidden", status=403)
    edited = apply_edit(current, original_code, fact, mode)
    if current.number is None:  # the seed has not been loaded: keep it as version 1 first
        load_seed_facts()
    return _publish(edited.facts, "edit", note, user)


# --- the daily job ------------------------------------------------------------------------------------


def list_stale_facts():
    """List the current version's facts last verified over a year ago (or never); replaces yesterday's list."""
    current = factlib.current_facts()
    today = time.today()
    limit = today - timedelta(days=factlib.STALE_AFTER_DAYS)
    db.session.execute(sa.delete(StaleFact))
    stale = [f for f in current.facts if f.verified_on is None or f.verified_on < limit]
    db.session.add_all(StaleFact(version_number=current.number or 0, code=f.code, origin_region=f.origin_region,
                                 home_region=f.home_region, verified_on=f.verified_on, listed_on=today)
                       for f in stale)
    db.session.commit()
    return len(stale)


def stale_facts_for(user):
    """Return the stale facts USER may act on (a regulator: their jurisdiction's and national ones)."""
    rows = db.session.scalars(sa.select(StaleFact).order_by(StaleFact.verified_on.is_not(None),
                                                             StaleFact.verified_on, StaleFact.code)).all()
    return [r for r in rows if not (r.origin_region or r.home_region)
            or may_edit_scope(user, r.origin_region, r.home_region)]


# --- designations -------------------------------------------------------------------------------------


def record_designation(home, kind, source, source_date=None, scheme_region=None, basis="imported", user=None):
    """Record HOME's designation KIND (imported: confirmed at once; declared: pending a regulator)."""
    errors = {}
    if not source:
        errors["source"] = [_("Say where the designation comes from.")]
    if kind not in DESIGNATION_KINDS:
        errors["kind"] = [_("Unknown designation.")]
    if scheme_region and gazetteer().city(scheme_region) is None:
        errors["scheme_region"] = [_("Give the code of a city.")]
    if errors:
        raise ServiceError(_("Some fields need your attention."), errors, code="invalid_parameters")
    status = "confirmed" if basis == "imported" else "pending"
    row = HomeDesignation(home_id=home.id, kind=kind, scheme_region=scheme_region, basis=basis, status=status,
                          source=source[:300], source_date=source_date,
                          declared_by_id=user.id if basis == "declared" and user is not None else None)
    db.session.add(row)
    _sync_flags(home, row)
    db.session.commit()
    return row


def confirm_designation(row, user, home):
    """Confirm a declared designation (a regulator of the home's place); the home's flags follow."""
    row.status, row.confirmed_by_id, row.confirmed_at = "confirmed", user.id, time.utcnow()
    _sync_flags(home, row)
    db.session.commit()
    return row


def _sync_flags(home, row):
    own = row.scheme_region in (None, home.city_code)
    if row.status == "confirmed" and own and not getattr(home, row.kind):
        setattr(home, row.kind, True)  # the search outbox sees the change and bumps the home's version


def designation_date(value):
    """Parse an ISO date, or None."""
    return date.fromisoformat(value) if value else None


def import_designations(rows):
    """Record imported designations from ROWS (dicts: licence_no or home_id, kind, scheme_region, source,
    source_date); all or nothing. Return how many were recorded, or raise ServiceError naming the lines."""
    from marketplace.models import Home

    planned, problems = [], {}
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        key = (row.get("licence_no") or "").strip()
        home = db.session.scalars(sa.select(Home).where(Home.licence_no == key)).first() if key else \
            db.session.get(Home, int(row["home_id"])) if (row.get("home_id") or "").isdigit() else None
        if home is None:
            problems[f"line {line}"] = [_("No such home.")]
            continue
        try:
            planned.append((home, row["kind"].strip(), row["source"].strip(), designation_date(row.get("source_date")),
                            (row.get("scheme_region") or "").strip() or None))
        except (KeyError, ValueError, AttributeError):
            problems[f"line {line}"] = [_("Give kind, source and an ISO source_date.")]
            continue
        if planned[-1][1] not in DESIGNATION_KINDS or not planned[-1][2]:
            problems[f"line {line}"] = [_("Give kind, source and an ISO source_date.")]
    if problems:
        raise ServiceError(_("Nothing was imported."), problems, code="invalid_parameters")
    for home, kind, source, day, scheme in planned:
        record_designation(home, kind, source, day, scheme, basis="imported")
    return len(planned)
