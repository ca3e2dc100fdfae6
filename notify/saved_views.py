"""The saved-searches page of a family's account (list, rename, change frequency, delete) and the "save this
search" control of the search page (a panel in the slot search.after_results)."""

from urllib.parse import parse_qsl

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from accounts import consents
from accounts.permissions import roles_required
from core.errors import ServiceError
from core.vocab import SAVED_SEARCH_FREQUENCIES
from notify import saved_searches as services

bp = Blueprint("saved_searches", __name__, template_folder="templates")


def frequency_labels():
    """The frequencies as a family reads them."""
    return {"immediately": _("At once"), "daily": _("Daily digest at 08:00"),
            "weekly": _("Weekly digest (Monday 08:00)")}


def _page(errors=None, status=200):
    items = [(s, services.recent_matches(s)) for s in services.saved_searches_of(current_user)]
    return render_template("notify/saved_searches.html", items=items, errors=errors or {},
                           frequencies=SAVED_SEARCH_FREQUENCIES, labels=frequency_labels()), status


@bp.route("/account/saved-searches")
@roles_required("family")
def index():
    """The family's saved searches with their recent matches."""
    return _page()


@bp.route("/account/saved-searches", methods=["POST"])
@roles_required("family")
def create():
    """Save the search the search page sent (its parameters in `search`) with a name and a frequency."""
    raw = MultiDict(parse_qsl(request.form.get("search", ""), keep_blank_values=False))
    try:
        saved, dropped = services.save_search(current_user, request.form.get("name", ""),
                                              request.form.get("frequency", ""), raw,
                                              care_consent=request.form.get("care_consent") == "on")
    except ServiceError as exc:
        return _page(exc.fields or {"form": [exc.message]}, 400)
    flash(_("Your search “%(name)s” is saved. We will tell you when a home starts to match it.", name=saved.name),
          "success")
    if dropped:
        flash(_("It was saved without the care level, as you did not agree to store it."), "info")
    return redirect(url_for("saved_searches.index"))


@bp.route("/account/saved-searches/<int:saved_search_id>", methods=["POST"])
@roles_required("family")
def update(saved_search_id):
    """Rename a saved search and/or change its frequency."""
    saved = services.own_saved_search(current_user, saved_search_id)
    try:
        services.update_saved_search(saved, request.form.get("name"), request.form.get("frequency"))
    except ServiceError as exc:
        return _page(exc.fields, 400)
    flash(_("Saved."), "success")
    return redirect(url_for("saved_searches.index"))


@bp.route("/account/saved-searches/<int:saved_search_id>/delete", methods=["POST"])
@roles_required("family")
def delete(saved_search_id):
    """Delete a saved search."""
    services.delete_saved_search(services.own_saved_search(current_user, saved_search_id))
    flash(_("The saved search is deleted."), "success")
    return redirect(url_for("saved_searches.index"))


def save_control(subject):
    """The search page's panel: what the "save this search" form needs (None for anyone but a family)."""
    if not current_user.is_authenticated or current_user.role != "family" or not subject.get("query"):
        return None
    query = subject["query"]
    return {"search": request.query_string.decode("utf-8", "replace"), "frequencies": SAVED_SEARCH_FREQUENCIES,
            "labels": frequency_labels(),
            # typed words may name a care level too (understood when saved): ask whenever there are any
            "asks_consent": bool(query.care_level or query.text.strip())
            and consents.current(current_user.id, "sensitive") is None}
