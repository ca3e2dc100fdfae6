"""Inquiries and visit bookings: the family's form and list, the thread, the provider inbox.

Views parse the form, call a service, render. Sending and replying are rate-limited per user and per IP
(Flask-Limiter) on top of the services' own rules; see inquiries/services.py.
"""


from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import consents
from accounts.permissions import manages_home, roles_required
from core.errors import ServiceError
from core.forms import add_field_errors
from core.web import login_required, rate_limited
from inquiries import queries, services
from inquiries.forms import (
    KIND_LABELS,
    STATUS_LABELS,
    TIME_SLOT_LABELS,
    CloseForm,
    InquiryForm,
    ReplyForm,
    VisitDecisionForm,
)
from inquiries.models import KINDS, STATUSES
from marketplace import presenters
from marketplace.queries import get_home
from marketplace.vocab import CARE_LEVEL_LABELS

bp = Blueprint("inquiries", __name__, template_folder="templates")

# overridable in config; the per-user limit counts only accepted requests, so typing errors cost nothing,
# the per-IP one counts every POST (bots and many accounts behind one address)
DEFAULT_LIMITS = {"INQUIRY_SEND_LIMIT_USER": "5/hour", "INQUIRY_SEND_LIMIT_IP": "30/hour",
                  "INQUIRY_REPLY_LIMIT_USER": "30/hour", "INQUIRY_REPLY_LIMIT_IP": "120/hour"}


def _rate_limited(user_limit, ip_limit):
    return rate_limited(user_limit, ip_limit, DEFAULT_LIMITS)


# --- family ------------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/inquire", methods=["GET", "POST"])
@_rate_limited("INQUIRY_SEND_LIMIT_USER", "INQUIRY_SEND_LIMIT_IP")
@login_required
@roles_required("family")
def inquire(home_id):
    """Show and take the form to ask HOME_ID a question or book a visit (?kind=visit)."""
    home = get_home(home_id)
    if request.method == "GET":
        kind = request.args.get("kind", "inquiry")
        if kind not in KINDS:
            abort(400, _("Choose a question or a visit."))
        form = InquiryForm(kind=kind, contact_name=current_user.display_name, contact_email=current_user.email,
                           contact_phone=current_user.mobile)
        return _render_form(home, form)
    form = InquiryForm()
    if not form.validate_on_submit():
        return _render_form(home, form), 400
    if form.is_bot:
        return _render_form(home, form, message=_("Your request could not be sent.")), 400
    values = form.service_values()
    if values.get("care_level") and consents.current(current_user.id, "sensitive") is None:
        if form.care_consent.data:  # the separate, explicit consent to health information (PIPL art. 29)
            consents.grant(current_user.id, "sensitive")
        else:  # refused: the request goes without the care level
            values["care_level"] = None
    try:
        inquiry = services.send_inquiry(current_user, home, **values)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_form(home, form, message=exc.message), exc.status
    return redirect(url_for("inquiries.sent", reference=inquiry.reference))


@bp.route("/inquiries/<reference>/sent")
@login_required
def sent(reference):
    """Confirm that the inquiry went out, with its reference number."""
    inquiry = _party_inquiry(reference)
    return render_template("inquiries/sent.html", inquiry=inquiry, home=presenters.home_summary(inquiry.home))


@bp.route("/account/inquiries")
@login_required
@roles_required("family")
def my_inquiries():
    """List the signed-in family's inquiries and visit bookings with their status."""
    return render_template("inquiries/my_inquiries.html", inquiries=queries.for_user(current_user.id))


# --- the thread --------------------------------------------------------------------------------------


@bp.route("/inquiries/<reference>")
@login_required
def thread(reference):
    """Show an inquiry's thread to the family who sent it and to the home's staff; 404 to anyone else."""
    inquiry = _party_inquiry(reference)
    return _render_thread(inquiry, ReplyForm())


@bp.route("/inquiries/<reference>/reply", methods=["POST"])
@_rate_limited("INQUIRY_REPLY_LIMIT_USER", "INQUIRY_REPLY_LIMIT_IP")
@login_required
def reply(reference):
    """Add a message to the thread."""
    inquiry = _party_inquiry(reference)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_thread(inquiry, form), 400
    try:
        services.reply(current_user, inquiry, form.body.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_thread(inquiry, form, message=exc.message), exc.status
    return redirect(url_for("inquiries.thread", reference=inquiry.reference, _anchor="latest"))


@bp.route("/inquiries/<reference>/confirm", methods=["POST"])
@_rate_limited("INQUIRY_REPLY_LIMIT_USER", "INQUIRY_REPLY_LIMIT_IP")
@login_required
def confirm_visit(reference):
    """Confirm a visit (the home's staff)."""
    return _decide(reference, services.confirm_visit)


@bp.route("/inquiries/<reference>/decline", methods=["POST"])
@_rate_limited("INQUIRY_REPLY_LIMIT_USER", "INQUIRY_REPLY_LIMIT_IP")
@login_required
def decline_visit(reference):
    """Decline a visit (the home's staff)."""
    return _decide(reference, services.decline_visit)


@bp.route("/inquiries/<reference>/close", methods=["POST"])
@login_required
def close(reference):
    """Close the inquiry (the family or the home's staff)."""
    inquiry = _party_inquiry(reference)
    if not CloseForm().validate_on_submit():
        abort(400)
    services.close(current_user, inquiry)
    return redirect(url_for("inquiries.thread", reference=inquiry.reference))


# --- provider ----------------------------------------------------------------------------------------


@bp.route("/portal/inbox")
@login_required
@roles_required("provider")
def provider_inbox():
    """List the inquiries to the operator's homes, unanswered first, with visit actions (?status= filters)."""
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        abort(400, _("Unknown status."))
    inquiries = queries.for_provider(current_user.provider_id, status) if current_user.provider_id else []
    return render_template("inquiries/inbox.html", inquiries=inquiries, status=status,
                           unanswered=queries.unanswered_count(current_user.provider_id),
                           decision_form=VisitDecisionForm())


# --- helpers -----------------------------------------------------------------------------------------


def _party_inquiry(reference):
    return services.get_for_party(current_user, reference)


def _decide(reference, decision):
    inquiry = _party_inquiry(reference)
    form = VisitDecisionForm()
    if not form.validate_on_submit():
        return _render_thread(inquiry, ReplyForm(formdata=None), decision_form=form), 400
    decision(current_user, inquiry, form.note.data)
    target = request.form.get("next")
    if target == "inbox":
        return redirect(url_for("inquiries.provider_inbox"))
    return redirect(url_for("inquiries.thread", reference=inquiry.reference))



def _render_form(home, form, message=None):
    first, last = services.visit_date_window()
    if form.kind.data == "visit":
        form.body.label.text = _("Message to the home (optional)")
    return render_template("inquiries/inquire.html", home=presenters.home_summary(home), form=form, message=message,
                           is_visit=form.kind.data == "visit", first_date=first, last_date=last,
                           sensitive_consent=consents.current(current_user.id, "sensitive") is not None)


def _render_thread(inquiry, form, message=None, decision_form=None):
    return render_template("inquiries/thread.html", inquiry=inquiry, home=presenters.home_summary(inquiry.home),
                           form=form, message=message, is_staff=manages_home(current_user, inquiry.home),
                           decision_form=decision_form or VisitDecisionForm(formdata=None),
                           close_form=CloseForm(formdata=None))


@bp.app_context_processor
def _inquiry_labels():
    return {"inquiry_status_label": lambda s: STATUS_LABELS.get(s, s),
            "inquiry_kind_label": lambda k: KIND_LABELS.get(k, k),
            "time_slot_label": lambda s: TIME_SLOT_LABELS.get(s, s),
            "inquiry_care_level_label": lambda c: CARE_LEVEL_LABELS.get(c, c)}
