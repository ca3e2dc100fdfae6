"""Logs an operator can search: one line per request and per job, JSON in production (python-json-logger),
each carrying the request id; personal data (mobile numbers, ID numbers, e-mail addresses) and secrets are
masked in every record before any handler sees it."""

import logging
import re
import sys
import time as clock

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

from core.context import current_request_id

request_log = logging.getLogger("yrd.request")

# 18-digit resident ID numbers (GB 11643, last digit may be X), mainland mobile numbers, e-mail addresses,
# bearer tokens and password/secret/token query or form values
_MASKS = (
    (re.compile(r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])"),
     "[id-number]"),
    (re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])"), "[phone]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1[token]"),
    (re.compile(r"(?i)((?:password|passwd|secret|token|api_key|client_secret)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"),
     r"\1[redacted]"),
)


def mask_personal_data(text):
    """Return TEXT with ID numbers, phone numbers, e-mail addresses and secrets masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Give every record the current request id (the record is otherwise left as other handlers see it)."""

    def filter(self, record):
        record.request_id = current_request_id() or "-"
        return True


class _Masking:
    """Mask personal data and secrets in the whole formatted line: message, extra fields and traceback."""

    def format(self, record):
        return mask_personal_data(super().format(record))


class TextFormatter(_Masking, logging.Formatter):
    pass


class JsonLineFormatter(_Masking, JsonFormatter):
    pass


def _formatter(fmt):
    if fmt == "json":
        return JsonLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                 rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                                 json_ensure_ascii=False)
    return TextFormatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")


def configure_logging(app):
    """Send the root logger to stderr in LOG_FORMAT (text | json) at LOG_LEVEL, every record filtered."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_yrd", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._yrd = True
        root.addHandler(handler)
    handler.setFormatter(_formatter(app.config.get("LOG_FORMAT", "text")))
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def start_request_timer():
    g.request_started = clock.perf_counter()


def log_request(response):
    """Write the request's one line: method, route, path (never the query string), status, time, request id."""
    started = g.get("request_started")
    duration_ms = round((clock.perf_counter() - started) * 1000, 1) if started else None
    rule = request.url_rule.rule if request.url_rule else None
    request_log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "route": rule, "path": request.path,
                            "status": response.status_code, "duration_ms": duration_ms})
    return response
