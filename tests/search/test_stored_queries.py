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


# -- the percolator's narrowing and batching (issue 15): same answers, whatever the slicing --------------------


def test_any_slicing_of_the_percolate_requests_gives_the_same_answer(with_queries, corpus, monkeypatch):
    from search import elastic

    # several documents per percolate query (slots), two queries per _msearch, and pages so small that
    # every query with more matches is read again with a scroll
    monkeypatch.setattr(elastic, "PERCOLATE_SLICE", 3)
    monkeypatch.setattr(elastic, "PERCOLATE_BATCH", 2)
    monkeypatch.setattr(elastic, "PERCOLATE_PAGE", 2)
    assert _matching(with_queries, corpus) == _expected(corpus)


def test_an_index_stored_before_the_grid_cells_takes_new_radius_queries(backend, corpus):
    from search import elastic

    if not hasattr(backend, "percolate"):
        pytest.skip("embedded: keeps no stored queries")
    old_mappings = elastic.stored_queries_mappings()
    del old_mappings["properties"][elastic.GEO_CELLS_FIELD]
    backend.client.indices.create(index=elastic.stored_queries_index(backend.alias),
                                  body={"settings": elastic.index_settings(), "mappings": old_mappings})
    radius = [(qid, q) for qid, q in ITEMS if q.near is not None and q.radius_km is not None]
    assert radius
    stored.store(backend, radius)
    found = stored.matching(backend, corpus, lambda: radius, fingerprint=("radius", len(radius)))
    expected = {doc_id: [qid for qid in qids if qid in dict(radius)] for doc_id, qids in _expected(corpus).items()}
    assert {doc_id: sorted(qids) for doc_id, qids in found.items()} == expected


def test_the_grid_cells_of_a_circle_cover_every_point_in_it():
    import math
    import random

    from geo.distance import haversine_km
    from search.elastic import circle_geo_cells, doc_geo_cells

    rng = random.Random(15)
    for _ in range(300):
        centre = (rng.uniform(27.0, 35.5), rng.uniform(115.0, 123.0))
        radius = rng.choice([0.5, 5.0, 12.5, 30.0, 80.0, 200.0])
        cells = set(circle_geo_cells(centre, radius))
        assert len(cells) <= 400
        for _ in range(50):
            bearing, fraction = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random())
            lat = centre[0] + math.degrees(radius * fraction / 6371.0087714) * math.cos(bearing)
            lon = centre[1] + math.degrees(radius * fraction / 6371.0087714) * math.sin(bearing) / math.cos(
                math.radians(lat))
            if haversine_km(*centre, lat, lon) <= radius:
                assert cells & set(doc_geo_cells({"location": {"lat": lat, "lon": lon}}))
    assert circle_geo_cells((89.95, 0.0), 30.0) is None  # over the pole: no narrowing, the radius alone decides
    assert circle_geo_cells((31.2, 121.5), 5000.0) is None  # too many cells: no narrowing either
    assert doc_geo_cells({"location": None}) == [] and doc_geo_cells({}) == []


def test_only_radius_queries_are_stored_with_cells():
    from search.elastic import GEO_CELLS_FIELD, match_query, stored_query

    for _qid, query in ITEMS:
        if query.near is None or query.radius_km is None:
            assert stored_query(query) == match_query(query)
        else:
            assert GEO_CELLS_FIELD in str(stored_query(query)["bool"]["filter"][-1])


def test_a_rebuild_stores_radius_queries_with_their_cells(backend, corpus):
    from search import elastic

    if not hasattr(backend, "percolate"):
        pytest.skip("embedded: keeps no stored queries")
    radius_id = next(qid for qid, q in ITEMS if q.near is not None and q.radius_km is not None)
    stored.replace(backend, ITEMS)
    index = elastic.stored_queries_index(backend.alias)
    mapping = backend.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert mapping[elastic.GEO_CELLS_FIELD] == {"type": "keyword"}
    source = backend.client.get(index=index, id=str(radius_id))["_source"]
    assert elastic.GEO_CELLS_FIELD in str(source["query"])
    assert _matching(backend, corpus) == _expected(corpus)
