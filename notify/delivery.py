"""Sending what was recorded: e-mail through SMTP (Flask-Mailman) and SMS through a configurable sender.

At least once, never lost: a delivery is marked `sending` (with a lease) and committed before the message goes
out, and `sent` after. A worker that dies in between leaves it `sending`; when the lease runs out it is sent
again with the same idempotency key (the e-mail's Message-ID, the SMS gateway's out-id), which mail stores and
gateways use to drop the duplicate. Failures back off exponentially; after MAX_ATTEMPTS the delivery fails."""

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives
from werkzeug.utils import import_string

from core import time as clock
from core.extensions import db
from notify import calendar, unsubscribe
from notify.kinds import KINDS
from notify.models import Delivery
from notify.services import language_of, next_allowed_send

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=120)


def idempotency_key(delivery):
    """The key a message carries so that a resend after a crash is recognised as the same message."""
    return f"yrd-notification-{delivery.id}-{delivery.channel}"


def _due(now, batch):
    stmt = (sa.select(Delivery).where(Delivery.status.in_(("pending", "sending")), Delivery.not_before <= now)
            .order_by(Delivery.id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers side by side
    return db.session.scalars(stmt).all()


def deliver_due(batch=50):
    """Send every delivery that is due (up to BATCH); return how many were sent."""
    now = clock.utcnow()
    claimed = _due(now, batch)
    for delivery in claimed:  # write-ahead: the claim is durable before anything leaves the building
        delivery.status, delivery.attempts, delivery.not_before = "sending", delivery.attempts + 1, now + LEASE
    ids = [d.id for d in claimed]
    db.session.commit()
    sent = 0
    for delivery_id in ids:
        sent += _deliver_one(db.session.get(Delivery, delivery_id))
    return sent


def _deliver_one(delivery):
    try:
        send(delivery)
    except Exception as exc:  # any failure of the channel: retry later, with backoff
        delivery.last_error = type(exc).__name__[:200]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.status = "pending"
            delivery.not_before = clock.utcnow() + timedelta(seconds=min(3600, 30 * 2 ** (delivery.attempts - 1)))
        log.warning("notification %s by %s failed (attempt %s): %s", delivery.notification_id, delivery.channel,
                    delivery.attempts, type(exc).__name__)
        db.session.commit()
        return 0
    delivery.status, delivery.sent_at, delivery.last_error = "sent", clock.utcnow(), ""
    db.session.commit()
    return 1


def render(notification, language):
    """(title, text) of NOTIFICATION in LANGUAGE."""
    title, text, _channels = KINDS[notification.kind]
    with force_locale(language):
        params = _display_params(notification.params)
        return str(title) % params, str(text) % params


def _display_params(params):
    shown = dict(params)
    if params.get("date"):
        shown["date"] = format_date(date.fromisoformat(params["date"]), "long")
    shown["slot"] = {"morning": _("morning"), "afternoon": _("afternoon")}.get(params.get("slot"), "")
    if "changes" in params:  # a shortlisted home: what changed, named in the reader's language
        labels = {"price": _("the price"), "free_beds": _("the free beds"), "grade": _("the national grade"),
                  "quality_rating": _("the quality rating")}
        shown["what"] = _(", ").join(labels[c] for c in params["changes"] if c in labels)
    return shown


def public_url(path):
    base = (current_app.config.get("PUBLIC_BASE_URL") or current_app.config.get("PASSWORD_RESET_BASE_URL")
            or "http://127.0.0.1:5000")
    return base.rstrip("/") + path


def send(delivery):
    """Send DELIVERY on its channel (raises on failure)."""
    from accounts.models import User

    notification = delivery.notification
    user = db.session.get(User, notification.user_id)
    language = language_of(user.id)
    if delivery.channel == "email":
        _send_email(delivery, notification, user, language)
    else:
        if clock.utcnow() < next_allowed_send(clock.utcnow()):  # quiet hours began while it waited
            raise QuietHours()
        sms_sender().send(user.mobile, notification.kind, _sms_params(notification), idempotency_key(delivery))


class QuietHours(Exception):
    """An SMS that would go out between 21:00 and 08:00 business time: retried in the morning."""


def _sms_params(notification):
    return {k: v for k, v in notification.params.items() if k in ("reference", "home", "date", "slot")}


def _send_email(delivery, notification, user, language):
    title, text = render(notification, language)
    link = public_url(notification.link)
    unsubscribe_url = public_url(unsubscribe.path(user.id, notification.kind, "email"))
    # the layout's context processors read the request: the worker renders as if for the site's front page
    with current_app.test_request_context("/"), force_locale(language):
        context = {"title": title, "text": text, "link": link, "unsubscribe_url": unsubscribe_url,
                   "html_lang": "en" if language == "en" else "zh-CN"}
        body = render_template("notify/email_text.html", **context)
        html = render_template("notify/email.html", **context)
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN", "yrd-care-compare")
    message = EmailMultiAlternatives(
        subject=title, body=body, to=[user.email],
        headers={"Message-ID": f"<{idempotency_key(delivery)}@{domain}>",
                 "List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message.attach_alternative(html, "text/html")
    if notification.kind == "visit_confirmed":
        message.attach("visit.ics", calendar.visit_ics(notification, link), "text/calendar; method=PUBLISH")
    message.send()


def sms_sender():
    """The SMS sender named by SMS_SENDER (a dotted path; the log sender by default)."""
    senders = current_app.extensions.setdefault("notify.sms", {})
    path = current_app.config.get("SMS_SENDER") or "notify.sms.LogSmsSender"
    if path not in senders:
        target = import_string(path)
        senders[path] = target(current_app.config) if isinstance(target, type) else target
    return senders[path]


def pending_count():
    """Deliveries waiting to be sent (for /metrics)."""
    return db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(Delivery.status.in_(("pending", "sending"))))

