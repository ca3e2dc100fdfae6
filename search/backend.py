"""Choosing and reaching the search backend. Every backend implements this interface:

    search(query: SearchQuery) -> SearchResult
    upsert(docs: list[dict]) -> None      # a doc whose version is not newer than the stored one is ignored
    delete(ids: list[int]) -> None
    reindex(docs: Iterable[dict]) -> int   # build a fresh index, then switch to it atomically
    versions() -> dict[int, int]           # {home id: version} of what is indexed (for `check`)
    health() -> dict                       # raises SearchUnavailable when the engine cannot be reached
"""

from flask import current_app


def create_backend(app):
    """Build the backend named by app.config['SEARCH_BACKEND']."""
    name = app.config["SEARCH_BACKEND"]
    if name == "embedded":
        from search.embedded import EmbeddedBackend

        return EmbeddedBackend(app.config["SEARCH_INDEX_PATH"])
    if name in ("elasticsearch", "opensearch"):
        from search.elastic import ElasticBackend

        return ElasticBackend.from_config(app.config)
    raise RuntimeError(f"unknown SEARCH_BACKEND {name!r}: use embedded, elasticsearch or opensearch")


def current_backend():
    """Return the current app's backend, creating it on first use."""
    ext = current_app.extensions
    if "search_backend" not in ext:
        ext["search_backend"] = create_backend(current_app)
    return ext["search_backend"]
