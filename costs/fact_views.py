"""The policy-fact editor: admins (and regulators, for facts of their jurisdiction) edit a fact with its
evidence, preview how the change moves a sample estimate, and publish a new version. Every version is kept.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core.errors import ServiceError
from core.extensions import db
from core.forms import add_field_errors
from costs import facts as factlib
from costs import preview, services
from costs.forms import FactForm
from costs.models import PolicyFact

bp = Blueprint("costs_facts", __name__, url_prefix="/regulator/facts", template_folder="templates")


def _editor():
    """403 unless the user may use the editor (an admin, or a regulator with a jurisdiction)."""
    if not permissions.sees_regulator_dashboard(current_user):
        abort(403, description=_("Your account has no jurisdiction; ask an administrator to set one."))


def _current_fact(fact_id):
    """Return the fact FACT_ID of the current version (404 if unknown or superseded; 403 outside the scope)."""
    current = factlib.current_facts()
    row = db.session.get(PolicyFact, fact_id)
    fact = current.by_code(row.code) if row is not None and row.version.number == current.number else None
    if fact is None:
        abort(404, description=_("This fact is not in the current version."))
    if not services.may_edit_scope(current_user, fact.origin_region, fact.home_region):
        abort(403, description=_("This fact lies outside your jurisdiction."))
    return current, fact


def _rows(factset):
    """Return the facts of FACTSET with whether the user may edit each, by key then scope."""
    order = list(factlib.KEYS)
    facts = sorted(factset.facts, key=lambda f: (order.index(f.key) if f.key in order else 99, f.code))
    return [{"fact": f, "editable": services.may_edit_scope(current_user, f.origin_region, f.home_region),
             "id": None} for f in facts]


@bp.route("/")
@roles_required("regulator", "admin")
def index():
    """List the current facts with their evidence and status, the stale ones, and every version."""
    _editor()
    if factlib.current_facts().number is None:  # editing needs the seed as a version: load it on first use
        services.load_seed_facts()
    current = factlib.current_facts()
    ids = {r.code: r.id for r in db.session.query(PolicyFact.code, PolicyFact.id).join(PolicyFact.version)
           .filter_by(number=current.number)}
    rows = [{**row, "id": ids.get(row["fact"].code)} for row in _rows(current)]
    return render_template("costs/facts_index.html", current=current, rows=rows, keys=factlib.KEYS,
                           versions=factlib.versions(), stale=services.stale_facts_for(current_user))


@bp.route("/versions/<int:number>")
@roles_required("regulator", "admin")
def version(number):
    """Show every fact of one published version, as it was."""
    _editor()
    try:
        factset = factlib.facts_version(number)
    except ServiceError:
        abort(404)
    return render_template("costs/facts_version.html", factset=factset, rows=_rows(factset), keys=factlib.KEYS)


def _render_edit(fact_id, fact, form, effect=None, status=200):
    return render_template("costs/fact_edit.html", fact=fact, form=form, effect=effect, keys=factlib.KEYS,
                           fact_id=fact_id), status


@bp.route("/<int:fact_id>/edit", methods=["GET", "POST"])
@roles_required("regulator", "admin")
def edit(fact_id):
    """Edit one fact with its evidence; preview its effect on a sample estimate; publish a new version."""
    _editor()
    current, fact = _current_fact(fact_id)
    form = FactForm()
    if not form.is_submitted():
        form.fill(fact)
        return _render_edit(fact_id, fact, form)
    if not form.validate_on_submit():
        return _render_edit(fact_id, fact, form, status=400)
    try:
        edited = services.build_fact(form.evidence(fact.key))
        if form.publish.data:
            version = services.publish_fact_edit(current_user, fact.code, form.evidence(fact.key),
                                                 form.change_note.data or "", form.mode.data)
            flash(_("Published facts version %(n)s.", n=version.number), "success")
            return redirect(url_for(".index"))
        after = services.apply_edit(current, fact.code, edited, form.mode.data)
    except ServiceError as exc:
        db.session.rollback()
        add_field_errors(form, exc.fields)
        form.form_errors.append(exc.message)
        return _render_edit(fact_id, fact, form, status=exc.status if exc.status in (403, 409) else 400)
    return _render_edit(fact_id, fact, form, effect=preview.sample_effect(current, after, edited))
