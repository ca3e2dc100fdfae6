"""Stored queries: "which of these saved queries match this document?", the search side of saved-search alerts.

Search knows queries and documents, not who saved them: the domain that keeps saved searches (notify) hands
the queries over as (query id, SearchQuery) pairs and asks, when documents change (core.signals
.documents_indexed), which stored queries each document now matches. The answer is the same on every backend:
a document matches a stored query exactly when a search with that query would list it.

* Elasticsearch / OpenSearch keep the queries in a percolator index beside the homes alias, built by the same
  query builder as the search (elastic.match_query, plus the grid cells of a radius circle so the percolator's
  candidate selection can skip it for homes far away: elastic.stored_query); the domain stores and removes them
  as they are saved and deleted, and can rebuild the index from SQL (replace; needed once after the upgrade
  that added the cells).
* The embedded backend keeps nothing: the domain's SQL rows are the stored queries. They are loaded into a
  QueryTable (embedded/engine.py) once per process and again when the domain's fingerprint of them changes;
  each changed document is tested against the table's columns, the few candidates left are run exactly.
"""

from flask import current_app

_CACHE_KEY = "search.stored_queries"


def _is_percolator(backend):
    return hasattr(backend, "percolate")


def store(backend, items):
    """Store ITEMS ((query id, SearchQuery) pairs) where BACKEND keeps stored queries (a no-op when embedded)."""
    if _is_percolator(backend):
        backend.store_queries(items)


def remove(backend, ids):
    """Forget the stored queries of IDS (a no-op when embedded)."""
    if _is_percolator(backend):
        backend.remove_queries(ids)


def replace(backend, items):
    """Make BACKEND's stored queries exactly ITEMS (a rebuild from the domain's rows; embedded: drop the cache)."""
    if _is_percolator(backend):
        backend.replace_stored_queries(items)
    current_app.extensions.pop(_CACHE_KEY, None)


def matching(backend, docs, load, fingerprint):
    """Return {doc id: [stored query ids]} for DOCS (every doc named).

    LOAD() returns every (query id, SearchQuery) pair; FINGERPRINT is a value that changes whenever they do.
    Only the embedded backend calls LOAD, and only when FINGERPRINT differs from the one it last loaded.
    """
    docs = list(docs)
    if _is_percolator(backend):
        return backend.percolate(docs)
    from search.embedded.engine import QueryTable, match_stored_queries

    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, QueryTable(load()))
        current_app.extensions[_CACHE_KEY] = cached
    return match_stored_queries(cached[1], docs)
