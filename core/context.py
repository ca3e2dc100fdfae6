"""The request id of the work being done: taken from X-Request-ID (or generated) for a web request, bound by
a worker for the job or outbox batch it runs, so one change can be followed from request to index in the logs."""

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_bound: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id():
    """Return a fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def accept_request_id(header_value):
    """Return HEADER_VALUE if it is a safe request id (letters, digits, . _ : -, up to 128), else a new one."""
    return header_value if header_value and _VALID.match(header_value) else new_request_id()


def current_request_id():
    """Return the request id of the current request or bound job, or None outside both."""
    if has_request_context() and "request_id" in g:
        return g.request_id
    return _bound.get()


@contextmanager
def bound_request_id(request_id=None):
    """Bind REQUEST_ID (a new one when None) to the work done inside the block (jobs, worker batches)."""
    token = _bound.set(request_id or new_request_id())
    try:
        yield _bound.get()
    finally:
        _bound.reset(token)
