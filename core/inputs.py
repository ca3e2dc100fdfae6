"""What a request may carry, checked once for the whole app: ids in the database's range, JSON of sane depth,
bodies of bounded size (larger for the few upload routes that declare it).
"""

import json

from flask import current_app, request

try:  # a JSON encoder in C, about ten times faster on the search payload; without it, the standard library's
    import orjson
except ImportError:  # pragma: no cover (pinned in requirements.txt)
    orjson = None
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter

# ids are INTEGER columns: PostgreSQL's int4 is the narrowest range any of our databases has
MAX_ID = 2**31 - 1
UPLOAD_LIMIT_ATTR = "_body_limit_config"


class IdConverter(IntegerConverter):
    """<int:...> bounded to the database's integer range: a larger id cannot exist, so the route does not match."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def valid_id(value):
    """Whether VALUE (an int) can be a row id: 1 to MAX_ID."""
    return 1 <= value <= MAX_ID


class JSONNestedTooDeep(json.JSONDecodeError):
    """A JSON document nested deeper than the parser's recursion allows (a JSONDecodeError, so every JSON
    reader already answers it with its 400)."""

    def __init__(self, text):
        doc = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
        super().__init__("JSON nested too deep", doc, 0)  # a non-empty doc: webargs reads "" as "no body"


def loads_json(text, **kwargs):
    """Parse TEXT as JSON; a document nested too deep raises JSONNestedTooDeep, never RecursionError."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise JSONNestedTooDeep(text) from None


_ORJSON_OPTIONS = 0 if orjson is None else (
    # keys sorted as Flask's provider does; dates, datetimes and dataclasses through Flask's own `default`
    # (an HTTP date, asdict), so a response says exactly what it said with the standard library's encoder
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with request bodies parsed by loads_json and responses encoded by orjson.

    Responses are UTF-8 rather than \\u-escaped ASCII; the values are the same. Anything orjson cannot encode
    (an integer beyond 64 bits) falls back to the standard library's encoder.
    """

    def loads(self, s, **kwargs):
        return loads_json(s, **kwargs)

    def response(self, *args, **kwargs):
        """Return a JSON response of the arguments, as jsonify does."""
        pretty = (self.compact is None and self._app.debug) or self.compact is False
        if orjson is None:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default,
                                option=_ORJSON_OPTIONS | (orjson.OPT_INDENT_2 if pretty else 0))
        except TypeError:  # orjson.JSONEncodeError is one
            return super().response(obj)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def body_limit(limit):
    """Mark a view as taking uploads: its bodies may be LIMIT bytes (an int, the name of a setting, or a
    function returning the bytes, read at each request)."""
    def mark(view):
        setattr(view, UPLOAD_LIMIT_ATTR, limit)
        return view
    return mark


def limit_for(endpoint):
    """The most bytes a POST to ENDPOINT may carry (its declared upload limit, else MAX_CONTENT_LENGTH)."""
    limit = getattr(current_app.view_functions.get(endpoint), UPLOAD_LIMIT_ATTR, None)
    if isinstance(limit, str):
        limit = current_app.config[limit]
    if callable(limit):
        limit = limit()
    return limit or current_app.config.get("MAX_CONTENT_LENGTH")


def upload_limit_attrs(endpoint):
    """Attributes for an upload <form> posting to ENDPOINT: static/js/uploads.js refuses a file over the limit
    with a form error before sending it (the server answers 413 anyway)."""
    limit = limit_for(endpoint)
    message = _("The file is too large: at most %(size)s in all.", size=size_label(limit))
    return Markup(f' data-max-bytes="{int(limit)}" data-too-large="{escape(message)}"')


def size_label(limit):
    """LIMIT bytes as people read it: "20 MB", "512 KB"."""
    if not limit:
        return "?"
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _apply_body_limit(endpoint, _values):
    # a URL value preprocessor runs before every before_request hook (where CSRFProtect reads the form): the
    # limit is in place before any byte of the body is read
    if getattr(current_app.view_functions.get(endpoint), UPLOAD_LIMIT_ATTR, None) and request.method in ("POST",
                                                                                                          "PUT"):
        request.max_content_length = limit_for(endpoint)


def init_app(app):
    """Bound ids in every <int:> route, JSON depth and body sizes for APP."""
    app.url_map.converters["int"] = IdConverter
    app.json = JSONProvider(app)
    app.url_value_preprocessor(_apply_body_limit)
    app.jinja_env.globals["upload_limit_attrs"] = upload_limit_attrs
