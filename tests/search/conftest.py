"""Backends for the conformance suite: every backend that is available here, each on its own index.

embedded always; opensearch when OPENSEARCH_URL is set (make opensearch starts a real node);
elasticsearch when ELASTICSEARCH_URL is set. Unavailable ones skip with the reason.
"""

import os
import uuid

import pytest

BACKENDS = ("embedded", "opensearch", "elasticsearch")


def make_backend(name, tmp_path):
    """Build backend NAME on a fresh, private index; return (backend, cleanup)."""
    if name == "embedded":
        from search.embedded import EmbeddedBackend

        return EmbeddedBackend(str(tmp_path / f"idx-{uuid.uuid4().hex}.sqlite3")), lambda: None
    url = os.environ.get("OPENSEARCH_URL" if name == "opensearch" else "ELASTICSEARCH_URL")
    if not url:
        variable = "OPENSEARCH_URL" if name == "opensearch" else "ELASTICSEARCH_URL"
        pytest.skip(f"{name}: no node configured (set {variable}; `make opensearch` starts a local OpenSearch 2.5.0)")
    from search.elastic import ElasticBackend

    # answers, not speed, are tested here: a node shared with other work may take more than the 5 s default
    backend = ElasticBackend.connect(flavour=name, url=url, alias=f"test-{uuid.uuid4().hex[:12]}", timeout_s=30)
    return backend, backend.drop_everything


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """Each available backend in turn, empty."""
    instance, cleanup = make_backend(request.param, tmp_path)
    yield instance
    cleanup()
