"""The inbox (always on), notification settings per kind and channel, and one-click unsubscribe."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.extensions import csrf
from notify import services, unsubscribe
from notify.kinds import KINDS, kind_label, kinds_for
from notify.models import CHANNELS

bp = Blueprint("notify", __name__, template_folder="templates")


@bp.route("/account/notifications")
@login_required
def inbox():
    """The signed-in person's notifications, newest first."""
    return render_template("notify/inbox.html", items=services.inbox(current_user),
                           render=_render)


def _render(notification):
    from flask_babel import get_locale

    from notify.delivery import render

    return render(notification, str(get_locale()))


@bp.route("/account/notifications/read", methods=["POST"])
@login_required
def mark_read():
    """Mark one notification (notification_id) or all of them read."""
    raw = request.form.get("notification_id")
    ids = [int(raw)] if raw and raw.isdigit() and len(raw) < 19 else None
    services.mark_read(current_user, ids)
    return redirect(url_for("notify.inbox"))


@bp.route("/account/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Choose, per kind, whether it also comes by e-mail and by SMS, and the language of messages."""
    if request.method == "POST":
        for kind in kinds_for(current_user):
            for channel in CHANNELS:
                services.set_preference(current_user.id, kind, channel, request.form.get(f"{kind}.{channel}") == "on")
        if request.form.get("language") in ("zh_CN", "en"):
            services.set_language(current_user, request.form["language"])
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notify.settings"))
    rows = [(kind, kind_label(kind), {c: c in services.channels_for_display(current_user, kind) for c in CHANNELS})
            for kind in kinds_for(current_user)]
    return render_template("notify/settings.html", rows=rows, language=services.language_of(current_user.id),
                           has_email=bool(current_user.email), has_mobile=bool(current_user.mobile))


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt  # the signed token is the authority; mail clients POST here for one-click unsubscribe (RFC 8058)
def unsubscribe_view(token):
    """Stop one kind of message on one channel: a page with a button, or at once on POST (one click)."""
    found = unsubscribe.read(token)
    if found is None or found[1] not in KINDS:
        abort(404)
    user_id, kind, channel = found
    if request.method == "POST":
        services.set_preference(user_id, kind, channel, False)
        return render_template("notify/unsubscribed.html", label=kind_label(kind))
    return render_template("notify/unsubscribe.html", label=kind_label(kind), token=token)

