"""Running a search for a page or an API call: the one entry point above the backends."""

import logging

from flask_babel import gettext as _

from core.errors import SearchUnavailable
from search.backend import current_backend

log = logging.getLogger(__name__)


def run_search(query):
    """Validate QUERY and run it on the current backend; raise SearchUnavailable if the engine is down."""
    query.validate()
    try:
        return current_backend().search(query)
    except SearchUnavailable:
        raise
    except (ConnectionError, TimeoutError, OSError) as exc:
        log.warning("search engine unreachable: %s", exc)
        raise SearchUnavailable(_("Search is temporarily unavailable. Please try again in a moment.")) from exc
