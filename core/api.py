"""flask-smorest pieces: a Blueprint whose argument errors are 400s, and the Api with our error shape."""

import flask_smorest
from marshmallow.utils import missing
from webargs.flaskparser import FlaskParser, is_json_request

from core import errors, inputs


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
