"""Policy facts as the estimator and the cross-province panel read them: one immutable set per version.

The current set is the newest published version in SQL (costs.models); before any version is loaded the shipped
seed (costs/data/facts.json) answers, labelled as such. Every fact carries its evidence and a status:
verified (read in the document, linked, quoted), secondary (a secondary source, or not yet linked and quoted),
unverified (no source: "to be confirmed", never silently added to a family's total).
"""

import functools
import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import has_app_context, has_request_context, request
from flask_babel import lazy_gettext as _l

from core import time
from core.errors import NotFound
from core.extensions import db
from costs.models import FactVersion, PolicyFact
from costs.rules import DATA

SEED_FILE = DATA / "facts.json"
SCOPE_FIELDS = ("origin_region", "home_region", "grade")
DOC_FIELDS = ("title", "number", "issuer", "date", "url")
STALE_AFTER_DAYS = 365

# every key a fact may have: (value kind, what it means); the editor validates values by kind
KEYS = {
    "ltci.runs": ("bool", _l("The insuring city runs long-term-care insurance")),
    "ltci.eligible_grades": ("grades", _l("Assessment grades the scheme pays for")),
    "ltci.daily_standard_fen": ("fen", _l("Daily care standard (in fen) for a grade in a designated care home")),
    "ltci.fund_share_pct": ("percent", _l("Share of the daily standard the fund pays (per cent)")),
    "ltci.follows": ("bool", _l("The insuring city's scheme pays at designated homes in this place")),
    "settlement.inpatient": ("bool", _l("Inpatient costs settled directly across provinces")),
    "settlement.outpatient": ("bool", _l("Outpatient costs settled directly across provinces")),
    "settlement.registration_required": ("bool", _l("Registration (备案) needed before direct settlement")),
    "settlement.registration_exempt": ("bool", _l("No registration needed at the zone's designated hospitals")),
    "admission.public_local_priority": ("bool", _l("Public homes give priority to local residents")),
    "demozone.equal_operating_subsidy": ("bool", _l("Equal operating subsidy for residents from the zone")),
    "limits.deposit_max_months": ("months", _l("Most months of bed fee a deposit may be")),
    "limits.prepayment_max_months": ("months", _l("Most months of fees paid in advance")),
    "limits.local_prepayment_stricter": ("text", _l("Stricter local limits on fees paid in advance")),
    "rail.fastest_train_minutes": ("minutes", _l("Fastest train between two cities, in minutes")),
}
STATUS_LABELS = {"verified": _l("verified"), "secondary": _l("secondary source"),
                 "unverified": _l("to be confirmed")}


@dataclass(frozen=True)
class Fact:
    """One fact with its scope, dates and evidence."""

    code: str
    key: str
    value: object
    status: str
    document: dict
    origin_region: str | None = None
    home_region: str | None = None
    grade: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    quote: str | None = None
    verified_on: date | None = None
    verified_by: str | None = None
    reason: str | None = None
    note: str = ""
    note_zh: str | None = None
    reason_zh: str | None = None
    id: int | None = None

    @property
    def confirmed(self):
        """Say whether the fact may count in a total (verified or secondary source)."""
        return self.status != "unverified"

    def in_effect(self, on):
        """Say whether the fact holds on date ON."""
        return (self.effective_from is None or self.effective_from <= on) and \
            (self.effective_to is None or on <= self.effective_to)

    def to_dict(self):
        """Return the fact as plain data: value, scope, dates, the document, the quote, verification, status."""
        return {"code": self.code, "key": self.key, "value": self.value, "note": self.note, "note_zh": self.note_zh,
                "scope": {name: getattr(self, name) for name in SCOPE_FIELDS},
                "effective_from": _iso(self.effective_from), "effective_to": _iso(self.effective_to),
                "source": dict(self.document), "quote": self.quote,
                "verified_on": _iso(self.verified_on), "verified_by": self.verified_by,
                "status": self.status, "status_label": str(STATUS_LABELS[self.status]), "reason": self.reason,
                "reason_zh": self.reason_zh,
                "to_be_confirmed": not self.confirmed}


@dataclass
class FactSet:
    """Every fact of one version. number is None for the shipped seed (no version loaded yet)."""

    number: int | None
    facts: list
    seed_version: str | None = None
    published_at: object = None
    _by_key: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for fact in self.facts:
            self._by_key.setdefault(fact.key, []).append(fact)

    @property
    def label(self):
        """Return how the version is shown: "12", or "seed 2026-12-06.1" before any version is loaded."""
        return str(self.number) if self.number is not None else f"seed {self.seed_version}"

    def find(self, key, origin=(), home=(), grade=None, on=None):
        """Return the most specific fact KEY in effect ON a date for ORIGIN / HOME region codes, or None."""
        on = on or time.today()
        origin, home = set(origin or ()), set(home or ())
        grade = None if grade is None else str(grade)
        matches = [f for f in self._by_key.get(key, ()) if f.in_effect(on)
                   and (f.origin_region is None or f.origin_region in origin)
                   and (f.home_region is None or f.home_region in home)
                   and (f.grade is None or f.grade == grade)]
        return max(matches, key=_specificity, default=None)

    def by_code(self, code):
        """Return the fact with CODE, or None."""
        return next((f for f in self.facts if f.code == code), None)


def _specificity(fact):
    return (fact.origin_region is not None, fact.home_region is not None, fact.grade is not None,
            fact.effective_from or date.min)


def _iso(day):
    return day.isoformat() if day else None


def fact_code(key, origin_region=None, home_region=None, grade=None, effective_from=None):
    """Return the stable code of a fact: its key, scope and start date (what versions are compared by)."""
    parts = [key, origin_region or "*", home_region or "*", grade or "*"]
    if effective_from:
        parts.append(str(effective_from))
    return "/".join(str(p) for p in parts)


def _date(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def fact_from_seed(entry, documents):
    """Build a Fact from one entry of the seed file (its document given by name)."""
    doc = documents[entry["document"]]
    frm = _date(entry.get("effective_from"))
    scope = {name: entry.get(name) for name in SCOPE_FIELDS}
    return Fact(code=fact_code(entry["key"], **scope, effective_from=frm), key=entry["key"], value=entry["value"],
                status=entry["status"], document={k: doc.get(k) for k in DOC_FIELDS}, **scope,
                effective_from=frm, effective_to=_date(entry.get("effective_to")), quote=entry.get("quote"),
                verified_on=_date(entry.get("verified_on")), verified_by=entry.get("verified_by"),
                reason=entry.get("reason"), note=entry.get("note", ""), note_zh=entry.get("note_zh"),
                reason_zh=entry.get("reason_zh"))


def fact_from_row(row):
    """Build a Fact from a PolicyFact row."""
    return Fact(code=row.code, key=row.key, value=row.value, status=row.status,
                document={"title": row.doc_title, "number": row.doc_number, "issuer": row.doc_issuer,
                          "date": row.doc_date, "url": row.doc_url},
                origin_region=row.origin_region, home_region=row.home_region, grade=row.grade,
                effective_from=row.effective_from, effective_to=row.effective_to, quote=row.quote,
                verified_on=row.verified_on, verified_by=row.verified_by, reason=row.reason, note=row.note or "",
                note_zh=row.note_zh, reason_zh=row.reason_zh, id=row.id)


@functools.cache
def seed():
    """Return the parsed seed file (costs/data/facts.json)."""
    with open(SEED_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def seed_facts():
    """Return the shipped seed as a FactSet without a version number."""
    data = seed()
    return FactSet(None, [fact_from_seed(e, data["documents"]) for e in data["facts"]], seed_version=data["version"])


def _request_cache():
    # one load per request: a search page asks for the facts once per result
    return request.environ.setdefault("costs.facts", {}) if has_request_context() else {}


def _set_of(version):
    rows = db.session.scalars(sa.select(PolicyFact).where(PolicyFact.version_id == version.id)
                              .order_by(PolicyFact.id))
    return FactSet(version.number, [fact_from_row(r) for r in rows], seed_version=version.seed_version,
                   published_at=version.published_at)


def current_facts():
    """Return the newest published FactSet, or the shipped seed when no version has been loaded."""
    if not has_app_context():  # no database outside an app: the shipped seed
        return seed_facts()
    cache = _request_cache()
    if "current" not in cache:
        version = db.session.scalars(sa.select(FactVersion).order_by(FactVersion.number.desc()).limit(1)).first()
        cache["current"] = _set_of(version) if version else seed_facts()
    return cache["current"]


def forget_current():
    """Drop this request's cached current set (after publishing a version)."""
    _request_cache().pop("current", None)


def facts_version(number):
    """Return the FactSet of version NUMBER (None: the current one); NotFound for an unknown number."""
    if number is None:
        return current_facts()
    version = db.session.scalars(sa.select(FactVersion).where(FactVersion.number == number)).first()
    if version is None:
        raise NotFound(str(_l("There is no facts version %(n)s.", n=number)),
                       {"facts_version": [str(_l("Unknown facts version."))]}, code="not_found")
    return _set_of(version)


def versions():
    """Return every published version, newest first."""
    return db.session.scalars(sa.select(FactVersion).order_by(FactVersion.number.desc())).all()


def region_codes(region):
    """Return the codes a gazetteer region (or None) stands for: itself, its city and its province."""
    if region is None:
        return ()
    return tuple(c for c in (region.code, region.city_code, region.province_code) if c)


def citation(factset, used, title=None):
    """Return where a figure came from: the facts USED (None entries skipped) of FACTSET, with their evidence."""
    used = [f for f in used if f is not None]
    sources, seen = [], set()
    for fact in used:
        doc = fact.document
        if doc["title"] not in seen:
            seen.add(doc["title"])
            sources.append({**doc, "status": fact.status, "reason": fact.reason, "reason_zh": fact.reason_zh})
    pending = [{"code": f.code, "note": f.note, "reason": f.reason, "note_zh": f.note_zh, "reason_zh": f.reason_zh}
               for f in used if not f.confirmed]
    return {"type": "facts", "file": str(_l("policy facts")), "version": factset.label,
            "facts_version": factset.number, "title": title or str(_l("Policy facts")), "sources": sources,
            "facts": [f.to_dict() for f in used], "confirmed": not pending, "to_be_confirmed": pending}
