"""Designations as data: a provider declares its home's designation with its source and date; a regulator of the
home's place confirms it; only then does it drive the cross-province panel and the estimate."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core.errors import ServiceError
from core.extensions import db
from core.forms import add_field_errors
from costs import services
from costs.designations import designations_of
from costs.forms import ConfirmForm, DesignationForm
from costs.models import HomeDesignation
from marketplace.models import Home

bp = Blueprint("costs_designations", __name__, template_folder="templates")


def _home(home_id, allowed):
    home = db.session.get(Home, home_id)
    if home is None:
        abort(404)
    if not allowed(current_user, home):
        abort(403)
    return home


def _render_portal(home, form, status=200):
    return render_template("costs/designations_portal.html", home=home, portal_home=home, form=form,
                           can_publish=permissions.can_publish(current_user),
                           designations=designations_of(home)), status


@bp.route("/portal/homes/<int:home_id>/designations", methods=["GET", "POST"])
@roles_required("provider", "admin")
def portal(home_id):
    """List the home's designations; declare one with its source (pending until a regulator confirms)."""
    home = _home(home_id, permissions.can_edit_home)
    form = DesignationForm()
    if not form.is_submitted():
        return _render_portal(home, form)
    if not form.validate_on_submit():
        return _render_portal(home, form, 400)
    try:
        services.record_designation(home, form.kind.data, (form.source.data or "").strip(), form.source_date.data,
                                    (form.scheme_region.data or "").strip() or None, basis="declared",
                                    user=current_user)
    except ServiceError as exc:
        db.session.rollback()
        add_field_errors(form, exc.fields)
        return _render_portal(home, form, 400)
    flash(_("Declared. A regulator of the home's place will confirm it."), "success")
    return redirect(url_for(".portal", home_id=home.id))


@bp.route("/regulator/designations/")
@roles_required("regulator", "admin")
def pending():
    """List the declared designations waiting for a regulator of the home's place."""
    rows = db.session.execute(sa.select(HomeDesignation, Home).join(Home, Home.id == HomeDesignation.home_id)
                              .where(HomeDesignation.status == "pending").order_by(HomeDesignation.id)).all()
    rows = [(d, h) for d, h in rows if permissions.regulates_home(current_user, h)]
    return render_template("costs/designations_pending.html", rows=rows, form=ConfirmForm())


@bp.route("/regulator/designations/<int:designation_id>/confirm", methods=["POST"])
@roles_required("regulator", "admin")
def confirm(designation_id):
    """Confirm a declared designation: from now on it drives the panel."""
    row = db.session.get(HomeDesignation, designation_id)
    if row is None:
        abort(404)
    home = _home(row.home_id, permissions.regulates_home)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired. Please try again."))
    if row.status != "pending":
        abort(409, description=_("This designation is not waiting for confirmation."))
    services.confirm_designation(row, current_user, home)
    flash(_("Confirmed."), "success")
    return redirect(url_for(".pending"))
