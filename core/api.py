"""flask-smorest pieces: a Blueprint whose argument errors are 400s, and the Api with our error shape."""

import flask_smorest
import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from marshmallow.utils import missing
from webargs.flaskparser import FlaskParser, is_json_request

from core import errors, inputs

# the session (cookie) JSON APIs under /api/v1/me: their writes carry the session's CSRF token in this header
CSRF_HEADER = {"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}


def load_json(schema, message=None):
    """Return the request's JSON body loaded by SCHEMA; invalid: a 400 in the error shape naming the fields."""
    try:
        return schema.load(request.get_json(silent=True) or {})
    except ma.ValidationError as exc:
        raise errors.ServiceError(message or _("Please check the request."), exc.messages,
                                  code="invalid_parameters") from exc


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        return inputs.loads_json(req.get_data(cache=True).decode("utf-8"))  # webargs answers its errors with 400


class Blueprint(flask_smorest.Blueprint):
    """A smorest Blueprint: invalid arguments give a 400 naming the field."""

    ARGUMENTS_PARSER = _Parser()


class Api(flask_smorest.Api):
    """The smorest Api, documenting and producing the one error shape."""

    ERROR_SCHEMA = errors.ErrorSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)
