"""All writes to inquiries and visit bookings: send, reply, confirm or decline a visit, close.

Spam control has three layers: the views' Flask-Limiter limits (cheap, per user and per IP), the rules here
(which hold however the request arrived), and the form's honeypot. The rules here, kept simple on purpose:

- at most INQUIRY_DAILY_LIMIT inquiries (any status, closing one does not free a slot) per family in any
  rolling 24 hours;
- the same text (case and white space ignored) may go to at most INQUIRY_SAME_TEXT_HOMES different homes
  within INQUIRY_SAME_TEXT_MINUTES: a family comparing homes may well ask each of them the same question,
  a spammer sends it to fifty; sending it to the same home twice in that window is a double submission.

The count-then-insert is not serialised: two requests racing may both pass. That is acceptable for a
spam heuristic; the per-user rate limit in front of it bounds the damage.
"""

import hashlib
import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from accounts.permissions import manages_home, takes_part_in_inquiry
from core import signals, time
from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from inquiries.models import BODY_MAX, KINDS, TIME_SLOTS, Inquiry, InquiryMessage, new_reference
from marketplace.vocab import CARE_LEVELS

VISIT_DAYS_AHEAD = 60
DEFAULTS = {"INQUIRY_DAILY_LIMIT": 10, "INQUIRY_SAME_TEXT_HOMES": 4, "INQUIRY_SAME_TEXT_MINUTES": 10}
DECIDABLE = ("open", "answered")


class TooManyInquiries(ServiceError):
    status = 429
    code = "too_many_inquiries"


def visit_date_window(now=None):
    """Return the first and last date a visit may be booked for: tomorrow to VISIT_DAYS_AHEAD days ahead."""
    today = time.business_date(now) if now else time.today()
    return today + timedelta(days=1), today + timedelta(days=VISIT_DAYS_AHEAD)


def body_fingerprint(body):
    """Return a fingerprint of a message that ignores case and white space."""
    normal = re.sub(r"\s+", " ", (body or "").strip()).casefold()
    return hashlib.sha256(normal.encode()).hexdigest() if normal else ""


def send_inquiry(user, home, *, kind, contact_name, contact_phone="", contact_email="", contact_consent=False,
                 body="", visit_date=None, time_slot=None, care_level=None, now=None):
    """Create an inquiry or visit booking from the family USER to HOME, with its first message; commit."""
    if not user.has_role("family"):
        raise ServiceError(_("Only family accounts can send inquiries."), status=403, code="forbidden")
    now = now or utcnow()
    body = (body or "").strip()
    _check_request(kind, contact_name, contact_phone, contact_email, contact_consent, body, visit_date,
                   time_slot, care_level, now)
    fingerprint = body_fingerprint(body)
    _check_spam_rules(user, home, fingerprint, now)
    inquiry = Inquiry(
        reference=_unique_reference(now), home_id=home.id, user_id=user.id, kind=kind,
        visit_date=visit_date if kind == "visit" else None, time_slot=time_slot if kind == "visit" else None,
        care_level=care_level or None, contact_name=contact_name.strip(), contact_phone=contact_phone or "",
        contact_email=(contact_email or "").lower(), contact_consent=True, status="open",
        awaiting_provider=True, body_fingerprint=fingerprint, created_at=now, updated_at=now)
    if body:
        inquiry.messages.append(InquiryMessage(author_id=user.id, author_role="family", body=body, created_at=now))
    db.session.add(inquiry)
    signals.inquiry_event.send(None, inquiry=inquiry, event="received")
    db.session.commit()
    return inquiry


def reply(user, inquiry, body):
    """Add USER's message (the family author or the home's staff) to INQUIRY's thread; commit."""
    _require_party(user, inquiry)
    _require_not_closed(inquiry)
    body = _check_body((body or "").strip())
    role = "provider" if manages_home(user, inquiry.home) else "family"
    inquiry.messages.append(InquiryMessage(author_id=user.id, author_role=role, body=body))
    inquiry.awaiting_provider = role == "family"
    if role == "provider" and inquiry.status == "open":
        inquiry.status = "answered"
    elif role == "family" and inquiry.status == "answered":
        inquiry.status = "open"
    inquiry.updated_at = utcnow()
    signals.inquiry_event.send(None, inquiry=inquiry, event="reply")
    db.session.commit()
    return inquiry


def confirm_visit(user, inquiry, note=""):
    """Confirm INQUIRY's visit as the home's staff, with an optional NOTE to the family; commit."""
    return _decide_visit(user, inquiry, "visit_confirmed", note)


def decline_visit(user, inquiry, note=""):
    """Decline INQUIRY's visit as the home's staff, with an optional NOTE (a reason, another date); commit."""
    return _decide_visit(user, inquiry, "visit_declined", note)


def close(user, inquiry):
    """Close INQUIRY (the family author or the home's staff): no more replies; commit."""
    _require_party(user, inquiry)
    if inquiry.status != "closed":
        inquiry.status = "closed"
        inquiry.awaiting_provider = False
        inquiry.updated_at = utcnow()
        db.session.commit()
    return inquiry


def get_for_party(user, reference):
    """Return the inquiry with REFERENCE if USER takes part in it; else raise NotFound (never say it exists)."""
    inquiry = db.session.scalars(sa.select(Inquiry).where(Inquiry.reference == (reference or "").upper())).first()
    if inquiry is None or not takes_part_in_inquiry(user, inquiry):
        raise NotFound(_("No inquiry with this reference number."))
    return inquiry


# --- rules -------------------------------------------------------------------------------------------


def _config(name):
    return current_app.config.get(name, DEFAULTS[name])


def _check_request(kind, contact_name, phone, email, consent, body, visit_date, time_slot, care_level, now):
    """Re-check what the form checks: a service must hold whichever way it is called."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [_("Choose a question or a visit.")]
    if not (contact_name or "").strip():
        errors["contact_name"] = [_("Enter your name.")]
    if not (phone or email):
        errors["contact_phone"] = [_("Enter a phone number or an email address.")]
    if consent is not True:
        errors["contact_consent"] = [_("Agree that the home may contact you, or it cannot answer.")]
    if care_level and care_level not in CARE_LEVELS:
        errors["care_level"] = [_("Choose a care level from the list.")]
    if kind == "inquiry" and not body:
        errors["body"] = [_("Write your question.")]
    if len(body) > BODY_MAX:
        errors["body"] = [_("At most %(n)s characters.", n=BODY_MAX)]
    if kind == "visit":
        errors.update(_visit_errors(visit_date, time_slot, now))
    if errors:
        raise ServiceError(_("Please check the form."), errors, code="invalid_inquiry")


def _visit_errors(visit_date, time_slot, now):
    errors = {}
    first, last = visit_date_window(now)
    if not isinstance(visit_date, date) or isinstance(visit_date, datetime) or not first <= visit_date <= last:
        errors["visit_date"] = [_("Choose a date from %(first)s to %(last)s.", first=first.isoformat(),
                                  last=last.isoformat())]
    if time_slot not in TIME_SLOTS:
        errors["time_slot"] = [_("Choose morning or afternoon.")]
    return errors


def _check_body(body):
    if not body or len(body) > BODY_MAX:
        raise ServiceError(_("Please check the form."), {"body": [
            _("Write a message of 1 to %(n)s characters.", n=BODY_MAX)]}, code="invalid_message")
    return body


def _check_spam_rules(user, home, fingerprint, now):
    since = now - timedelta(hours=24)
    sent_today = db.session.scalar(sa.select(sa.func.count(Inquiry.id)).where(
        Inquiry.user_id == user.id, Inquiry.created_at >= since))
    if sent_today >= _config("INQUIRY_DAILY_LIMIT"):
        raise TooManyInquiries(_("You have sent %(n)s inquiries in the last 24 hours, the most we accept. "
                                 "Please wait for the homes to answer, or call them.", n=sent_today))
    if fingerprint:
        _check_same_text(user, home, fingerprint, now)


def _check_same_text(user, home, fingerprint, now):
    since = now - timedelta(minutes=_config("INQUIRY_SAME_TEXT_MINUTES"))
    home_ids = set(db.session.scalars(sa.select(Inquiry.home_id).where(
        Inquiry.user_id == user.id, Inquiry.body_fingerprint == fingerprint, Inquiry.created_at >= since)))
    if home.id in home_ids:
        raise ServiceError(_("You have just sent this message to this home. It has it; please wait for the answer."),
                           status=409, code="duplicate_inquiry")
    if len(home_ids) >= _config("INQUIRY_SAME_TEXT_HOMES"):
        raise TooManyInquiries(_("You have just sent the same message to %(n)s homes. Please wait a few minutes "
                                 "before sending it to more.", n=len(home_ids)))


def _unique_reference(now):
    year = time.business_date(now).year
    for _attempt in range(10):  # 30^6 codes a year: a clash is rare, ten in a row is a bug
        reference = new_reference(year)
        if not db.session.scalar(sa.select(Inquiry.id).where(Inquiry.reference == reference)):
            return reference
    raise RuntimeError("could not draw a free inquiry reference")


def _require_party(user, inquiry):
    if not takes_part_in_inquiry(user, inquiry):
        raise NotFound(_("No inquiry with this reference number."))


def _require_not_closed(inquiry):
    if inquiry.status == "closed":
        raise ServiceError(_("This inquiry is closed."), status=409, code="inquiry_closed")


def _decide_visit(user, inquiry, status, note):
    _require_party(user, inquiry)
    if not manages_home(user, inquiry.home):
        raise ServiceError(_("Only the home can confirm or decline a visit."), status=403, code="forbidden")
    if not inquiry.is_visit:
        raise ServiceError(_("This is a question, not a visit booking."), status=409, code="not_a_visit")
    if inquiry.status not in DECIDABLE:
        raise ServiceError(_("This visit has already been decided or the inquiry is closed."), status=409,
                           code="visit_already_decided")
    note = (note or "").strip()
    if note:
        inquiry.messages.append(InquiryMessage(author_id=user.id, author_role="provider", body=_check_body(note)))
    inquiry.status = status
    inquiry.awaiting_provider = False
    inquiry.updated_at = utcnow()
    signals.inquiry_event.send(None, inquiry=inquiry, event=status)
    db.session.commit()
    return inquiry

