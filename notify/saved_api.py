"""/api/v1/me/saved-searches: a signed-in family's saved searches as JSON (session cookie; writes need the
session's CSRF token in the X-CSRFToken header, as every cookie-authenticated write under /api/v1)."""

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from accounts.permissions import roles_required
from core.api import CSRF_HEADER, Blueprint, load_json
from core.errors import ErrorSchema
from core.extensions import csrf
from core.vocab import SAVED_SEARCH_FREQUENCIES
from notify import saved_searches as services

blp = Blueprint("saved_searches_api", __name__, url_prefix="/api/v1",
                description="A signed-in family's saved searches and their alerts")


class SavedSearchSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    frequency = ma.fields.String(metadata={"enum": list(SAVED_SEARCH_FREQUENCIES)})
    search = ma.fields.Dict(attribute="args", metadata={"description": "the search parameters (as /api/v1/homes)"})
    care_level = ma.fields.String(allow_none=True)
    search_url = ma.fields.String(attribute="link")
    created_at = ma.fields.DateTime()


class SavedSearchCreatedSchema(SavedSearchSchema):
    care_level_left_out = ma.fields.Boolean(
        metadata={"description": "true when the search named a care level and, without the consent to store "
                                 "health information, was saved without it"})


class SavedSearchListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SavedSearchSchema))


class SavedSearchCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True)
    frequency = ma.fields.String(load_default="immediately")
    search = ma.fields.Dict(load_default=dict, metadata={"description": "search parameters, as /api/v1/homes"})
    care_consent = ma.fields.Boolean(load_default=False, metadata={
        "description": "consent to store the care level (health information); without it the care level is left out"})


class SavedSearchUpdateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String()
    frequency = ma.fields.String()


@blp.route("/me/saved-searches")
class SavedSearches(MethodView):
    @blp.response(200, SavedSearchListSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @roles_required("family")
    def get(self):
        """List the signed-in family's saved searches, newest first."""
        return {"items": services.saved_searches_of(current_user)}

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(201, SavedSearchCreatedSchema)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @roles_required("family")
    def post(self):
        """Save a search with a name and a frequency (immediately, daily or weekly digest at 08:00)."""
        csrf.protect()
        values = load_json(SavedSearchCreateSchema(), _("Please check the saved search."))
        saved, dropped = services.save_search(current_user, values["name"], values["frequency"], values["search"],
                                              care_consent=values["care_consent"])
        saved.care_level_left_out = dropped
        return saved


@blp.route("/me/saved-searches/<int:saved_search_id>")
class SavedSearchItem(MethodView):
    @blp.response(200, SavedSearchSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @roles_required("family")
    def get(self, saved_search_id):
        """One of the signed-in family's saved searches."""
        return services.own_saved_search(current_user, saved_search_id)

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(200, SavedSearchSchema)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @roles_required("family")
    def patch(self, saved_search_id):
        """Rename a saved search and/or change its frequency."""
        csrf.protect()
        saved = services.own_saved_search(current_user, saved_search_id)
        values = load_json(SavedSearchUpdateSchema(), _("Please check the saved search."))
        return services.update_saved_search(saved, values.get("name"), values.get("frequency"))

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(204)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @roles_required("family")
    def delete(self, saved_search_id):
        """Delete a saved search: no more alerts from it."""
        csrf.protect()
        services.delete_saved_search(services.own_saved_search(current_user, saved_search_id))
