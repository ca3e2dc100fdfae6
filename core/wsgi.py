"""WSGI-level repairs that must happen before Flask parses a request."""

from urllib.parse import quote


def _original_query_bytes(environ):
    """Return the query string's bytes as the client sent them.

    PEP 3333 carries them as a latin-1 str (gunicorn does so). Werkzeug's development server (`flask run`)
    encodes the latin-1 text once more as UTF-8, so a raw (not percent-encoded) UTF-8 `q=苏州` reached the
    app as mojibake and searched for something else: undo that second encoding.
    """
    raw = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    if environ.get("SERVER_SOFTWARE", "").startswith("Werkzeug/"):
        try:
            raw = raw.decode("utf-8").encode("latin-1")
        except (UnicodeDecodeError, UnicodeEncodeError):
            pass  # not the development server's double encoding: keep the bytes
    return raw


class PercentEncodedQuery:
    """Percent-encode non-ASCII bytes of the query string, so raw and encoded UTF-8 mean the same on any server."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if query and not query.isascii():
            # keep every ASCII character as sent (delimiters, existing %XX escapes); encode only the rest
            environ["QUERY_STRING"] = quote(_original_query_bytes(environ), safe="".join(map(chr, range(33, 127))))
        return self.app(environ, start_response)
