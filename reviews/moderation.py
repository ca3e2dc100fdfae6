"""The regulators' moderation pages: the queue (riskiest first, signals and evidence, bulk actions, keyboard
shortcuts in static/js/moderation.js), one review with its audit log, decisions, appeals, the audit log.

Only regulators (in their jurisdiction) and admins; no route changes the audit log, it only grows.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.permissions import decides_appeal, jurisdiction_name, moderates_review, roles_required
from core.errors import NotFound, ServiceError
from core.forms import add_field_errors
from reviews import engagement, queries, services
from reviews.forms import DECISION_LABELS, REASON_LABELS, DecisionForm
from reviews.services import DECISIONS, PUBLISH_REASONS, REASON_CODES

bp = Blueprint("moderation", __name__, url_prefix="/regulator/reviews", template_folder="templates")
MODERATORS = ("regulator", "admin")


@bp.route("/")
@roles_required(*MODERATORS)
def queue():
    """List the reviews waiting in the jurisdiction: ?status=pending|appealed|reported, ?order=risk|reports."""
    status = request.args.get("status") or None
    if status and status not in queries.QUEUE_FILTERS:
        abort(400, _("Unknown status."))
    order = request.args.get("order") or "risk"
    if order not in queries.QUEUE_ORDERS:
        abort(400, _("Unknown order."))
    return _render_queue(status, order, DecisionForm(formdata=None))


@bp.route("/bulk", methods=["POST"])
@roles_required(*MODERATORS)
def bulk():
    """Apply one decision with one reason to the checked reviews."""
    form = DecisionForm()
    status = request.form.get("status") or None
    if status not in (None, *queries.QUEUE_FILTERS):
        status = None
    order = request.form.get("order") if request.form.get("order") in queries.QUEUE_ORDERS else "risk"
    if not form.validate_on_submit():
        return _render_queue(status, order, form), 400
    try:
        decided, skipped = services.moderate_reviews(current_user, request.form.getlist("review_id"),
                                                     form.action.data, form.reason(), form.statement.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_queue(status, order, form, message=exc.message), exc.status
    flash(_("Reviews decided: %(n)s.", n=len(decided)), "success")
    if skipped:
        flash(_("Reviews skipped because they were no longer open to this decision: %(n)s.", n=len(skipped)),
              "warning")
    return redirect(url_for("moderation.queue", status=status, order=None if order == "risk" else order))


@bp.route("/log")
@roles_required(*MODERATORS)
def log():
    """Show the latest lines of the audit log for reviews in the jurisdiction (read only)."""
    return render_template("reviews/audit_log.html", rows=queries.audit_log(current_user),
                           jurisdiction=jurisdiction_name(current_user, _("all regions")))


@bp.route("/<int:review_id>")
@roles_required(*MODERATORS)
def review(review_id):
    """Show one review to a moderator: text, scores, signals with evidence, its audit log, the decision forms."""
    item = _moderated(review_id)
    return _render_review(item, DecisionForm(formdata=None))


@bp.route("/<int:review_id>/decide", methods=["POST"])
@roles_required(*MODERATORS)
def decide(review_id):
    """Publish, fold or reject one review (an open appeal is decided through the same form)."""
    item = _moderated(review_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_review(item, form), 400
    try:
        if item.status == "appealed":
            services.decide_appeal(current_user, item, form.action.data, form.reason(), form.statement.data)
        else:
            services.moderate_review(current_user, item, form.action.data, form.reason(), form.statement.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_review(queries.get_review(review_id), form, message=exc.message), exc.status
    flash(_("Decision recorded: %(label)s.", label=DECISION_LABELS[form.action.data]), "success")
    next_id = request.form.get("next_id", type=int)
    if next_id:
        return redirect(url_for("moderation.review", review_id=next_id))
    return redirect(url_for("moderation.queue"))


# --- helpers -------------------------------------------------------------------------------------------


def _moderated(review_id):
    item = queries.get_review(review_id)
    if not moderates_review(current_user, item):
        raise NotFound(_("No such review."))  # outside the jurisdiction: do not say it exists
    return item



def _reasons():
    return {"publish": [(c, REASON_LABELS[c]) for c in PUBLISH_REASONS],
            "other": [(c, REASON_LABELS[c]) for c in REASON_CODES if c not in PUBLISH_REASONS]}


def _render_queue(status, order, form, message=None):
    reviews = queries.moderation_queue(current_user, status, order)
    return render_template("reviews/queue.html", reviews=reviews, counts=queries.queue_counts(current_user),
                           reports=engagement.open_report_counts([r.id for r in reviews]), status=status,
                           order=order, form=form, message=message,
                           jurisdiction=jurisdiction_name(current_user, _("all regions")),
                           decisions=DECISIONS, reasons=_reasons())


def _render_review(item, form, message=None):
    waiting = [r.id for r in queries.moderation_queue(current_user) if r.id != item.id]
    return render_template("reviews/moderate.html", review=item, form=form, message=message,
                           open_reports=engagement.open_reports_of(item),
                           log=queries.review_log(item.id), decisions=DECISIONS, reasons=_reasons(),
                           may_decide_appeal=item.status != "appealed" or decides_appeal(current_user, item),
                           next_id=waiting[0] if waiting else None)
