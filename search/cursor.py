"""The opaque `cursor` of the search API: where the next page starts, without counting the pages before it.

A cursor carries the sort key of the last hit a page showed (SearchResult.last_key, as the backend gave it), the
number of the page it leads to, and a fingerprint of the search it belongs to (every parameter but the page and
the cursor, and the backend's name). It is signed with the app's secret: a client can only hand back what we
gave it, and a cursor of another search (another sort, other filters) is refused rather than misread.
"""

import functools
import hashlib
from dataclasses import replace

from itsdangerous import BadData, URLSafeSerializer

_SALT = "search-cursor-v1"


@functools.lru_cache(maxsize=4)
def _serializer(secret):
    return URLSafeSerializer(secret, salt=_SALT)  # stateless once made: one per secret, not one per page


class CursorError(ValueError):
    """The cursor is malformed, forged, or belongs to another search."""


def fingerprint(query, backend):
    """Return what identifies QUERY's search on BACKEND apart from the page (the cursor's binding)."""
    neutral = replace(query, page=1, after=None)
    return hashlib.sha256(f"{backend}|{neutral!r}".encode()).hexdigest()[:16]


def encode_cursor(query, last_key, secret, backend):
    """Return the cursor of the page after QUERY's page, whose last hit had the sort key LAST_KEY."""
    payload = {"f": fingerprint(query, backend), "p": query.page + 1, "k": list(last_key)}
    return _serializer(secret).dumps(payload)


def decode_cursor(token, query, secret, backend):
    """Return (sort key to start after, page number) of TOKEN for QUERY; raise CursorError if it is not ours."""
    try:
        payload = _serializer(secret).loads(token)
    except BadData as exc:
        raise CursorError("cursor") from exc
    if not isinstance(payload, dict) or payload.get("f") != fingerprint(query, backend):
        raise CursorError("cursor")
    page, key = payload.get("p"), payload.get("k")
    if not isinstance(page, int) or isinstance(page, bool) or page < 2 or not isinstance(key, list):
        raise CursorError("cursor")
    after = tuple(key)
    try:
        replace(query, page=page, after=after).validate()
    except ValueError as exc:
        raise CursorError("cursor") from exc
    return after, page
