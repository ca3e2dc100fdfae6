"""The shortlist page: every home a signed-in person keeps to compare, with their private notes."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from core.errors import ServiceError
from marketplace import shortlist
from marketplace.presenters import home_name
from marketplace.shortlist_models import NOTE_MAX

bp = Blueprint("shortlist", __name__)


def _groups(ids, size):
    return [ids[i:i + size] for i in range(0, len(ids), size)]


@bp.route("/account/shortlist")
@login_required
def index():
    """The signed-in person's shortlist: each home with its note, and compare links for up to COMPARE_MAX at once."""
    pairs = shortlist.entries(current_user)
    rows = [{"id": home.id, "name": home_name(home.name, home.name_en), "note": entry.note or "",
             "added_at": entry.added_at} for entry, home in pairs]
    most = current_app.config["COMPARE_MAX"]
    groups = [(i * most + 1, i * most + len(g), ",".join(map(str, g)))
              for i, g in enumerate(_groups([r["id"] for r in rows], most)) if len(g) > 1]
    return render_template("marketplace/shortlist.html", rows=rows, groups=groups, note_max=NOTE_MAX)


def _check_csrf():
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


@bp.route("/account/shortlist/<int:home_id>/note", methods=["POST"])
@login_required
def note(home_id):
    """Save the private note on one home of the shortlist."""
    if not _check_csrf():
        return _expired()
    try:
        shortlist.set_note(current_user, home_id, request.form.get("note", ""))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    flash(_("Your note is saved."), "success")
    return redirect(url_for(".index") + f"#home-{home_id}")


@bp.route("/account/shortlist/<int:home_id>/remove", methods=["POST"])
@login_required
def remove(home_id):
    """Take one home off the shortlist."""
    if not _check_csrf():
        return _expired()
    if shortlist.remove_home(current_user, home_id):
        flash(_("The home is off your shortlist."), "success")
    return redirect(url_for(".index"))


def _expired():
    return render_template("error.html", status=400, message=_("Your session has expired. Please try again."),
                           fields={}), 400
