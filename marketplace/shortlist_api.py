"""The signed-in person's shortlist as JSON under /api/v1/me/shortlist (session cookie; writes need X-CSRFToken),
so a mobile app or mini-program keeps the same list as the site."""

import marshmallow as ma
from flask import current_app, url_for
from flask.views import MethodView
from flask_login import current_user
from marshmallow import validate

from accounts.models import ROLES
from accounts.permissions import roles_required
from core.api import CSRF_HEADER, Blueprint, load_json
from core.errors import ErrorSchema
from core.extensions import csrf
from core.inputs import MAX_ID, valid_id
from marketplace import shortlist
from marketplace.shortlist_models import NOTE_MAX

blp = Blueprint("shortlist_api", __name__, url_prefix="/api/v1/me",
                description="The signed-in person's shortlist (session cookie; writes need the X-CSRFToken header)")
_signed_in = roles_required(*ROLES)


class ShortlistItemSchema(ma.Schema):
    home_id = ma.fields.Integer()
    name = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True, metadata={"description": "the person's private note; null: none"})
    added_at = ma.fields.DateTime()
    url = ma.fields.String(metadata={"description": "the home's page"})


class ShortlistSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ShortlistItemSchema))
    compare_max = ma.fields.Integer(metadata={"description": "how many of them one compare takes"})
    compare_url = ma.fields.String(allow_none=True, metadata={
        "description": "the compare page for the first compare_max homes; null: the shortlist is empty"})


class AddSchema(ma.Schema):
    home_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))
    note = ma.fields.String(validate=validate.Length(max=NOTE_MAX))


class NoteSchema(ma.Schema):
    note = ma.fields.String(required=True, allow_none=True, validate=validate.Length(max=NOTE_MAX))


class MergeSchema(ma.Schema):
    home_ids = ma.fields.List(ma.fields.Integer(strict=True), required=True,
                              validate=validate.Length(max=shortlist.SHORTLIST_MAX))


def item(entry, home):
    """One shortlist entry as the API shows it."""
    return {"home_id": home.id, "name": home.name, "name_en": home.name_en, "note": entry.note,
            "added_at": entry.added_at, "url": url_for("marketplace.home", home_id=home.id)}


def shortlist_payload(user):
    """USER's shortlist with the compare link for its first COMPARE_MAX homes."""
    pairs, most = shortlist.entries(user), current_app.config["COMPARE_MAX"]
    ids = [home.id for _entry, home in pairs[:most]]
    return {"items": [item(e, h) for e, h in pairs], "compare_max": most,
            "compare_url": url_for("marketplace.compare", ids=",".join(map(str, ids))) if ids else None}


def _one(user, home_id):
    return next((item(e, h) for e, h in shortlist.entries(user) if h.id == home_id), None)


_ERRORS = [(400, ErrorSchema), (401, ErrorSchema), (404, ErrorSchema), (409, ErrorSchema)]


def _errors(view):
    for status, schema in _ERRORS:
        view = blp.alt_response(status, schema=schema)(view)
    return view


@blp.route("/shortlist")
class Shortlist(MethodView):
    @blp.response(200, ShortlistSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def get(self):
        """The signed-in person's shortlist, in the order the homes were added."""
        return shortlist_payload(current_user)

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(201, ShortlistItemSchema)
    @_errors
    @_signed_in
    def post(self):
        """Put a home on the shortlist (already there: kept, with its note unless a note is given)."""
        csrf.protect()
        values = load_json(AddSchema())
        shortlist.add_home(current_user, values["home_id"], values.get("note"))
        return _one(current_user, values["home_id"])


@blp.route("/shortlist/merge")
class ShortlistMerge(MethodView):
    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(200, ShortlistSchema)
    @_errors
    @_signed_in
    def post(self):
        """Add a device's compare tray (home ids) after the homes already on the shortlist; unknown ids are skipped."""
        csrf.protect()
        values = load_json(MergeSchema())
        shortlist.merge(current_user, [i for i in values["home_ids"] if valid_id(i)])
        return shortlist_payload(current_user)


@blp.route("/shortlist/<int:home_id>")
class ShortlistHome(MethodView):
    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(200, ShortlistItemSchema)
    @_errors
    @_signed_in
    def patch(self, home_id):
        """Write the private note on a home of the shortlist (empty or null: no note)."""
        csrf.protect()
        values = load_json(NoteSchema())
        shortlist.set_note(current_user, home_id, values["note"])
        return _one(current_user, home_id)

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(204)
    @_errors
    @_signed_in
    def delete(self, home_id):
        """Take a home off the shortlist (not on it: nothing changes)."""
        csrf.protect()
        shortlist.remove_home(current_user, home_id)
        return None
