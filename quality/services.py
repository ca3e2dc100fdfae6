"""Writes for quality records, and the recomputation of a home's rating whenever one of its inputs changes.

Every record_* function validates, writes, recomputes the home's rating in the same transaction and commits.
recompute_rating copies the overall stars and the warning onto the Home row, so the search outbox (which
watches Home) re-indexes the home: the rating flows to search through the ordinary sync pipeline.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from core import time
from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from marketplace.models import Home
from quality import rules
from quality.models import (
    INSPECTION_KINDS,
    RECORD_TYPES,
    SANCTION_KINDS,
    SANCTION_SEVERITIES,
    SCOPES,
    SEVERITIES,
    Finding,
    GradeCertificate,
    Inspection,
    ProviderResponse,
    QualityRating,
    Sanction,
    StaffingReport,
)

RESPONSE_MAX = 2000
TEXT_MAX = 2000
EARLIEST_DATE = date(2000, 1, 1)
MAX_RESIDENTS = 10_000


# --- the rating ----------------------------------------------------------------------------------------


def home_records(home):
    """Return the inputs of HOME's rating (see rules.compute_rating)."""
    def rows(model, *order):
        return db.session.scalars(sa.select(model).where(model.home_id == home.id).order_by(*order)).all()

    return {"inspections": rows(Inspection, Inspection.inspected_on.desc(), Inspection.id.desc()),
            "sanctions": rows(Sanction, Sanction.issued_on.desc(), Sanction.id.desc()),
            "certificates": rows(GradeCertificate, GradeCertificate.valid_until.desc(), GradeCertificate.id.desc()),
            "staffing": rows(StaffingReport, StaffingReport.as_of.desc(), StaffingReport.id.desc()),
            "review_score": home.review_score, "review_count": home.review_count or 0}


def recompute_rating(home, today=None):
    """Recompute HOME's rating under the current rules, store it and copy it onto the home; do not commit."""
    today = today or time.today()
    db.session.flush()  # the records just added must be read back
    result = rules.compute_rating(home_records(home), today)
    rating = db.session.scalar(sa.select(QualityRating).where(QualityRating.home_id == home.id))
    if rating is None:
        rating = QualityRating(home_id=home.id)
        db.session.add(rating)
    rating.rules_id, rating.overall, rating.capped = result["rules_id"], result["overall"], result["capped"]
    rating.warning, rating.computed_on, rating.computed_at = result["warning"], today, utcnow()
    rating.sub_ratings = {**result["sub_ratings"], "uncapped": result["uncapped"],
                          "capping_sanctions": result["capping_sanctions"]}
    if (home.quality_stars, home.quality_warning) != (result["overall"], result["warning"]):
        home.quality_stars, home.quality_warning = result["overall"], result["warning"]
    return rating


def recompute_ratings(home_ids=None, today=None, batch_size=500):
    """Recompute the ratings of HOME_IDS (every home when None), committing per batch; return how many."""
    stmt = sa.select(Home.id).order_by(Home.id)
    if home_ids is not None:
        stmt = stmt.where(Home.id.in_(list(home_ids)))
    ids = db.session.scalars(stmt).all()
    for start in range(0, len(ids), batch_size):
        for home in db.session.scalars(sa.select(Home).where(Home.id.in_(ids[start:start + batch_size]))):
            recompute_rating(home, today)
        db.session.commit()
    return len(ids)


def rating_of(home_id):
    """Return HOME_ID's stored QualityRating, or None when it was never computed."""
    return db.session.scalar(sa.select(QualityRating).where(QualityRating.home_id == home_id))


# --- validation shared by the forms and the CSV import ---------------------------------------------------


def _invalid(field, message):
    return ServiceError(_("Some fields are invalid."), fields={field: [message]}, status=400,
                        code="invalid_parameters")


def check_choice(field, value, allowed):
    """Return VALUE when it is one of ALLOWED, else raise a field error."""
    if value not in allowed:
        raise _invalid(field, _("Choose one of: %(allowed)s.", allowed=", ".join(allowed)))
    return value


def check_date(field, value, today=None, future_ok=False):
    """Return VALUE (a date, or an ISO YYYY-MM-DD string) when plausible, else raise a field error."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _invalid(field, _("Give a date as YYYY-MM-DD.")) from None
    if not isinstance(value, date):
        raise _invalid(field, _("Give a date as YYYY-MM-DD."))
    if value < EARLIEST_DATE or (not future_ok and value > (today or time.today())):
        raise _invalid(field, _("This date is not plausible."))
    return value


def check_int(field, value, low, high):
    """Return VALUE as an int within [LOW, HIGH], else raise a field error."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _invalid(field, _("Give a whole number.")) from None
    if not low <= number <= high:
        raise _invalid(field, _("Give a number from %(low)s to %(high)s.", low=low, high=high))
    return number


def check_text(field, value, limit=TEXT_MAX, required=False):
    """Return VALUE stripped, within LIMIT characters (and not empty when REQUIRED)."""
    text = (value or "").strip()
    if required and not text:
        raise _invalid(field, _("This field is required."))
    if len(text) > limit:
        raise _invalid(field, _("At most %(max)d characters.", max=limit))
    return text


def _check_findings(findings):
    checked = []
    for i, (severity, scope, description) in enumerate(findings):
        checked.append(Finding(severity=check_choice(f"findings-{i}-severity", severity, SEVERITIES),
                               scope=check_choice(f"findings-{i}-scope", scope or "isolated", SCOPES),
                               description=check_text(f"findings-{i}-description", description)))
    return checked


# --- regulators' records -------------------------------------------------------------------------------


def _finish(home, commit):
    recompute_rating(home)
    if commit:
        db.session.commit()


def record_inspection(home, user, inspected_on, kind, findings=(), inspector="", summary="", source="form",
                      commit=True):
    """Record an inspection of HOME with FINDINGS [(severity, scope, description)]; recompute; commit."""
    inspection = Inspection(home_id=home.id, inspected_on=check_date("inspected_on", inspected_on),
                            kind=check_choice("kind", kind, INSPECTION_KINDS),
                            inspector=check_text("inspector", inspector, 200),
                            summary=check_text("summary", summary), source=source,
                            recorded_by_id=getattr(user, "id", None), findings=_check_findings(findings))
    db.session.add(inspection)
    _finish(home, commit)
    return inspection


def record_sanction(home, user, kind, severity, issued_on, description="", resolved_on=None, source="form",
                    commit=True):
    """Record a sanction or corrective order against HOME; recompute; commit."""
    issued = check_date("issued_on", issued_on)
    resolved = check_date("resolved_on", resolved_on) if resolved_on not in (None, "") else None
    if resolved is not None and resolved < issued:
        raise _invalid("resolved_on", _("A sanction cannot be resolved before it was issued."))
    sanction = Sanction(home_id=home.id, kind=check_choice("kind", kind, SANCTION_KINDS),
                        severity=check_choice("severity", severity, SANCTION_SEVERITIES), issued_on=issued,
                        resolved_on=resolved, description=check_text("description", description),
                        source=source, recorded_by_id=getattr(user, "id", None))
    db.session.add(sanction)
    _finish(home, commit)
    return sanction


def resolve_sanction(sanction, user, resolved_on):
    """Mark SANCTION resolved on RESOLVED_ON; recompute its home; commit."""
    if sanction.resolved:
        raise ServiceError(_("This sanction is already resolved."), status=409, code="conflict")
    resolved = check_date("resolved_on", resolved_on)
    if resolved < sanction.issued_on:
        raise _invalid("resolved_on", _("A sanction cannot be resolved before it was issued."))
    sanction.resolved_on = resolved
    _finish(db.session.get(Home, sanction.home_id), True)
    return sanction


def record_grade(home, user, level, issuing_body, issued_on, valid_until, certificate_no="", source="form",
                 commit=True):
    """Record a GB/T 37276-2018 grade certificate of HOME; the listing's grade follows the one in force."""
    issued = check_date("issued_on", issued_on)
    until = check_date("valid_until", valid_until, future_ok=True)
    if until < issued:
        raise _invalid("valid_until", _("A certificate cannot expire before it was issued."))
    certificate = GradeCertificate(home_id=home.id, level=check_int("level", level, 1, 5),
                                   issuing_body=check_text("issuing_body", issuing_body, 200, required=True),
                                   certificate_no=check_text("certificate_no", certificate_no, 60),
                                   issued_on=issued, valid_until=until, source=source,
                                   recorded_by_id=getattr(user, "id", None))
    db.session.add(certificate)
    _sync_listing_grade(home, certificate)
    _finish(home, commit)
    return certificate


def _sync_listing_grade(home, certificate):
    """Show the newest certificate in force on the listing (search's grade filter reads the listing)."""
    if certificate.valid_on(time.today()) and (home.grade_valid_until is None
                                                or certificate.valid_until >= home.grade_valid_until):
        home.grade, home.grade_valid_until = certificate.level, certificate.valid_until
        home.grade_source = f"{certificate.issuing_body} {certificate.certificate_no}".strip()[:200]


def check_staffing(report, user):
    """Mark a provider's staffing REPORT as checked by regulator USER; recompute; commit."""
    if report.checked:
        raise ServiceError(_("This report has already been checked."), status=409, code="conflict")
    report.checked_by_id, report.checked_at = user.id, utcnow()
    _finish(db.session.get(Home, report.home_id), True)
    return report


# --- providers' records --------------------------------------------------------------------------------


def report_staffing(home, user, as_of, residents, care_staff, nurses):
    """Record the operator's staffing report for HOME (it counts once a regulator checks it); commit."""
    residents = check_int("residents", residents, 1, MAX_RESIDENTS)
    care_staff = check_int("care_staff", care_staff, 0, MAX_RESIDENTS)
    nurses = check_int("nurses", nurses, 0, MAX_RESIDENTS)
    if nurses > care_staff:
        raise _invalid("nurses", _("Nurses are counted among care staff: they cannot outnumber them."))
    report = StaffingReport(home_id=home.id, as_of=check_date("as_of", as_of), residents=residents,
                            care_staff=care_staff, nurses=nurses, reported_by_id=user.id)
    db.session.add(report)
    _finish(home, True)
    return report


_RECORD_MODELS = {"inspection": Inspection, "sanction": Sanction, "grade": GradeCertificate,
                  "staffing": StaffingReport}


def find_record(home, record_type, record_id):
    """Return HOME's record of RECORD_TYPE with RECORD_ID, or raise NotFound."""
    model = _RECORD_MODELS.get(record_type)
    in_range = isinstance(record_id, int) and 0 < record_id < 2**31  # a larger id would overflow the column
    record = db.session.get(model, record_id) if model and in_range else None
    if record is None or record.home_id != home.id:
        raise NotFound(_("No such record for this home."))
    return record


def respond_to_record(home, user, record_type, record_id, body):
    """Attach the provider's response BODY to one of HOME's quality records; commit."""
    check_choice("record_type", record_type, RECORD_TYPES)
    find_record(home, record_type, record_id)
    response = ProviderResponse(home_id=home.id, record_type=record_type, record_id=record_id,
                                body=check_text("body", body, RESPONSE_MAX, required=True), author_id=user.id)
    db.session.add(response)
    db.session.commit()
    return response


def home_history(home):
    """Return HOME's records for display, each with its provider responses, newest first."""
    records = home_records(home)
    responses = db.session.scalars(sa.select(ProviderResponse).where(ProviderResponse.home_id == home.id)
                                   .order_by(ProviderResponse.created_at)).all()
    by_record = {}
    for response in responses:
        by_record.setdefault((response.record_type, response.record_id), []).append(response)
    return {"inspections": records["inspections"], "sanctions": records["sanctions"],
            "certificates": records["certificates"], "staffing": records["staffing"], "responses": by_record}


# --- the review score is an input: recompute when it changes, however it is written -------------------------

_REVIEW_FIELDS = ("review_score", "review_count")
_PENDING = "quality_review_changes"


def _note_review_changes(session, _flush_context, _instances):
    """Before a flush, note the homes whose review score or count changed (their rating is recomputed at commit)."""
    for obj in session.dirty:
        if isinstance(obj, Home) and any(sa.inspect(obj).attrs[f].history.has_changes() for f in _REVIEW_FIELDS):
            session.info.setdefault(_PENDING, set()).add(obj.id)


def _recompute_before_commit(session):
    """Recompute the ratings of the noted homes in the committing transaction (so search gets both at once)."""
    if session is not db.session():  # recompute_rating works on the app's session; other sessions are not ours
        return
    session.flush()  # notes changes still pending in the session
    home_ids = session.info.pop(_PENDING, set())
    for home_id in sorted(home_ids):
        home = session.get(Home, home_id)
        if home is not None:
            recompute_rating(home)


def _forget_review_changes(session, _previous_transaction=None):
    session.info.pop(_PENDING, None)


def listen_for_review_changes():
    """Recompute a home's rating whenever its review score or count changes on the app's session."""
    for name, fn in (("before_flush", _note_review_changes), ("before_commit", _recompute_before_commit),
                     ("after_soft_rollback", _forget_review_changes)):
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)


listen_for_review_changes()
