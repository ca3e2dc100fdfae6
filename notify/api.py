"""The signed-in person's notifications and notification preferences as JSON under /api/v1/me/ (session cookie;
writes need the X-CSRFToken header), for a mobile app or mini-program."""

import marshmallow as ma
from flask.views import MethodView
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import validate

from accounts.models import ROLES
from accounts.permissions import roles_required
from core.api import CSRF_HEADER, Blueprint, load_json
from core.errors import ErrorSchema, ServiceError
from core.extensions import csrf
from core.inputs import MAX_ID
from notify import services
from notify.kinds import KINDS, kind_label, kinds_for
from notify.models import CHANNELS

blp = Blueprint("notify_api", __name__, url_prefix="/api/v1/me",
                description="The signed-in person's notifications and preferences (session cookie; writes need "
                            "the X-CSRFToken header)")
_signed_in = roles_required(*ROLES)


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "what happened (see the preferences for every kind)"})
    title = ma.fields.String(metadata={"description": "in the page's language"})
    text = ma.fields.String()
    link = ma.fields.String(metadata={"description": "a path on this site"})
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class NotificationListArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NotificationListSchema(ma.Schema):
    unread = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(NotificationSchema))


class UnreadSchema(ma.Schema):
    unread = ma.fields.Integer()


class MarkReadSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
                         validate=validate.Length(min=1, max=500),
                         metadata={"description": "the notifications to mark read; left out: all of them"})


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer()
    unread = ma.fields.Integer()


class PreferenceSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    label = ma.fields.String(dump_only=True)
    channels = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(CHANNELS)),
                              values=ma.fields.Boolean(), required=True,
                              metadata={"description": "email / sms: on or off (the inbox is always on)"})


class PreferencesSchema(ma.Schema):
    language = ma.fields.String(validate=validate.OneOf(("zh_CN", "en")),
                                metadata={"description": "the language e-mails and SMS go out in"})
    preferences = ma.fields.List(ma.fields.Nested(PreferenceSchema), validate=validate.Length(max=len(KINDS) * 2))


def _shown(notification):
    from notify.delivery import render

    title, text = render(notification, str(get_locale()))
    return {"id": notification.id, "kind": notification.kind, "title": title, "text": text,
            "link": notification.link, "created_at": notification.created_at, "read_at": notification.read_at}


def preferences_payload(user):
    """USER's message language and, per kind, the outside channels it comes on."""
    return {"language": services.language_of(user.id),
            "preferences": [{"kind": kind, "label": str(kind_label(kind)),
                             "channels": {c: c in services.channels_for_display(user, kind) for c in CHANNELS}}
                            for kind in kinds_for(user)]}


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, NotificationListSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def get(self, args):
        """The signed-in person's notifications, newest first, in the page's language, with the unread count."""
        page, per_page = args["page"], args["per_page"]
        items = services.inbox(current_user, limit=per_page, offset=(page - 1) * per_page)
        return {"unread": services.unread_count(current_user), "page": page, "per_page": per_page,
                "items": [_shown(n) for n in items]}


@blp.route("/notifications/unread-count")
class UnreadCount(MethodView):
    @blp.response(200, UnreadSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def get(self):
        """How many of the signed-in person's notifications are unread (the bell's number)."""
        return {"unread": services.unread_count(current_user)}


@blp.route("/notifications/read")
class MarkRead(MethodView):
    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(200, MarkedSchema)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def post(self):
        """Mark notifications read: those named in `ids`, or all of them when `ids` is left out."""
        csrf.protect()
        values = load_json(MarkReadSchema())
        marked = services.mark_read(current_user, values.get("ids"))
        return {"marked": marked, "unread": services.unread_count(current_user)}


@blp.route("/preferences")
class Preferences(MethodView):
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def get(self):
        """Per kind the person can receive, whether it also comes by e-mail and by SMS; and the language messages
        go out in."""
        return preferences_payload(current_user)

    @blp.doc(parameters=[CSRF_HEADER])
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @_signed_in
    def put(self):
        """Choose channels for the kinds named (others keep their setting) and, optionally, the language."""
        csrf.protect()
        values = load_json(PreferencesSchema())
        if "language" not in values and "preferences" not in values:
            raise ServiceError(_("Please check the request."), {"preferences": [_("Give preferences or a language.")]},
                               code="invalid_parameters")
        for choice in values.get("preferences", []):
            for channel, enabled in choice["channels"].items():
                services.set_preference(current_user.id, choice["kind"], channel, enabled)
        if "language" in values:
            services.set_language(current_user, values["language"])
        return preferences_payload(current_user)
