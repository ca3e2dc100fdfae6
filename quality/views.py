"""Quality pages: regulators record and import, providers see their records and respond, the public methods page.

A regulator acts only on homes in their jurisdiction (accounts.permissions.records_quality); a provider sees
and responds only for homes its operator runs (responds_to_quality). Anything else gets 403, nothing changes.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core.errors import ServiceError
from core.extensions import db
from core.forms import show_service_error
from core.inputs import body_limit
from marketplace.models import Home
from quality import importer, presenters, queries, rules, services
from quality.forms import (
    LABELS,
    CheckForm,
    GradeForm,
    ImportForm,
    InspectionForm,
    ResolveForm,
    ResponseForm,
    SanctionForm,
    StaffingForm,
)
from quality.models import Inspection, Sanction, StaffingReport

bp = Blueprint("quality", __name__, template_folder="templates")

REGULATOR_LIST_LIMIT = 100


# --- template helpers (used by the partials included in marketplace pages) ------------------------------


@bp.app_context_processor
def _quality_context():
    return {"quality_label": _label, "public_inspections": _public_inspections}


def _public_inspections(home_id, limit=5):
    """Return the home's latest inspections with their findings, newest first (public records)."""
    return db.session.scalars(sa.select(Inspection).where(Inspection.home_id == home_id)
                              .order_by(Inspection.inspected_on.desc(), Inspection.id.desc()).limit(limit)).all()


def _label(group, code):
    return LABELS.get(group, {}).get(code, code)


# --- helpers ------------------------------------------------------------------------------------------


def _regulated_home(home_id):
    home = db.get_or_404(Home, home_id)
    if not permissions.records_quality(current_user, home):
        abort(403, description=_("This home lies outside your jurisdiction."))
    return home


def _managed_home(home_id):
    home = db.get_or_404(Home, home_id)
    if not permissions.responds_to_quality(current_user, home):
        abort(403, description=_("This home is run by another operator."))
    return home


def _regulator_forms(**posted):
    forms = {"inspection": InspectionForm(prefix="inspection", formdata=None),
             "sanction": SanctionForm(prefix="sanction", formdata=None),
             "grade": GradeForm(prefix="grade", formdata=None)}
    forms.update(posted)
    return forms


def _render_regulator_home(home, status=200, **posted):
    return render_template("quality/regulator_home.html", home=home, history=services.home_history(home),
                           rating=presenters.rating_view(services.rating_of(home.id)),
                           forms=_regulator_forms(**posted), resolve_form=ResolveForm(prefix="resolve", formdata=None),
                           check_form=CheckForm(prefix="check", formdata=None)), status


def _post_record(home_id, name, form_class, write):
    """Validate FORM_CLASS from the request and call WRITE(home, form); re-render with errors on failure."""
    home = _regulated_home(home_id)
    form = form_class(prefix=name)
    if not form.validate_on_submit():
        return _render_regulator_home(home, 400, **{name: form})
    try:
        write(home, form)
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return _render_regulator_home(home, 400, **{name: form})
    flash(_("Recorded. The home's rating has been recomputed."), "success")
    return redirect(url_for(".regulator_home", home_id=home.id))


# --- the public methods page ------------------------------------------------------------------------------


@bp.route("/methods/quality")
def methods():
    """Explain the quality rating: every rule with the numbers of the current rules file."""
    return render_template("quality/methods.html", rules=rules.load_rules(), labels=presenters.PART_LABELS,
                           severity_labels=LABELS["severity"], scope_labels=LABELS["scope"])


# --- regulators -----------------------------------------------------------------------------------------------


def _render_regulator_index(form=None, report=None, status=200):
    text = (request.args.get("q") or "").strip()[:100]
    homes = queries.jurisdiction_homes(current_user, text, REGULATOR_LIST_LIMIT)
    return render_template("quality/regulator_index.html", homes=homes, q=text,
                           form=form or ImportForm(prefix="import", formdata=None), report=report,
                           unchecked=queries.unchecked_reports(current_user),
                           check_form=CheckForm(prefix="check", formdata=None),
                           jurisdiction=permissions.jurisdiction_name(current_user)), status


@bp.route("/regulator/quality/")
@roles_required("regulator", "admin")
def regulator_index():
    """List the homes in the jurisdiction with their ratings; the CSV import form; reports to check."""
    return _render_regulator_index()


@bp.route("/regulator/quality/import", methods=["POST"])
@body_limit(lambda: importer.MAX_BYTES + 64 * 1024)  # the file and the form around it; larger files get the form error
@roles_required("regulator", "admin")
def regulator_import():
    """Import a CSV of inspections, sanctions or grades: all rows or none, with a row-by-row report."""
    form = ImportForm(prefix="import")
    upload = request.files.get("import-file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        if upload is None or not upload.filename:
            form.file.errors = [*form.file.errors, _("Choose a CSV file.")]
        return _render_regulator_index(form, status=400)
    try:
        report = importer.import_csv(form.kind.data, upload.read(), current_user, upload.filename)
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return _render_regulator_index(form, status=exc.status if exc.status in (400, 413) else 400)
    if report.errors or not report.rows:
        return _render_regulator_index(form, report=report, status=400)
    flash(_("Imported %(n)s records from %(rows)s rows; the ratings of the homes concerned were recomputed.",
            n=report.created, rows=report.rows), "success")
    return redirect(url_for(".regulator_index"))


@bp.route("/regulator/quality/homes/<int:home_id>")
@roles_required("regulator", "admin")
def regulator_home(home_id):
    """Show a home's quality records and rating, with the forms to record more."""
    return _render_regulator_home(_regulated_home(home_id))


def _findings(form):
    rows = [entry.form for entry in form.findings]  # .form: a FormField's own `description` hides the field
    return [(row.severity.data, row.scope.data or "isolated", row.description.data or "")
            for row in rows if row.severity.data]


@bp.route("/regulator/quality/homes/<int:home_id>/inspections", methods=["POST"])
@roles_required("regulator", "admin")
def record_inspection(home_id):
    """Record an inspection with its findings."""
    return _post_record(home_id, "inspection", InspectionForm, lambda home, f: services.record_inspection(
        home, current_user, f.inspected_on.data, f.kind.data, findings=_findings(f), inspector=f.inspector.data,
        summary=f.summary.data))


@bp.route("/regulator/quality/homes/<int:home_id>/sanctions", methods=["POST"])
@roles_required("regulator", "admin")
def record_sanction(home_id):
    """Record a sanction or corrective order."""
    return _post_record(home_id, "sanction", SanctionForm, lambda home, f: services.record_sanction(
        home, current_user, f.kind.data, f.severity.data, f.issued_on.data, description=f.description.data,
        resolved_on=f.resolved_on.data))


@bp.route("/regulator/quality/homes/<int:home_id>/grades", methods=["POST"])
@roles_required("regulator", "admin")
def record_grade(home_id):
    """Record a national grade certificate."""
    return _post_record(home_id, "grade", GradeForm, lambda home, f: services.record_grade(
        home, current_user, f.level.data, f.issuing_body.data, f.issued_on.data, f.valid_until.data,
        certificate_no=f.certificate_no.data))


@bp.route("/regulator/quality/sanctions/<int:sanction_id>/resolve", methods=["POST"])
@roles_required("regulator", "admin")
def resolve_sanction(sanction_id):
    """Mark a sanction resolved."""
    sanction = db.get_or_404(Sanction, sanction_id)
    home = _regulated_home(sanction.home_id)
    form = ResolveForm(prefix="resolve")
    if not form.validate_on_submit():
        flash(_("Give the date the sanction was resolved."), "error")
        return _render_regulator_home(home, 400)
    try:
        services.resolve_sanction(sanction, current_user, form.resolved_on.data)
    except ServiceError as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.fields.values() for m in ms) or exc.message, "error")
        return _render_regulator_home(home, 400)
    flash(_("Sanction marked resolved."), "success")
    return redirect(url_for(".regulator_home", home_id=home.id))


@bp.route("/regulator/quality/staffing/<int:report_id>/check", methods=["POST"])
@roles_required("regulator", "admin")
def check_staffing(report_id):
    """Mark a provider's staffing report as checked, so it counts towards the rating."""
    report = db.get_or_404(StaffingReport, report_id)
    home = _regulated_home(report.home_id)
    if not CheckForm(prefix="check").validate_on_submit():
        abort(400)
    try:
        services.check_staffing(report, current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render_regulator_home(home, exc.status)
    flash(_("Staffing report checked: it now counts towards the rating."), "success")
    return redirect(url_for(".regulator_home", home_id=home.id))


# --- providers --------------------------------------------------------------------------------------------


def _render_provider_home(home, status=200, staffing_form=None, response_form=None):
    return render_template("quality/provider_home.html", home=home, history=services.home_history(home),
                           rating=presenters.rating_view(services.rating_of(home.id)),
                           staffing_form=staffing_form or StaffingForm(prefix="staffing", formdata=None),
                           response_form=response_form, can_publish=permissions.can_publish(current_user)), status


@bp.route("/portal/quality/homes/<int:home_id>")
@roles_required("provider")
def provider_home(home_id):
    """Show the operator its home's quality records and rating, with staffing and response forms."""
    return _render_provider_home(_managed_home(home_id))


@bp.route("/portal/quality/homes/<int:home_id>/staffing", methods=["POST"])
@roles_required("provider")
def report_staffing(home_id):
    """Report staffing figures; they count once a regulator has checked them."""
    home = _managed_home(home_id)
    form = StaffingForm(prefix="staffing")
    if not form.validate_on_submit():
        return _render_provider_home(home, 400, staffing_form=form)
    try:
        services.report_staffing(home, current_user, form.as_of.data, form.residents.data, form.care_staff.data,
                                 form.nurses.data)
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return _render_provider_home(home, 400, staffing_form=form)
    flash(_("Staffing reported. It counts towards the rating once a regulator has checked it."), "success")
    return redirect(url_for(".provider_home", home_id=home.id))


@bp.route("/portal/quality/homes/<int:home_id>/responses", methods=["POST"])
@roles_required("provider")
def respond(home_id):
    """Attach the operator's response to one of the home's quality records (published with the record)."""
    home = _managed_home(home_id)
    if not permissions.can_publish(current_user):
        abort(403, description=_("Your operator has not been verified by a regulator yet."))
    form = ResponseForm(prefix="response")
    valid = form.validate_on_submit()
    record_id = form.record_id.data or ""
    if not valid or not record_id.isdigit() or len(record_id) > 9:
        if record_id and (not record_id.isdigit() or len(record_id) > 9):
            form.record_id.errors = [*form.record_id.errors, _("Unknown record.")]
        return _render_provider_home(home, 400, response_form=form)
    try:
        services.respond_to_record(home, current_user, form.record_type.data, int(form.record_id.data),
                                   form.body.data)
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return _render_provider_home(home, 400 if exc.status != 404 else 404, response_form=form)
    flash(_("Your response is attached to the record."), "success")
    return redirect(url_for(".provider_home", home_id=home.id))
