"""Pages around a review: families enter codes, mark reviews helpful and report them; homes issue codes,
reply and report; regulators verify reviews, decide replies and resolve reports in their jurisdiction.

Views parse the form, ask accounts.permissions (through the services), call reviews.engagement and render.
Helpful votes, reports and code entry are rate-limited per user and per IP (Flask-Limiter) on top of the
services' own rules (one vote, one report per user and review; one use per code).
"""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from core.forms import add_field_errors
from core.web import login_required, rate_limited
from marketplace.models import Home
from reviews import engagement, queries
from reviews.engagement_forms import (
    CODE_STATE_LABELS,
    RELATIONSHIP_LABELS,
    REPLY_REASON_LABELS,
    REPLY_STATUS_LABELS,
    REPORT_REASON_LABELS,
    REPORT_STATUS_LABELS,
    CodeForm,
    ConfirmForm,
    IssueCodesForm,
    ReplyDecisionForm,
    ReplyForm,
    ReportForm,
    ReportResolutionForm,
    VerifyReviewForm,
)

bp = Blueprint("review_engagement", __name__, template_folder="templates")
PROVIDER_REVIEWS_LIMIT = 200

# overridable in config; per user they count accepted requests, per IP every POST
DEFAULT_LIMITS = {"REVIEW_HELPFUL_LIMIT_USER": "60/hour", "REVIEW_HELPFUL_LIMIT_IP": "300/hour",
                  "REVIEW_REPORT_LIMIT_USER": "10/hour", "REVIEW_REPORT_LIMIT_IP": "60/hour",
                  "REVIEW_CODE_LIMIT_USER": "10/hour", "REVIEW_CODE_LIMIT_IP": "30/hour"}


def _rate_limited(kind):
    return rate_limited(f"REVIEW_{kind}_LIMIT_USER", f"REVIEW_{kind}_LIMIT_IP", DEFAULT_LIMITS,
                        scope=f"review_{kind.lower()}")


def _review_url(review):
    return url_for("marketplace.home", home_id=review.home_id, _anchor=f"review-{review.id}")


def _home_of(review):
    return queries.home_of(review)


def _public_review(review_id):
    review = engagement.get_review(review_id)
    if review.status not in engagement.PUBLIC_STATUSES:
        abort(404)
    return review


# --- families (and the home's staff, for reports) ----------------------------------------------------


@bp.route("/reviews/<int:review_id>/helpful", methods=["POST"])
@_rate_limited("HELPFUL")
@login_required
def helpful(review_id):
    """Mark a review helpful, or take the mark back (a toggle)."""
    review = _public_review(review_id)
    if not permissions.can_vote_helpful(current_user, review):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    marked, _count = engagement.toggle_helpful(current_user, review)
    flash(_("Marked as helpful.") if marked else _("Helpful mark taken back."), "success")
    return redirect(_review_url(review))


@bp.route("/reviews/<int:review_id>/report", methods=["GET", "POST"])
@_rate_limited("REPORT")
@login_required
def report(review_id):
    """Show and take the form to report a review to the regulator."""
    review = _public_review(review_id)
    if not permissions.can_report_review(current_user, review, _home_of(review)):
        abort(403)
    form = ReportForm()
    if request.method == "GET":
        return _render_report(review, form)
    if not form.validate_on_submit():
        return _render_report(review, form), 400
    try:
        engagement.report_review(current_user, review, form.reason.data, form.text.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_report(review, form, exc.message), exc.status
    flash(_("Thank you. A regulator will look at this review."), "success")
    return redirect(_review_url(review))


@bp.route("/reviews/<int:review_id>/code", methods=["GET", "POST"])
@_rate_limited("CODE")
@login_required
def enter_code(review_id):
    """Show and take the form where a review's author enters the home's verification code."""
    review = engagement.get_review(review_id)
    if not permissions.can_redeem_review_code(current_user, review):
        abort(403)
    form = CodeForm()
    if request.method == "GET":
        return _render_code(review, form)
    if not form.validate_on_submit():
        return _render_code(review, form), 400
    try:
        engagement.redeem_code(current_user, review, form.verification_code.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_code(review, form, exc.message), exc.status
    flash(_("Thank you: your review is now marked as verified."), "success")
    return redirect(url_for(".enter_code", review_id=review.id))


def _render_report(review, form, message=None):
    return render_template("reviews/engagement/report.html", review=review, home=_home_of(review), form=form,
                           message=message)


def _render_code(review, form, message=None):
    return render_template("reviews/engagement/code.html", review=review, home=_home_of(review), form=form,
                           message=message, verification=engagement.verification_of(review))


# --- the home's staff --------------------------------------------------------------------------------


def _staff_home(home_id, allowed):
    home = db.get_or_404(Home, home_id)
    if not permissions.manages_home(current_user, home):
        abort(403, description=_("This home is run by another operator."))
    if not allowed(current_user, home):
        abort(403, description=_("Your operator has not been verified by a regulator yet."))
    return home


@bp.route("/portal/homes/<int:home_id>/reviews")
@roles_required("provider")
def provider_reviews(home_id):
    """List the home's public reviews with their reply (and its moderation) and a reply form where none."""
    home = _staff_home(home_id, lambda _user, _home: True)
    return _render_provider_reviews(home)


@bp.route("/portal/reviews/<int:review_id>/reply", methods=["POST"])
@roles_required("provider")
def reply(review_id):
    """Submit the home's one public reply to a review (it waits for a regulator)."""
    review = _public_review(review_id)
    home = _staff_home(review.home_id, permissions.can_reply_to_review)
    form = ReplyForm(prefix=f"r{review.id}")
    if not form.validate_on_submit():
        return _render_provider_reviews(home, forms={review.id: form}), 400
    try:
        engagement.submit_reply(current_user, review, form.text.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_provider_reviews(home, forms={review.id: form}, message=exc.message), exc.status
    flash(_("Your reply was sent. It is shown under the review once a regulator has checked it."), "success")
    return redirect(url_for(".provider_reviews", home_id=home.id, _anchor=f"review-{review.id}"))


@bp.route("/portal/homes/<int:home_id>/review-codes", methods=["GET", "POST"])
@roles_required("provider")
def codes(home_id):
    """List the home's verification codes and issue new ones (each shown once, right after issuing)."""
    home = _staff_home(home_id, lambda _user, _home: True)
    form = IssueCodesForm()
    if request.method == "GET":
        return _render_codes(home, form)
    if not permissions.can_issue_review_codes(current_user, home):
        abort(403, description=_("Your operator has not been verified by a regulator yet."))
    if not form.validate_on_submit():
        return _render_codes(home, form), 400
    try:
        issued = engagement.issue_codes(current_user, home, form.relationship.data, form.count.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_codes(home, form, message=exc.message), exc.status
    # rendered, not redirected: the plain codes must not travel through the session or a URL
    return _render_codes(home, IssueCodesForm(formdata=None), issued=issued)


@bp.route("/portal/homes/<int:home_id>/review-codes/<int:code_id>/revoke", methods=["POST"])
@roles_required("provider")
def revoke_code(home_id, code_id):
    """Withdraw an unused code."""
    home = _staff_home(home_id, permissions.can_issue_review_codes)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    engagement.revoke_code(current_user, code_id, home)
    flash(_("The code was withdrawn."), "success")
    return redirect(url_for(".codes", home_id=home.id))


def _render_provider_reviews(home, forms=None, message=None):
    rows = queries.public_reviews(home.id, PROVIDER_REVIEWS_LIMIT)
    extras = engagement.engagement_for([r.id for r in rows], current_user)
    forms = {r.id: (forms or {}).get(r.id) or ReplyForm(prefix=f"r{r.id}", formdata=None) for r in rows}
    return render_template("reviews/engagement/provider_reviews.html", home=home, reviews=rows, extras=extras,
                           forms=forms, message=message,
                           can_reply=permissions.can_reply_to_review(current_user, home))


def _render_codes(home, form, issued=None, message=None):
    return render_template("reviews/engagement/codes.html", home=home, form=form, issued=issued or [],
                           codes=engagement.codes_for(home), message=message, now=utcnow(),
                           revoke_form=ConfirmForm(formdata=None),
                           can_issue=permissions.can_issue_review_codes(current_user, home),
                           valid_days=engagement.CODE_VALID_DAYS)


# --- regulators --------------------------------------------------------------------------------------


@bp.route("/regulator/review-engagement")
@roles_required("regulator", "admin")
def regulator_queue():
    """List pending replies and open reports on reviews of homes in the regulator's jurisdiction."""
    return _render_queue()


@bp.route("/regulator/replies/<int:reply_id>/decide", methods=["POST"])
@roles_required("regulator", "admin")
def decide_reply(reply_id):
    """Publish or reject a pending reply, with a reason and a statement."""
    reply_row = engagement.get_reply(reply_id)
    review = queries.review_of(reply_row)
    if not permissions.can_moderate_engagement(current_user, _home_of(review)):
        abort(403, description=_("This home lies outside your jurisdiction."))
    form = ReplyDecisionForm(prefix=f"reply{reply_row.id}")
    if not form.validate_on_submit():
        return _render_queue(reply_forms={reply_row.id: form}), 400
    try:
        engagement.decide_reply(current_user, reply_row, form.decision.data == "publish", form.reason_code.data,
                                form.statement.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_queue(reply_forms={reply_row.id: form}, message=exc.message), exc.status
    flash(_("Reply published.") if reply_row.status == "published" else _("Reply rejected."), "success")
    return redirect(url_for(".regulator_queue"))


@bp.route("/regulator/review-reports/<int:report_id>/resolve", methods=["POST"])
@roles_required("regulator", "admin")
def resolve_report(report_id):
    """Uphold or dismiss an open report, with a note."""
    report_row = engagement.get_report(report_id)
    review = queries.review_of(report_row)
    if not permissions.can_moderate_engagement(current_user, _home_of(review)):
        abort(403, description=_("This home lies outside your jurisdiction."))
    form = ReportResolutionForm(prefix=f"report{report_row.id}")
    if not form.validate_on_submit():
        return _render_queue(report_forms={report_row.id: form}), 400
    try:
        engagement.resolve_report(current_user, report_row, form.decision.data == "uphold", form.note.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_queue(report_forms={report_row.id: form}, message=exc.message), exc.status
    flash(_("Report upheld.") if report_row.status == "upheld" else _("Report dismissed."), "success")
    return redirect(url_for(".regulator_queue"))


@bp.route("/regulator/reviews/<int:review_id>/verify", methods=["GET", "POST"])
@roles_required("regulator", "admin")
def verify_review(review_id):
    """Show a review and mark it verified (first-hand), with the confirmed relationship and a statement."""
    review = engagement.get_review(review_id)
    if not permissions.can_verify_review(current_user, _home_of(review)):
        abort(403, description=_("This home lies outside your jurisdiction."))
    form = VerifyReviewForm()
    if request.method == "GET":
        return _render_verify(review, form)
    if not form.validate_on_submit():
        return _render_verify(review, form), 400
    try:
        engagement.verify_by_regulator(current_user, review, form.relationship.data, form.statement.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_verify(review, form, exc.message), exc.status
    flash(_("The review is marked as verified."), "success")
    return redirect(url_for(".verify_review", review_id=review.id))


def _render_queue(reply_forms=None, report_forms=None, message=None):
    replies = engagement.pending_replies_for(current_user)
    reports = engagement.open_reports_for(current_user)
    reply_forms = {r.id: (reply_forms or {}).get(r.id) or ReplyDecisionForm(prefix=f"reply{r.id}", formdata=None)
                   for r, _review, _home in replies}
    report_forms = {r.id: (report_forms or {}).get(r.id)
                    or ReportResolutionForm(prefix=f"report{r.id}", formdata=None) for r, _review, _home in reports}
    signals = {r.id: engagement.reply_signals(r) for r, _review, _home in replies}
    return render_template("reviews/engagement/regulator_queue.html", replies=replies, reports=reports,
                           reply_forms=reply_forms, report_forms=report_forms, message=message, signals=signals,
                           jurisdiction=permissions.jurisdiction_name(current_user))


def _render_verify(review, form, message=None):
    return render_template("reviews/engagement/verify.html", review=review, home=_home_of(review), form=form,
                           message=message, verification=engagement.verification_of(review))


# --- what templates get ------------------------------------------------------------------------------


def review_engagement(review):
    """Return what the page shows under REVIEW: its published reply, helpful count, the user's vote and rights.

    The first call on a page loads the data for all public reviews of the review's home at once (kept with
    the request, so that one page costs a few queries however many reviews it shows).
    """
    cache = request.environ.setdefault("yrd.review_engagement", {})
    if review.id not in cache:
        ids = queries.public_review_ids(review.home_id)
        cache.update(engagement.engagement_for(set(ids) | {review.id}, current_user))
    extras = dict(cache[review.id])
    home = _home_of(review)
    extras.update(public=review.status in engagement.PUBLIC_STATUSES,
                  can_vote=permissions.can_vote_helpful(current_user, review),
                  can_report=permissions.can_report_review(current_user, review, home),
                  can_reply=permissions.manages_home(current_user, home),
                  can_enter_code=permissions.can_redeem_review_code(current_user, review) and not review.verified)
    return extras


@bp.app_context_processor
def _engagement_context():
    return {"review_engagement": review_engagement,
            "code_relationship_label": lambda r: RELATIONSHIP_LABELS.get(r, r),
            "report_reason_label": lambda r: REPORT_REASON_LABELS.get(r, r),
            "reply_reason_label": lambda r: REPLY_REASON_LABELS.get(r, r),
            "reply_status_label": lambda s: REPLY_STATUS_LABELS.get(s, s),
            "report_status_label": lambda s: REPORT_STATUS_LABELS.get(s, s),
            "code_state_label": lambda s: CODE_STATE_LABELS.get(s, s)}
