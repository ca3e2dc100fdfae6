"""Regulator pages: decide home claims and verify operators, within the regulator's jurisdiction.

A regulator sees and acts on what lies in their jurisdiction only (accounts.permissions.in_jurisdiction);
an admin acts everywhere. Anything outside gets 403 and nothing changes.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core import jobs
from core.errors import ServiceError
from core.extensions import db
from marketplace import queries, services
from marketplace.models import HomeClaim, Provider
from marketplace.portal_forms import ClaimDecisionForm, ConfirmForm

bp = Blueprint("regulator", __name__, url_prefix="/regulator", template_folder="templates")
bp.record_once(lambda state: jobs.daily(state.app, services.transfer_claims_due))


def _render_index(status=200, errors=None, decision_form=None, failed_claim_id=None):
    pending = queries.pending_claims(current_user)
    forms = {row["claim"].id: (decision_form if row["claim"].id == failed_claim_id and decision_form
                               else ClaimDecisionForm(prefix=f"claim{row['claim'].id}", formdata=None))
             for row in pending}
    return render_template("regulator/index.html", pending=pending, forms=forms,
                           operators=queries.unverified_operators(current_user),
                           verify_form=ConfirmForm(prefix="verify"),
                           errors=errors or {}, jurisdiction=permissions.jurisdiction_name(current_user)), status


@bp.route("/")
@roles_required("regulator", "admin")
def index():
    """List pending home claims and unverified operators in the user's jurisdiction."""
    return _render_index()


@bp.route("/claims/<int:claim_id>", methods=["POST"])
@roles_required("regulator", "admin")
def decide(claim_id):
    """Approve or reject a pending claim, with a note to the operator."""
    claim = db.get_or_404(HomeClaim, claim_id)
    if not permissions.regulates_home(current_user, queries.get_home(claim.home_id)):
        abort(403, description=_("This home lies outside your jurisdiction."))
    form = ClaimDecisionForm(prefix=f"claim{claim.id}")
    if not form.validate_on_submit():
        return _render_index(400, decision_form=form, failed_claim_id=claim.id)
    if not (form.approve.data or form.reject.data):
        form.note.errors = [_("Choose approve or reject.")]
        return _render_index(400, decision_form=form, failed_claim_id=claim.id)
    try:
        services.decide_claim(claim, current_user, approve=bool(form.approve.data), note=form.note.data or "")
    except ServiceError as exc:
        return _render_index(400, errors={"claim": [exc.message]})
    flash(_claim_decided_message(claim), "success")
    return redirect(url_for(".index"))


def _claim_decided_message(claim):
    if claim.status == "rejected":
        return _("Claim rejected.")
    if claim.awaiting_transfer:
        return _("Claim approved. The home's current operator is told and may dispute it; undisputed, the home "
                 "moves on %(date)s.", date=format_date(claim.transfer_due_on, "medium"))
    return _("Claim approved: the operator now manages the home.")


@bp.route("/operators/<int:provider_id>/verify", methods=["POST"])
@roles_required("regulator", "admin")
def verify(provider_id):
    """Verify an operator that runs or claims a home in the user's jurisdiction."""
    provider = db.get_or_404(Provider, provider_id)
    if not queries.operator_in_scope(current_user, provider):
        abort(403, description=_("This operator has no home in your jurisdiction."))
    if not ConfirmForm(prefix="verify").validate_on_submit():
        abort(400)
    if provider.verified_at is not None:
        return _render_index(400, errors={"operator": [_("This operator is already verified.")]})
    services.verify_provider(provider, current_user)
    flash(_("%(name)s is verified: its changes are published from now on.", name=provider.name), "success")
    return redirect(url_for(".index"))
