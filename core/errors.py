"""One error shape for the whole API: {"error": {"code", "message", "fields"}} with the right 4xx status."""

import logging

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from core.context import current_request_id
from core.inputs import size_label

log = logging.getLogger(__name__)


class ErrorBody(ma.Schema):
    code = ma.fields.String(metadata={"description": "machine-readable code, e.g. invalid_parameters"})
    message = ma.fields.String(metadata={"description": "human-readable message, in the request's locale"})
    fields = ma.fields.Dict(metadata={"description": "field name -> list of messages"})
    request_id = ma.fields.String(metadata={"description": "the request id (X-Request-ID) to quote to support"})


class ErrorSchema(ma.Schema):
    """The error payload (documentation only: error_payload builds it)."""

    error = ma.fields.Nested(ErrorBody)


class ServiceError(Exception):
    """A client-caused failure raised by a service; becomes a 4xx in the one error shape."""

    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None, *, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.status = status or self.status
        self.code = code or self.code


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class SearchUnavailable(ServiceError):
    """The search engine cannot answer. Users get one translated message; DETAIL (hosts, ports, the engine's
    own words) goes to the log and to str(error) for the CLI, never into a response."""

    status = 503
    code = "search_unavailable"

    def __init__(self, detail=None, fields=None, *, status=None, code=None):
        super().__init__(_l("Search is temporarily unavailable. Please try again in a moment."), fields,
                         status=status, code=code)
        self.detail = detail
        if detail:
            self.args = (detail,)


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          422: "invalid_parameters", 429: "rate_limited", 503: "unavailable"}


def _default_messages():
    """The translated message for a status whose error carried only werkzeug's English default."""
    return {400: _("The request could not be understood. Please check it and try again."),
            401: _("Please sign in."),
            403: _("You are not allowed to do this."),
            404: _("The page or record you asked for does not exist."),
            405: _("This action is not allowed here"),
            413: _("The request is too large (at most %(size)s).", size=size_label(request.max_content_length)),
            415: _("This kind of content is not accepted here."),
            429: _("Too many requests. Please wait a moment and try again."),
            503: _("The service is temporarily unavailable. Please try again in a moment.")}


def _message_for(error, data):
    """The message the client sees: the one the app gave, else a translated default (never werkzeug's English)."""
    given = data.get("message") or (error.description if error.description != type(error).description else None)
    if error.code == 429:  # the limiter's description is its limit in English ("10 per 1 minute")
        given = None
    return given or _default_messages().get(error.code) or error.name


def _flatten_fields(messages):
    """Turn webargs' {location: {field: [msg]}} into {field: [msg]}."""
    fields = {}
    for key, value in (messages or {}).items():
        if key in ("query", "json", "form", "files", "headers", "path", "view_args") and isinstance(value, dict):
            fields.update(value)
        else:
            fields[key] = value
    return fields


def error_payload(code, message, fields=None):
    """Build the one error shape, with the request id an operator can find in the logs."""
    body = {"code": code, "message": message, "fields": fields or {}}
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return {"error": body}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status, code, message, fields=None):
    message = str(message)  # a lazy translation: in the request's locale, now
    if _wants_json():
        return jsonify(error_payload(code, message, fields)), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def handle_http_exception(error):
    """Render any HTTPException in the one shape; webargs' 422 becomes a 400 naming the fields."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = _flatten_fields(data.get("messages") or data.get("errors"))
    if status in (400, 422) and fields:
        status = 400
        code, message = "invalid_parameters", _("Some parameters are invalid.")
    else:
        code = _CODES.get(status, "error")
        message = _message_for(error, data)
    if status >= 500:
        log.exception("server error", exc_info=error)
    headers = data.get("headers") or {}
    response, status = _respond(status, code, message, fields)
    if hasattr(response, "headers"):
        response.headers.extend(headers)
    return response, status


def handle_service_error(error):
    """Render a ServiceError raised by a service, discarding whatever the request had not committed."""
    from core.extensions import db

    db.session.rollback()
    if error.status >= 500:
        log.warning("%s: %s", error.code, getattr(error, "detail", None) or error.message)
    return _respond(error.status, error.code, error.message, error.fields)


def handle_unexpected(error):
    """Log a bug and answer 500 in the one shape, without leaking details."""
    log.exception("unhandled error", exc_info=error)
    return _respond(500, "internal_error", _("Something went wrong on our side. Please try again."))


# SQLite: another writer kept the database past the busy timeout. PostgreSQL: a serialization failure, a
# deadlock victim, a lock not available within lock_timeout. The request changed nothing; a retry will do.
_CONTENTION_MESSAGES = ("database is locked", "database table is locked", "database is busy")
_CONTENTION_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
RETRY_AFTER_S = 1


def is_contention(error):
    """Say whether a database error means "busy now, retry" rather than a bug."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in _CONTENTION_SQLSTATES:
        return True
    text = str(orig if orig is not None else error).lower()
    return any(message in text for message in _CONTENTION_MESSAGES)


def handle_database_error(error):
    """Answer 503 with Retry-After when the database was too busy to take the write; anything else is a bug."""
    from core.extensions import db

    db.session.rollback()
    if not is_contention(error):
        return handle_unexpected(error)
    log.warning("database busy, answered 503: %s", getattr(error, "orig", error))
    response, status = _respond(503, "database_busy", _("The service is busy. Please try again in a moment."))
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def init_app(app):
    """Register the error handlers on APP."""
    app.register_error_handler(sa.exc.OperationalError, handle_database_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
