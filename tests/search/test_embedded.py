"""The embedded backend's own behaviour: the shared file, generations, and the main + delta segments."""

import os
import random
from dataclasses import replace

import pytest

from search.embedded import EmbeddedBackend
from search.query import CARE_LEVELS, SearchQuery, free_field, price_field
from tests.search.reference import reference_search
from tests.search.test_conformance import QUERIES, assert_same_answer, build_corpus


@pytest.fixture
def docs(app):
    """The conformance corpus's documents."""
    return build_corpus()


@pytest.fixture
def index_path(tmp_path):
    return str(tmp_path / "index.sqlite3")


def _ids(result):
    return [h.id for h in result.hits]


def _same(backend, docs, query):
    assert_same_answer(backend.search(query), reference_search(docs, query), query)


def test_another_process_sees_upserts_and_deletes(index_path, docs):
    writer, reader = EmbeddedBackend(index_path), EmbeddedBackend(index_path)
    assert reader.search(SearchQuery()).total == 0
    writer.upsert(docs)
    _same(reader, docs, SearchQuery(text="护理"))
    writer.delete([docs[0]["id"]])
    _same(reader, docs[1:], SearchQuery(per_page=100))


def test_another_process_sees_a_reindex_swap(index_path, docs):
    writer, reader = EmbeddedBackend(index_path), EmbeddedBackend(index_path)
    writer.upsert(docs)
    _same(reader, docs, SearchQuery())
    writer.reindex(iter(docs[:12]))
    _same(reader, docs[:12], SearchQuery(per_page=100))
    reader.upsert([dict(docs[20], version=docs[20]["version"] + 1)])  # the reader writes to the new file
    assert set(writer.versions()) == {d["id"] for d in docs[:12]} | {docs[20]["id"]}


def test_a_reindex_keeps_writes_made_during_the_build(index_path, docs):
    backend, other = EmbeddedBackend(index_path), EmbeddedBackend(index_path)
    backend.upsert(docs)
    late = dict(docs[1], version=docs[1]["version"] + 3, grade=1)

    def snapshot():
        for i, doc in enumerate(docs):
            if i == 5:  # another worker drains the outbox while the rebuild reads SQL
                other.upsert([late])
                other.delete([docs[2]["id"]])
            yield doc

    backend.reindex(snapshot())
    expected = [late if d["id"] == late["id"] else d for d in docs if d["id"] != docs[2]["id"]]
    _same(other, expected, SearchQuery(per_page=100, sort="grade"))


def test_reindex_leaves_only_the_current_generation_on_disk(index_path, docs, tmp_path):
    backend = EmbeddedBackend(index_path)
    backend.upsert(docs)
    backend.reindex(iter(docs))
    backend.reindex(iter(docs[:3]))
    names = sorted(os.listdir(tmp_path))
    assert [n for n in names if n.endswith(".gen")] == [os.path.basename(os.path.realpath(index_path))]
    assert backend.search(SearchQuery()).total == 3


def test_the_index_survives_reopening(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.upsert(docs)
    backend.delete([docs[-1]["id"]])
    backend.close()
    reopened = EmbeddedBackend(index_path)
    _same(reopened, docs[:-1], SearchQuery(text="养老"))
    assert reopened.versions() == {d["id"]: d["version"] for d in docs[:-1]}


def test_the_index_survives_reopening_after_a_reindex(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.reindex(iter(docs))
    backend.close()
    _same(EmbeddedBackend(index_path), docs, SearchQuery(sort="price"))


def test_many_updates_through_the_delta_answer_like_the_reference(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.upsert(docs)
    backend.search(SearchQuery())  # build main now, so the changes below go through the delta
    rnd, current = random.Random(7), {d["id"]: d for d in docs}
    for step in range(120):
        doc_id = rnd.choice(sorted(current))
        if step % 17 == 0:
            backend.delete([doc_id])
            del current[doc_id]
            continue
        doc = current[doc_id]
        current[doc_id] = dict(doc, version=doc["version"] + 1, grade=rnd.choice([None, 1, 3, 5]),
                               ownership=rnd.choice(["private", "public"]), beds_free=rnd.choice([0, 4]))
        backend.upsert([current[doc_id]])
        if step % 10 == 0:
            _same(backend, list(current.values()), SearchQuery(sort="grade", per_page=100))
    for name in ("everything", "text_huli", "sort_rating", "ownership_public", "has_vacancy", "last_page"):
        _same(backend, list(current.values()), QUERIES[name])
    assert backend.health()["delta_docs"] > 0


def test_a_large_delta_is_folded_into_main(index_path, docs):
    backend = EmbeddedBackend(index_path)
    many = [dict(docs[i % len(docs)], id=10_000 + i) for i in range(1200)]
    backend.upsert(many[:10])
    backend.search(SearchQuery())
    backend.upsert(many[10:])
    _same(backend, many, SearchQuery(text="护理", page=3))
    health = backend.health()
    assert health["main_docs"] == 1200 and health["delta_docs"] == 0


def test_a_deleted_then_restored_home_is_found_again(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.upsert(docs)
    backend.search(SearchQuery())
    backend.delete([docs[4]["id"]])
    assert docs[4]["id"] not in _ids(backend.search(SearchQuery(per_page=100)))
    backend.upsert([docs[4]])
    _same(backend, docs, SearchQuery(per_page=100))


def test_hit_documents_come_from_the_same_snapshot_as_the_match(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.upsert(docs)
    for hit in backend.search(SearchQuery(per_page=100)).hits:
        assert hit.doc["id"] == hit.id


def test_invalid_queries_are_refused_before_running(index_path):
    with pytest.raises(ValueError, match="near"):
        EmbeddedBackend(index_path).search(SearchQuery(sort="distance"))


def test_an_index_file_of_an_older_format_asks_for_a_reindex(tmp_path):
    import sqlite3

    from core.errors import SearchUnavailable
    from search.embedded import EmbeddedBackend
    from search.query import SearchQuery

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE docs (id INTEGER PRIMARY KEY, version INTEGER, seq INTEGER, body TEXT);"
                       "CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('seq', 3);")
    conn.close()
    with pytest.raises(SearchUnavailable, match="reindex"):
        EmbeddedBackend(str(path)).search(SearchQuery())


def test_reindex_replaces_an_older_format_file(tmp_path):
    import sqlite3

    from search.embedded import EmbeddedBackend
    from search.query import SearchQuery

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('seq', 3);")
    conn.close()
    backend = EmbeddedBackend(str(path))
    doc = {"id": 1, "version": 2, "name": "甲", "province_code": "310000", "city_code": "310000",
           "district_code": "310101", "location": {"lat": 31.2, "lon": 121.4}, "ownership": "private",
           "grade": None, "care_levels": [], "features": [], "rank_boost": 0.0,
           "tokens_name": ["甲"], "tokens_place": [], "tokens_body": []}
    assert backend.reindex([doc]) == 1
    assert [h.id for h in backend.search(SearchQuery(text="甲")).hits] == [1]


def test_cached_facets_follow_every_change_of_the_index(index_path, docs):
    writer, reader = EmbeddedBackend(index_path), EmbeddedBackend(index_path)
    writer.upsert(docs)
    broad = SearchQuery(province="320000")
    _same(reader, docs, broad)
    # the same facet block serves other pages, sorts and cursors of the same search...
    for query in (SearchQuery(province="320000", page=2, per_page=3, sort="grade"),
                  SearchQuery(province="320000", sort="price"), SearchQuery(province="320000", near=(31.3, 120.6))):
        _same(reader, docs, query)
    assert len(reader._index.facet_cache._blocks) == 2  # the price sort leaves out unpriced homes: its own block
    # ...until another process changes the index: a delete, an upsert, a reindex
    gone = [d["id"] for d in docs if d["province_code"] == "320000"][:2]
    writer.delete(gone)
    kept = [d for d in docs if d["id"] not in gone]
    _same(reader, kept, broad)
    moved = dict(next(d for d in kept if d["province_code"] == "320000"), version=99, city_code="320200")
    writer.upsert([moved])
    kept = [moved if d["id"] == moved["id"] else d for d in kept]
    _same(reader, kept, broad)
    writer.reindex(docs)
    _same(reader, docs, broad)


def _many(docs, n=3000, seed=11):
    """N documents of the corpus's shapes under new ids, with prices, ratings, reviews and grades drawn from a
    few values each (or none), so that many tie and only the id settles their order."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        doc = dict(rnd.choice(docs), id=50_000 + i)
        for level in CARE_LEVELS:
            doc[price_field(level)] = rnd.choice([None, 300_000, 450_000, 450_000, 800_000])
            doc[free_field(level)] = rnd.choice([None, 0, 3, 3])
        fees = [doc[price_field(level)] for level in CARE_LEVELS]
        doc[price_field(None)] = min((fee for fee in fees if fee is not None), default=None)
        doc[free_field(None)] = sum(doc[free_field(level)] or 0 for level in CARE_LEVELS)
        doc.update(rating=rnd.choice([None, 3.5, 4.0, 4.0, 5.0]), review_count=rnd.choice([0, 2, 2, 9]),
                   grade=rnd.choice([None, 1, 3, 3, 5]), quality_stars=rnd.choice([None, 2, 4, 4]))
        out.append(doc)
    return out


@pytest.mark.parametrize("query", [
    SearchQuery(sort="price", page=41, per_page=25),
    SearchQuery(sort="price", care_level="full", page=30, per_page=40),
    SearchQuery(sort="price", care_level="dementia", ownership="private", page=11, per_page=100),
    SearchQuery(sort="price", care_level="partial", has_vacancy=True, page=10, per_page=100),
    SearchQuery(sort="rating", page=45, per_page=50),
    SearchQuery(sort="grade", min_grade=3, page=20, per_page=50),
    SearchQuery(sort="quality", province="310000", page=13, per_page=80),
    SearchQuery(sort="price", page=97, per_page=25),  # past the last hit
], ids=["price", "price_full", "price_private", "price_vacancy", "rating", "grade", "quality_province", "past_the_end"])
def test_deep_pages_by_number_read_off_the_stored_order_answer_like_the_reference(index_path, docs, query):
    """From the 1,000th hit on, a sort on the document alone is cut from the segment's own order, not re-sorted."""
    many = _many(docs)
    backend = EmbeddedBackend(index_path)
    backend.upsert(many)
    assert query.offset + query.per_page >= 1000  # deep enough for the stored order
    _same(backend, many, query)
    before = backend.search(replace(query, page=query.page - 1))  # the same page by cursor, after the one before
    by_cursor = backend.search(replace(query, after=before.last_key))
    assert _ids(by_cursor) == _ids(reference_search(many, query)) and by_cursor.total == before.total
    backend.delete([many[0]["id"], many[7]["id"]])  # the order outlives deletions: dead rows are left out
    _same(backend, many[1:7] + many[8:], query)


def _spread(docs, seed=5):
    """_many's documents moved up to ~60 km around their place, a few without coordinates (they are never near)."""
    rnd = random.Random(seed)
    out = []
    for doc in _many(docs, n=2000, seed=seed):
        lat, lon = doc["location"]["lat"], doc["location"]["lon"]
        location = None if rnd.random() < 0.03 else {"lat": lat + rnd.uniform(-0.5, 0.5),
                                                    "lon": lon + rnd.uniform(-0.5, 0.5)}
        out.append(dict(doc, location=location))
    return out


@pytest.mark.parametrize("query", [
    SearchQuery(near=(31.23, 121.47), radius_km=30, sort="distance", per_page=100),
    SearchQuery(near=(31.23, 121.47), radius_km=5, sort="distance", per_page=100),
    SearchQuery(near=(32.06, 118.80), radius_km=50, care_level="full", has_vacancy=True, per_page=100),
    SearchQuery(near=(30.27, 120.16), radius_km=20, sort="price", max_price_fen=500_000, per_page=50),
    SearchQuery(near=(30.27, 120.16), sort="distance", per_page=100),  # no radius: every home, by distance
    SearchQuery(near=(10.0, 10.0), radius_km=50),  # nobody there
], ids=["shanghai_30", "shanghai_5", "nanjing_full_free", "hangzhou_price", "no_radius", "nowhere"])
def test_radius_queries_read_the_latitude_band_answer_like_the_reference(index_path, docs, query):
    """Within a radius the candidates come from the segment's latitude order: the same homes, distances and facets
    as measuring every home, on the main segment and on the delta beside it."""
    spread = _spread(docs)
    backend = EmbeddedBackend(index_path)
    backend.reindex(spread[:1500])
    backend.upsert(spread[1500:])
    _same(backend, spread, query)
    backend.delete([d["id"] for d in spread[:40]])  # dead rows of the band are left out
    _same(backend, spread[40:], query)


def test_intersections_kept_for_later_queries_answer_like_the_reference(index_path, docs, monkeypatch):
    """The intersections of long posting lists are kept per segment (here every one of them): a query that uses a kept
    one, as requirement, preference or text, answers as the first did, and as the reference, also after changes."""
    from search.embedded import engine

    monkeypatch.setattr(engine, "_JOIN_CACHED_FROM", 1)
    many = _many(docs, n=250)
    backend = EmbeddedBackend(index_path)
    backend.reindex(many)
    named = (("tokens_name", ("养老", "老院")),)
    queries = [SearchQuery(preferences=(named,), per_page=100), SearchQuery(requirements=(named,), per_page=100),
               SearchQuery(text="养老院", per_page=100),
               SearchQuery(text="护理", preferences=(named,), care_level="full", per_page=100)]
    pages = [replace(query, page=page) for query in queries for page in (1, 2, 3)]  # every hit, every score
    for query in pages + pages:  # the second round reads what the first kept
        _same(backend, many, query)
    joins = backend._index.main.postings["tokens_name"].joins
    assert joins.get(("养老", "老院")) is not None and not joins.get(("养老", "老院")).flags.writeable
    backend.upsert([dict(many[0], name="无名之家", tokens_name=["无名", "名之", "之家"], version=9)])
    changed = [dict(many[0], name="无名之家", tokens_name=["无名", "名之", "之家"], version=9)] + many[1:]
    for query in pages:
        _same(backend, changed, query)


def test_the_kept_intersections_stay_within_their_budget():
    """The cache of intersections drops the least recently used beyond its bytes, and keeps nothing larger."""
    import numpy as np

    from search.embedded.engine import _JoinCache

    cache = _JoinCache(budget=1000)
    a, b, c = (np.arange(100, dtype=np.int32) for _ in range(3))  # 400 bytes each
    cache.put("a", a), cache.put("b", b)
    cache.get("a")  # now b is the least recently used
    cache.put("c", c)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.used == 800
    big = cache.put("big", np.arange(1000, dtype=np.int32))
    assert cache.get("big") is None and len(big) == 1000 and cache.used == 800


def test_an_older_version_leaves_the_newer_documents_tokens_alone(index_path, docs, tmp_path):
    """A document's display row and its tokens are stored apart (format 6): an older version sent late changes
    neither, in this process or in another one."""
    from search.query import SearchQuery

    newer = dict(docs[0], version=5, name="新名之家", tokens_name=["新名", "名之", "之家"])
    older = dict(docs[0], version=4, name="旧名之家", tokens_name=["旧名", "名之", "之家"])
    backend = EmbeddedBackend(index_path)
    backend.reindex(docs[1:])
    backend.upsert([newer])
    backend.upsert([older])
    for reader in (backend, EmbeddedBackend(index_path)):
        assert _ids(reader.search(SearchQuery(text="新名"))) == [newer["id"]]
        assert reader.search(SearchQuery(text="旧名")).total == 0
        assert reader.search(SearchQuery(text="新名")).hits[0].doc["name"] == "新名之家"
    backend.delete([newer["id"]])
    assert backend.search(SearchQuery(text="新名")).total == 0
