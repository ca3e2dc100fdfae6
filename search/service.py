"""Running a search for a page or an API call: the one entry point above the backends."""

import logging
import time

from flask import current_app
from flask_babel import gettext as _

from core import signals
from core.errors import SearchUnavailable
from search.backend import current_backend

log = logging.getLogger(__name__)


def query_kind(query):
    """Name the kind of QUERY for metrics: near, text, filter or browse, with _deep past the first pages."""
    kind = "near" if query.near else "text" if query.text else "filter" if _has_filters(query) else "browse"
    return kind + ("_deep" if query.page > 5 else "")


def _has_filters(query):
    return any((query.province, query.city, query.district, query.care_level, query.min_price_fen,
                query.max_price_fen, query.min_grade, query.min_quality, query.has_vacancy, query.ownership,
                query.features))


def run_search(query):
    """Validate QUERY and run it on the current backend; raise SearchUnavailable if the engine is down."""
    query.validate()
    backend, started = current_app.config["SEARCH_BACKEND"], time.perf_counter()
    try:
        result = current_backend().search(query)
    except SearchUnavailable:
        signals.search_finished.send(None, backend=backend, kind=query_kind(query), seconds=0.0, failed=True)
        raise
    except (ConnectionError, TimeoutError, OSError) as exc:
        log.warning("search engine unreachable: %s", exc)
        signals.search_finished.send(None, backend=backend, kind=query_kind(query), seconds=0.0, failed=True)
        raise SearchUnavailable(_("Search is temporarily unavailable. Please try again in a moment.")) from exc
    signals.search_finished.send(None, backend=backend, kind=query_kind(query),
                                 seconds=time.perf_counter() - started, failed=False)
    return result
