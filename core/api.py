"""flask-smorest pieces: a Blueprint whose argument errors are 400s, and the Api with our error shape."""

import flask_smorest
from webargs.flaskparser import FlaskParser

from core import errors


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    """A smorest Blueprint: invalid arguments give a 400 naming the field."""

    ARGUMENTS_PARSER = _Parser()


class Api(flask_smorest.Api):
    """The smorest Api, documenting and producing the one error shape."""

    ERROR_SCHEMA = errors.ErrorSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)
