"""Stored queries (saved-search alerts): every backend says which stored queries a document matches, and the
answer is the reference's: a document matches a stored query exactly when a search with it lists the document.

Runs on the embedded backend always and, named [opensearch], on the real OpenSearch node's percolator when
OPENSEARCH_URL is set (CI's `-k "opensearch or node"` step)."""

from dataclasses import replace

import pytest

from search import stored
from search.query import MAX_PER_PAGE, SearchQuery, query_from_dict, query_to_dict
from tests.search.reference import reference_search
from tests.search.test_conformance import QUERIES, build_corpus

# the conformance suite's queries (every filter, text, places, requirements, radius, sorts) as stored queries
ITEMS = [(number, query) for number, query in enumerate(QUERIES.values(), start=1)]


def _expected(docs):
    """{doc id: sorted query ids} from the brute-force reference."""
    expected = {doc["id"]: [] for doc in docs}
    for qid, query in ITEMS:
        result = reference_search(docs, replace(query, page=1, per_page=MAX_PER_PAGE, with_facets=False))
        assert result.total <= MAX_PER_PAGE
        for hit in result.hits:
            expected[hit.id].append(qid)
    return expected


def _matching(backend, docs):
    found = stored.matching(backend, docs, lambda: ITEMS, fingerprint=("test", len(ITEMS)))
    return {doc_id: sorted(qids) for doc_id, qids in found.items()}


@pytest.fixture
def corpus(app):
    """The conformance suite's homes (rows in the app's database) as documents."""
    return build_corpus()


@pytest.fixture
def with_queries(backend):
    stored.store(backend, ITEMS)
    return backend


def test_stored_queries_match_as_the_search_would_list(with_queries, corpus):
    expected = _expected(corpus)
    assert sum(len(v) for v in expected.values()) > 100  # the corpus exercises the queries
    assert _matching(with_queries, corpus) == expected


def test_a_changed_document_matches_the_queries_it_now_passes(with_queries, corpus):
    doc = next(d for d in corpus if d.get("free_full") == 0 and d.get("price_full") is not None)
    freed = {**doc, "free_full": 3, "beds_free": (doc.get("beds_free") or 0) + 3, "version": doc["version"] + 1}
    wants_free_full = [qid for qid, q in ITEMS if q.has_vacancy and q.care_level == "full"]
    before, after = _matching(with_queries, [doc])[doc["id"]], _matching(with_queries, [freed])[freed["id"]]
    assert after == _expected([freed])[freed["id"]]
    assert not set(wants_free_full) & set(before)


def test_removed_queries_no_longer_match(with_queries, corpus):
    removed = [qid for qid, _q in ITEMS[:10]]
    stored.remove(with_queries, removed)
    remaining = [(qid, q) for qid, q in ITEMS if qid not in removed]
    found = stored.matching(with_queries, corpus, lambda: remaining, fingerprint=("test", len(remaining)))
    assert not {qid for qids in found.values() for qid in qids} & set(removed)


def test_a_query_survives_its_json_round_trip():
    for _qid, query in ITEMS:
        assert query_from_dict(query_to_dict(query)) == query
    assert query_from_dict(query_to_dict(SearchQuery(near=(31.3, 120.6), radius_km=5.0))).near == (31.3, 120.6)
