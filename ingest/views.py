"""Regulator pages for imports: upload with progress, the run report, the quarantine, conflicts.

Small files run inside the request; larger ones run in a background thread that records its progress on the
run row, which the run page polls. If the worker restarts, the run keeps its resume point: `flask ingest
resume` (cron) or uploading the same file again finishes it. Regulators see runs made for their jurisdiction
(or a city in their province); admins see everything. The services decide everything else (ingest/services.py).
"""

import threading

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from accounts import permissions
from accounts.permissions import roles_required
from core.errors import ServiceError
from core.extensions import db
from core.inputs import body_limit
from geo.gazetteer import gazetteer
from ingest import mappings, queries, report, services
from ingest.adapters import FormatError, adapters, get_adapter, headers_of
from ingest.forms import fix_form
from ingest.models import ImportRun, SourceFile
from ingest.normalise import FIELD_LABELS, problem_text

bp = Blueprint("ingest", __name__, url_prefix="/regulator/imports", template_folder="templates")
INLINE_MAX_BYTES = 2 * 1024 * 1024  # bigger uploads run in the background (INGEST_INLINE_MAX_BYTES)
PAGE_SIZE = 50


STATUS_LABELS = {
    "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed"), "open": _l("Open"),
    "imported": _l("Imported"), "dismissed": _l("Dismissed"), "kept": _l("Current value kept"),
    "accepted": _l("Imported value accepted"), "resolved": _l("Resolved by a later import"),
    "inserted": _l("inserted as a new home"),
    "updated": _l("the home was updated"), "unchanged": _l("nothing needed to change"),
    "portal": _l("the operator (portal)"), "api": _l("the operator (API)"), "regulator": _l("a regulator"),
}


@bp.context_processor
def _labels():
    return {"ingest_label": lambda code: str(STATUS_LABELS.get(code, code))}


class UploadForm(FlaskForm):
    source = SelectField(_l("Source format"), validators=[])
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))])


class ActionForm(FlaskForm):
    """Only the CSRF token: the action and the row's fields are read from the form by name."""


def _allowed():
    if not permissions.can_import_data(current_user):
        abort(403)


def _source_choices():
    saved = [(m.code, f"{m.label} ({m.code})") for m in mappings.mappings_for(current_user)]
    return [(code, f"{a.label} ({code})") for code, a in adapters().items()] + saved


@bp.get("/")
@roles_required("regulator", "admin")
def index():
    """The upload form and the recent runs."""
    _allowed()
    form = UploadForm()
    form.source.choices = _source_choices()
    return _index(form)


def _index(form, status=200):
    runs = queries.recent_runs(current_user, PAGE_SIZE)
    return render_template("ingest/index.html", form=form, runs=runs, adapters=adapters()), status


@bp.post("/")
@body_limit("INGEST_UPLOAD_MAX_BYTES")
@roles_required("regulator", "admin")
def upload():
    """Keep the uploaded file and import it (inline when small, else in the background)."""
    _allowed()
    form = UploadForm()
    form.source.choices = _source_choices()
    if not form.validate_on_submit():
        return _index(form, 400)
    upload_file = form.file.data
    try:
        kept = services.store_file(upload_file.stream, upload_file.filename, current_user)
        if mappings.needs_mapping(form.source.data, kept.stored_path):
            return redirect(url_for("ingest.mapping", file_id=kept.id))  # unrecognised headers: map them
        run, created = services.start_run(form.source.data, kept, current_user)
        if not created and run.status == "done":
            flash(_("This file was already imported with this format; nothing changed."), "info")
        elif services.is_running_live(run):
            pass  # already being imported by a live process: follow it on its report
        elif kept.size <= current_app.config.get("INGEST_INLINE_MAX_BYTES", INLINE_MAX_BYTES):
            services.execute_run(run)
        else:
            # claimed here, so a running import of the source is a form error, not a silent thread failure
            _run_in_background(run.id, services.claim_run(run))
    except ServiceError as exc:
        db.session.rollback()
        form.file.errors = list(form.file.errors) + [exc.message]
        return _index(form, exc.status)
    return redirect(url_for("ingest.run_report", run_id=run.id))


def _run_in_background(run_id, owner):
    """Run the import in a thread of this worker; if the worker dies, `flask ingest resume` finishes it."""
    app = current_app._get_current_object()

    def work():
        with app.app_context():
            try:
                services.execute_run(queries.get_run(run_id), owner=owner)
            except ServiceError:
                pass  # the run row records the failure
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"ingest-run-{run_id}", daemon=True).start()


def _get_run(run_id):
    run = db.get_or_404(ImportRun, run_id)
    if not permissions.oversees_import(current_user, run.jurisdiction_code):
        abort(403)
    return run


@bp.get("/runs/<int:run_id>")
@roles_required("regulator", "admin")
def run_report(run_id):
    """The run report: counts, progress while running, the kept file and its checksum."""
    _allowed()
    run = _get_run(run_id)
    rows, conflicts = queries.run_rows(run, PAGE_SIZE), queries.run_conflicts(run, PAGE_SIZE)
    return render_template("ingest/run.html", run=run, adapter=get_adapter(run.source), rows=rows,
                           conflicts=conflicts, problem_text=problem_text, stalled=services.is_stale(run),
                           reasons=report.reasons(run), reason_labels=report.REASON_LABELS)


@bp.get("/runs/<int:run_id>/problems.csv")
@roles_required("regulator", "admin")
def run_problems_csv(run_id):
    """Download each problem row of the run with its reasons, as CSV in the user's language."""
    _allowed()
    run = _get_run(run_id)
    return Response(report.problems_csv(run), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=import-{run.id}-problems.csv"})


@bp.get("/runs/<int:run_id>/progress")
@roles_required("regulator", "admin")
def run_progress(run_id):
    """The run's progress as JSON, for the page to poll."""
    _allowed()
    run = _get_run(run_id)
    return jsonify(status=run.status, rows_done=run.rows_done, rows_total=run.rows_total, error=run.error,
                   **run.counts())


@bp.get("/quarantine")
@roles_required("regulator", "admin")
def quarantine():
    """The open quarantined rows of the runs the user oversees."""
    _allowed()
    return render_template("ingest/quarantine.html", rows=queries.open_quarantine(current_user),
                           problem_text=problem_text)


def _get_row(row_id):
    try:
        row = services.get_quarantined(row_id)
    except ServiceError:
        abort(404)
    if not permissions.oversees_import(current_user, row.run.jurisdiction_code):
        abort(403)
    return row


def _row_page(row, form, status=200, problems=None):
    """Render the row with its form; the importer's reasons go next to their fields, the rest on top."""
    problems = form.show_problems(problems if problems is not None else row.problems, problem_text)
    candidate, resolver = queries.row_context(row)
    return render_template("ingest/row.html", row=row, form=form, candidate=candidate, problems=problems,
                           resolver=resolver, problem_text=problem_text), status


def _fix_form(row, prefill=False):
    return fix_form(get_adapter(row.source), services.EDITABLE, row if prefill else None)


@bp.get("/quarantine/<int:row_id>")
@roles_required("regulator", "admin")
def quarantined_row(row_id):
    """One quarantined row: its reasons, its fields to fix, and the decisions."""
    _allowed()
    row = _get_row(row_id)
    return _row_page(row, _fix_form(row, prefill=True))


@bp.post("/quarantine/<int:row_id>")
@roles_required("regulator", "admin")
def fix_row(row_id):
    """Re-import a fixed row, decide a possible duplicate (merge or new), or dismiss the row."""
    _allowed()
    row = _get_row(row_id)
    form = _fix_form(row)
    if not form.validate_on_submit():
        return _row_page(row, form, 400, problems=[])  # the form's own errors, next to the fields
    action = form.action.data
    try:
        if action == "dismiss":
            services.dismiss_row(row, current_user)
            flash(_("The row was dismissed."), "info")
            return redirect(url_for("ingest.quarantine"))
        outcome, _result = services.reimport_row(row, form.fixes(request.form), current_user,
                                                 decision=None if action == "reimport" else action)
    except ServiceError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _row_page(row, form, exc.status)
    if outcome == "quarantined":
        return _row_page(row, form, 400)
    flash(_("The row was imported: %(outcome)s.", outcome=STATUS_LABELS.get(outcome, outcome)), "info")
    return redirect(url_for("ingest.quarantine"))


@bp.get("/conflicts")
@roles_required("regulator", "admin")
def conflicts():
    """Open conflicts: imported values not applied because a person changed the field more recently."""
    _allowed()
    return _conflicts_page(queries.open_conflicts())


def _conflicts_page(results, status=200):
    rows = [(c, h) for c, h in results if permissions.regulates_home(current_user, h)]
    return render_template("ingest/conflicts.html", rows=rows, form=ActionForm(), field_label=_field_label), status


def _field_label(name):
    if name.startswith("fee."):
        from marketplace.vocab import CARE_LEVEL_LABELS, FEE_KIND_LABELS, label

        _prefix, level, kind = name.split(".")
        return f"{label(CARE_LEVEL_LABELS, level)} · {label(FEE_KIND_LABELS, kind)}"
    return str(FIELD_LABELS.get(name, name))


@bp.post("/conflicts/<int:conflict_id>")
@roles_required("regulator", "admin")
def decide_conflict(conflict_id):
    """Keep the current value or accept the imported one."""
    _allowed()
    try:
        conflict = services.get_conflict(conflict_id)
    except ServiceError:
        abort(404)
    if not permissions.regulates_home(current_user, queries.home_of(conflict)):
        abort(403)
    form, decision = ActionForm(), request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accept", "keep"):
        flash(_("Choose whether to keep the current value or accept the imported one."), "error")
        return _conflicts_page([(conflict, queries.home_of(conflict))], 400)
    try:
        services.resolve_conflict(conflict, decision == "accept", current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _conflicts_page([(conflict, queries.home_of(conflict))], exc.status)
    flash(_("Decision recorded."), "info")
    return redirect(url_for("ingest.conflicts"))


# --- mapping an unrecognised file's columns (saved as a named source, no deploy) -------------------------

def _get_file(file_id):
    kept = db.session.get(SourceFile, file_id)
    if kept is None:
        abort(404)
    if current_user.role != "admin" and kept.uploaded_by_id != current_user.id:
        abort(403)
    return kept


def _mapping_page(kept, headers, targets, values, preview=None, errors=None, status=200):
    return render_template(
        "ingest/mapping.html", kept=kept, headers=headers, targets=targets, values=values, preview=preview,
        errors=errors or {}, form=ActionForm(), field_targets=list(mappings.FIELD_TARGETS),
        fee_targets=list(mappings.FEE_TARGETS), target_label=mappings.target_label,
        problem_text=problem_text, region_text=_region_text), status


def _region_text(fields):
    gz = gazetteer()
    region = gz.district(fields.get("district_code") or "") or gz.city(fields.get("city_code") or "")
    return region.name if region else ""


@bp.get("/files/<int:file_id>/mapping")
@roles_required("regulator", "admin")
def mapping(file_id):
    """The kept file's detected columns beside the platform's fields, to map them."""
    _allowed()
    kept = _get_file(file_id)
    try:
        headers = headers_of(kept.stored_path)
    except FormatError as exc:
        flash(_("The file cannot be read: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("ingest.index"))
    values = {"label": "", "code": "", "price_unit": "month", "coord_system": ""}
    return _mapping_page(kept, headers, mappings.detected_targets(headers), values)


@bp.post("/files/<int:file_id>/mapping")
@roles_required("regulator", "admin")
def save_mapping(file_id):
    """Preview the first rows normalised with the chosen mapping, or save it as a source and import the file."""
    _allowed()
    kept = _get_file(file_id)
    headers = headers_of(kept.stored_path)
    targets = {h: request.form.get(f"col-{i}", "") for i, h in enumerate(headers) if h}
    values = {k: request.form.get(k, "").strip() for k in ("label", "code", "price_unit", "coord_system")}
    spec = mappings.spec_from_targets(targets, values["price_unit"] or "month", values["coord_system"] or None)
    if not ActionForm().validate_on_submit():
        return _mapping_page(kept, headers, targets, values, errors={"form": [_("The form expired.")]}, status=400)
    try:
        if request.form.get("action") != "save":
            mappings.check_spec(values["code"] or "preview", values["label"] or "preview", spec)
            jurisdiction = current_user.jurisdiction_code if current_user.role == "regulator" else None
            rows = mappings.preview(kept.stored_path, values["code"], values["label"], spec, jurisdiction)
            return _mapping_page(kept, headers, targets, values, preview=rows)
        saved = mappings.save_mapping(values["code"], values["label"], spec, current_user)
        run, _created = services.start_run(saved.code, kept, current_user)
        services.execute_run(run)
    except ServiceError as exc:
        db.session.rollback()
        return _mapping_page(kept, headers, targets, values, errors=exc.fields or {"form": [exc.message]},
                             status=exc.status)
    flash(_("The source %(label)s was saved; files of this shape now import with it.", label=saved.label), "info")
    return redirect(url_for("ingest.run_report", run_id=run.id))
