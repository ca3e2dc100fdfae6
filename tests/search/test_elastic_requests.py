"""The Elasticsearch / OpenSearch backend's requests, without a search engine.

The first half checks the request bodies (Elasticsearch 8/9 and OpenSearch take the same JSON). The second
half runs the real clients against `RequestRecorder`: a tiny HTTP server on 127.0.0.1 that records what the
client sends and answers with canned JSON and the headers of the product it imitates. It is a request
recorder, not a search engine: nothing here says the backend finds the right homes (the conformance suite
does that on a real node).
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import elasticsearch
import opensearchpy
import pytest

from core.errors import SearchUnavailable
from geo.distance import haversine_km
from search import elastic
from search.elastic import ElasticBackend, IndexingError
from search.query import FACETS, MAX_RESULT_WINDOW, SearchQuery

Q = SearchQuery
ALIAS = "homes"
INDEX = "homes-20240601120000-0a1b2c3d"
SUZHOU = (31.299582, 120.581547)
ES_JSON = "application/vnd.elasticsearch+json; compatible-with=8"
ES_NDJSON = "application/vnd.elasticsearch+x-ndjson; compatible-with=8"


def _doc(home_id, version=1, **fields):
    return {"id": home_id, "version": version, "location": {"lat": 31.3, "lon": 120.6}, "rank_boost": 0.5,
            "tokens_name": ["养老"], **fields}


# ---------------------------------------------------------------------------------------------------------
# Request bodies


def test_mapping_keeps_tokens_as_keywords_and_text_with_the_builtin_cjk_analyzer():
    props = elastic.index_mappings()["properties"]
    assert elastic.index_mappings()["dynamic"] is False
    for field in ("tokens_name", "tokens_place", "tokens_body", "province_code", "city_code", "district_code",
                  "care_levels", "features", "ownership"):
        assert props[field] == {"type": "keyword"}, field
    assert props["name"] == props["address"] == {"type": "text", "analyzer": "cjk"}
    assert props["location"] == {"type": "geo_point", "ignore_malformed": True}
    for field in ("id", "version", "price_min", "price_self_care", "price_partial", "price_full", "price_dementia"):
        assert props[field] == {"type": "long"}, field
    for field in ("grade", "beds_free", "free_full", "review_count"):
        assert props[field] == {"type": "integer"}, field
    assert props["rank_boost"] == {"type": "float"} and props["rating"] == {"type": "double"}


def test_a_new_index_has_one_shard_and_loads_without_replicas_or_refresh():
    assert elastic.index_settings() == {"index": {"number_of_shards": 1, "max_result_window": MAX_RESULT_WINDOW,
                                                  "auto_expand_replicas": "0-2"}}
    assert elastic.index_settings(loading=True) == {"index": {
        "number_of_shards": 1, "max_result_window": MAX_RESULT_WINDOW, "auto_expand_replicas": False,
        "number_of_replicas": 0, "refresh_interval": "-1"}}
    assert elastic.serving_settings() == {"index": {"auto_expand_replicas": "0-2", "refresh_interval": None}}


def _group(*alternatives):
    return {"dis_max": {"tie_breaker": 0, "queries": [
        {"constant_score": {"filter": {"bool": {"filter": [{"term": {field: t} } for t in alternative]}},
                            "boost": weight}}
        for field, weight in (("tokens_name", 4), ("tokens_place", 3), ("tokens_body", 1))
        for alternative in alternatives]}}


def test_text_query_is_one_dis_max_of_constant_field_weights_per_group_plus_rank_boost():
    body = elastic.search_body(Q(text="苏州养老 suzhou", with_facets=False))
    assert body == {
        "query": {"function_score": {
            "query": {"bool": {"filter": [{"match_all": {}}], "must": [
                _group(("养老", "州养", "苏州")), _group(("e:suzhou",), ("p:suzhou",))]}},
            "functions": [{"field_value_factor": {"field": "rank_boost", "missing": 0}}],
            "score_mode": "sum", "boost_mode": "sum"}},
        "sort": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
        "from": 0, "size": 20, "track_total_hits": True, "track_scores": True,
        "_source": {"excludes": ["tokens_name", "tokens_place", "tokens_body"]},
    }


def test_query_without_text_scores_rank_boost_only():
    inner = elastic.search_body(Q(text="the of"))["query"]["function_score"]["query"]
    assert inner == {"bool": {"filter": [{"match_all": {}}]}}  # filter-only bool: score 0, + rank_boost


def test_every_filter_becomes_a_filter_clause():
    query = Q(province="320000", city="320500", district="320508", care_level="full", min_price_fen=300_000,
              max_price_fen=800_000, min_grade=3, has_vacancy=True, ownership="public",
              features=("ltci", "medical_insurance"), near=SUZHOU, radius_km=12.5)
    body = elastic.search_body(query)
    assert body["query"]["function_score"]["query"] == {"bool": {"filter": [
        {"term": {"province_code": "320000"}}, {"term": {"city_code": "320500"}},
        {"term": {"district_code": "320508"}}, {"term": {"ownership": "public"}},
        {"term": {"features": "ltci"}}, {"term": {"features": "medical_insurance"}},
        {"geo_distance": {"distance": "12.5km", "distance_type": "arc",
                          "location": {"lat": SUZHOU[0], "lon": SUZHOU[1]}}},
    ]}}
    # the care-level and grade filters narrow the hits after the facets that replace them are counted
    assert body["post_filter"] == {"bool": {"filter": [
        {"term": {"care_levels": "full"}}, {"range": {"price_full": {"gte": 300_000, "lte": 800_000}}},
        {"range": {"free_full": {"gt": 0}}}, {"range": {"grade": {"gte": 3}}},
    ]}}


def test_price_and_vacancy_filters_use_the_overall_fields_without_a_care_level():
    body = elastic.search_body(Q(max_price_fen=450_000, has_vacancy=True))
    assert body["post_filter"]["bool"]["filter"] == [{"range": {"price_min": {"lte": 450_000}}},
                                                     {"range": {"beds_free": {"gt": 0}}}]


def test_near_without_radius_filters_nothing():
    inner = elastic.search_body(Q(near=SUZHOU))["query"]["function_score"]["query"]
    assert inner == {"bool": {"filter": [{"match_all": {}}]}}


BY_ID = {"id": {"order": "asc"}}


@pytest.mark.parametrize("query, sort", [
    (Q(), [{"_score": {"order": "desc"}}, BY_ID]),
    (Q(sort="price"), [{"price_min": {"order": "asc", "missing": "_last"}}, BY_ID]),
    (Q(sort="price", care_level="dementia"), [{"price_dementia": {"order": "asc", "missing": "_last"}}, BY_ID]),
    (Q(sort="grade"), [{"grade": {"order": "desc", "missing": "_last"}}, BY_ID]),
    (Q(sort="rating"), [{"rating": {"order": "desc", "missing": "_last"}},
                        {"review_count": {"order": "desc", "missing": "_last"}}, BY_ID]),
    # metres rounded half up (query.distance_metres), so homes a centimetre apart tie and id decides
    (Q(sort="distance", near=SUZHOU), [{"_script": {"type": "number", "order": "asc", "script": {
        "source": elastic._METRES_SCRIPT, "params": {"lat": SUZHOU[0], "lon": SUZHOU[1]}}}}, BY_ID]),
])
def test_each_sort_ends_with_id_ascending(query, sort):
    assert elastic.search_body(query)["sort"] == sort


def test_pages_are_from_and_size_with_exact_totals():
    body = elastic.search_body(Q(page=3, per_page=7))
    assert (body["from"], body["size"], body["track_total_hits"]) == (14, 7, True)


def test_a_cursor_is_search_after_on_the_sort_from_the_start_past_the_result_window():
    body = elastic.search_body(Q(sort="rating", page=900, per_page=20, after=(4.5, 12, 77)))
    assert (body["from"], body["size"], body["search_after"]) == (0, 20, [4.5, 12, 77])
    assert body["sort"][-1] == {"id": {"order": "asc"}} and len(body["sort"]) == 3
    assert "search_after" not in elastic.search_body(Q(sort="rating"))
    with pytest.raises(ValueError, match="cursor"):
        elastic.search_body(Q(sort="price", after=(4.5, 12, 77)))  # a rating cursor: three values, not two


def test_the_last_hit_s_sort_values_are_the_result_s_last_key():
    docs = [_doc(7), _doc(9)]
    result = elastic.parse_response(_search_response([(docs[0], 2.0), (docs[1], 1.5)]), Q(with_facets=False))
    assert result.last_key == (1.5, 9)
    assert elastic.parse_response(_search_response([]), Q(with_facets=False)).last_key is None


def _terms(field, **extra):
    return {"terms": {"field": field, "size": elastic.FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}],
                      **extra}}


def test_facets_count_every_hit_and_care_level_and_grade_count_each_choice():
    body = elastic.search_body(Q(care_level="full", city="320500", has_vacancy=True))
    full = [{"term": {"care_levels": "full"}}, {"range": {"free_full": {"gt": 0}}}]
    assert body["aggs"]["plain"] == {"filter": {"bool": {"filter": full}}, "aggs": {
        "province": _terms("province_code"), "city": _terms("city_code"), "district": _terms("district_code"),
        "price_band": {"range": {"field": "price_full", "ranges": [
            {"key": "lt3000", "from": 0, "to": 300_000}, {"key": "3000_5000", "from": 300_000, "to": 500_000},
            {"key": "5000_8000", "from": 500_000, "to": 800_000},
            {"key": "8000_12000", "from": 800_000, "to": 1_200_000}, {"key": "ge12000", "from": 1_200_000}]}},
        "features": _terms("features"), "ownership": _terms("ownership"),
    }}
    levels = body["aggs"]["care_level"]["filters"]["filters"]
    assert levels["dementia"] == {"bool": {"filter": [{"term": {"care_levels": "dementia"}},
                                                      {"range": {"free_dementia": {"gt": 0}}}]}}
    grades = body["aggs"]["grade"]["filters"]["filters"]
    assert grades["4"] == {"bool": {"filter": full + [{"range": {"grade": {"gte": 4}}}]}}
    assert sorted(grades) == ["1", "2", "3", "4", "5"]
    assert "aggs" not in elastic.search_body(Q(with_facets=False))
    assert "post_filter" not in elastic.search_body(Q(city="320500"))


def _buckets(*pairs):
    return {"buckets": [{"key": key, "doc_count": count} for key, count in pairs]}


def _search_response(hits=(), total=None, aggregations=None):
    response = {"took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"total": {"value": len(hits) if total is None else total, "relation": "eq"},
                         "max_score": None, "hits": [
                             {"_index": INDEX, "_id": str(doc["id"]), "_score": score, "_source": doc,
                              "sort": [score, doc["id"]]} for doc, score in hits]}}
    if aggregations is not None:
        response["aggregations"] = aggregations
    return response


def _all_facets(**given):
    choices = {name: {"buckets": dict(given.pop(name, {}))} for name in ("care_level", "grade")}
    plain = {name: given.get(name, _buckets()) for name in FACETS if name not in choices}
    counted = {n: {"buckets": {k: {"doc_count": c} for k, c in b["buckets"].items()}} for n, b in choices.items()}
    return {"plain": {"doc_count": 0, **plain}, **counted}


def test_response_becomes_a_search_result_with_sorted_facets_and_distances():
    doc = _doc(7, rank_boost=0.25)
    aggregations = _all_facets(grade={"3": 4, "1": 5, "5": 2, "2": 0},
                               price_band=_buckets(("lt3000", 0), ("3000_5000", 4)))
    result = elastic.parse_response(_search_response([(doc, 4.25)], total=9, aggregations=aggregations),
                                    Q(near=SUZHOU))
    assert result.total == 9
    assert [(h.id, h.score, h.doc) for h in result.hits] == [(7, 4.25, doc)]
    assert result.hits[0].distance_km == pytest.approx(haversine_km(*SUZHOU, 31.3, 120.6), abs=1e-9)
    assert result.facets["grade"] == [("1", 5), ("3", 4), ("5", 2)]
    assert result.facets["price_band"] == [("3000_5000", 4)]  # zero counts are left out
    assert result.facets["city"] == []


def test_bulk_writes_carry_the_home_version_as_an_external_version():
    doc = _doc(42, version=7)
    assert elastic.index_action(ALIAS, doc) == (
        {"index": {"_index": ALIAS, "_id": "42", "version": 7, "version_type": "external"}}, doc)
    assert elastic.delete_action(ALIAS, 42) == ({"delete": {"_index": ALIAS, "_id": "42"}}, None)
    assert elastic.delete_action("homes-next", 42, tombstone=True) == (
        {"delete": {"_index": "homes-next", "_id": "42", "version": 2**62, "version_type": "external"}}, None)


def test_alias_swap_moves_the_alias_and_drops_the_build_alias_in_one_call():
    assert elastic.swap_actions(ALIAS, "homes-next", "homes-new", ["homes-old"]) == [
        {"remove": {"index": "homes-old", "alias": ALIAS}},
        {"add": {"index": "homes-new", "alias": ALIAS}},
        {"remove": {"index": "homes-new", "alias": "homes-next"}},
    ]


def test_new_index_names_are_alias_timestamp_random():
    first, second = elastic.new_index_name(ALIAS), elastic.new_index_name(ALIAS)
    assert first != second
    backend = ElasticBackend.connect("opensearch", "http://127.0.0.1:1", ALIAS)
    assert backend._index_name.match(first) and not backend._index_name.match("homes-next")
    assert not backend._index_name.match("homesick-20240601120000-0a1b2c3d")


def test_from_config_reads_the_flavour_url_alias_and_timeout():
    config = {"SEARCH_BACKEND": "opensearch", "ELASTICSEARCH_URL": "http://10.0.0.1:9200,http://10.0.0.2:9200",
              "SEARCH_INDEX_ALIAS": "yrd-homes", "SEARCH_TIMEOUT_S": 2.5}
    backend = ElasticBackend.from_config(config)
    assert (backend.seam.flavour, backend.alias, backend.next_alias) == ("opensearch", "yrd-homes", "yrd-homes-next")
    assert len(backend.client.transport.hosts) == 2
    with pytest.raises(RuntimeError, match="ELASTICSEARCH_URL"):
        ElasticBackend.from_config(dict(config, ELASTICSEARCH_URL=None))
    with pytest.raises(ValueError, match="flavour"):
        ElasticBackend.from_config(dict(config, SEARCH_BACKEND="solr"))


# ---------------------------------------------------------------------------------------------------------
# On the wire, against a request recorder


@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    headers: dict  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)

    def ndjson(self):
        return [json.loads(line) for line in self.body.decode().splitlines() if line]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is what some tests are about


class RequestRecorder:
    """Records requests on 127.0.0.1 and answers like PRODUCT would (headers, canned JSON). Not a search engine.

    ANSWER(recorded, count) -> (status, body) or None for the default answer; COUNT is how many requests with
    this method and path came before. DELAY_S holds each answer back (for timeouts).
    """

    def __init__(self, product, answer=None, aliases=None, delay_s=0.0):
        self.product, self.answer, self.delay_s = product, answer, delay_s
        self.aliases = aliases if aliases is not None else {}
        self.requests = []
        self._lock = threading.Lock()

    def __enter__(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                recorder._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _serve(self, handler):
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        recorded = Recorded(handler.command, split.path, {k: v[0] for k, v in parse_qs(split.query).items()},
                            {k.lower(): v for k, v in handler.headers.items()}, handler.rfile.read(length))
        with self._lock:
            count = sum(1 for r in self.requests if (r.method, r.path) == (recorded.method, recorded.path))
            self.requests.append(recorded)
        status, body = (self.answer and self.answer(recorded, count)) or self._default(recorded)
        time.sleep(self.delay_s)
        payload = json.dumps(body).encode()
        handler.send_response(status)
        if self.product == "elasticsearch":
            handler.send_header("X-Elastic-Product", "Elasticsearch")
            handler.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8")
        else:
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    def _default(self, r):
        if r.path.endswith("/_alias"):
            return 200, {name: {"aliases": {a: {} for a in names}} for name, names in self.aliases.items()}
        if r.path.endswith("/_search"):
            return 200, _search_response(aggregations=_all_facets())
        if r.path == "/_bulk":
            lines = r.ndjson()
            items, i = [], 0
            while i < len(lines):
                (op, meta), = lines[i].items()
                items.append({op: {"_index": INDEX, "_id": meta["_id"], "status": 200 if op == "delete" else 201}})
                i += 1 if op == "delete" else 2
            return 200, {"took": 1, "errors": False, "items": items}
        if r.path == "/_cluster/health":
            return 200, {"cluster_name": "recorder", "status": "green", "number_of_nodes": 1}
        if r.path.endswith("/_count"):
            return 200, {"count": 0}
        return 200, {"acknowledged": True}

    def of(self, method, suffix):
        """Return the recorded requests with METHOD (or any, for None) whose path ends with SUFFIX."""
        return [r for r in self.requests if method in (None, r.method) and r.path.endswith(suffix)]


def _backend(recorder, flavour=None, timeout_s=5.0):
    return ElasticBackend.connect(flavour or recorder.product, recorder.url, ALIAS, timeout_s=timeout_s)


def test_elasticsearch_client_sends_compatibility_headers_and_the_search_body():
    query = Q(text="护理", city="320500", sort="price")
    with RequestRecorder("elasticsearch", aliases={INDEX: [ALIAS]}) as recorder:
        result = _backend(recorder).search(query)
    (request,) = recorder.of("POST", "/_search")
    assert request.path == f"/{ALIAS}/_search"
    assert request.headers["accept"] == ES_JSON and request.headers["content-type"] == ES_JSON
    assert request.json() == elastic.search_body(query)
    assert result.total == 0 and set(result.facets) == set(FACETS)


def test_elasticsearch_client_refuses_a_server_without_the_product_header():
    # the recorder answers like OpenSearch: no X-Elastic-Product header
    with RequestRecorder("opensearch") as recorder, pytest.raises(elasticsearch.UnsupportedProductError):
        _backend(recorder, flavour="elasticsearch").search(Q())


def test_opensearch_client_sends_plain_json_and_needs_no_product_header():
    query = Q(text="养老", near=SUZHOU, radius_km=12.0, sort="distance")
    with RequestRecorder("opensearch") as recorder:
        _backend(recorder).search(query)
    (request,) = recorder.of("POST", "/_search")
    assert request.headers["content-type"] == "application/json"
    assert "compatible-with" not in request.headers.get("accept", "")
    assert request.json() == elastic.search_body(query)


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_upsert_sends_externally_versioned_bulk_through_the_alias(product):
    docs = [_doc(1, version=3), _doc(2, version=9)]
    with RequestRecorder(product, aliases={INDEX: [ALIAS]}) as recorder:
        _backend(recorder).upsert(docs)
    (bulk,) = recorder.of(None, "/_bulk")
    assert bulk.params == {"require_alias": "true", "refresh": "true"}
    assert bulk.ndjson() == [
        {"index": {"_index": ALIAS, "_id": "1", "version": 3, "version_type": "external"}}, docs[0],
        {"index": {"_index": ALIAS, "_id": "2", "version": 9, "version_type": "external"}}, docs[1],
    ]
    if product == "elasticsearch":
        assert bulk.headers["content-type"] == ES_NDJSON
    assert not recorder.of("PUT", INDEX)  # the alias exists: no index is created


def test_first_upsert_creates_the_index_with_its_mapping_and_alias():
    with RequestRecorder("elasticsearch") as recorder:
        _backend(recorder).upsert([_doc(1)])
    (create,) = [r for r in recorder.requests if r.method == "PUT" and r.path != "/_bulk"]
    assert create.path.startswith(f"/{ALIAS}-")
    assert create.json() == {"settings": elastic.index_settings(), "mappings": elastic.index_mappings(),
                             "aliases": {ALIAS: {}}}


def test_writes_during_a_build_also_go_to_the_build_alias():
    building = "homes-20240602120000-99999999"
    with RequestRecorder("opensearch", aliases={INDEX: [ALIAS], building: ["homes-next"]}) as recorder:
        backend = _backend(recorder)
        backend.upsert([_doc(5, version=2)])
        backend.delete([6])
    upsert, delete = (r.ndjson() for r in recorder.of(None, "/_bulk"))
    assert [line for line in upsert if "index" in line] == [
        {"index": {"_index": ALIAS, "_id": "5", "version": 2, "version_type": "external"}},
        {"index": {"_index": "homes-next", "_id": "5", "version": 2, "version_type": "external"}}]
    assert delete == [{"delete": {"_index": ALIAS, "_id": "6"}},
                      {"delete": {"_index": "homes-next", "_id": "6", "version": 2**62, "version_type": "external"}}]


def _bulk_answer(status, error_type):
    def answer(r, _count):
        if r.path != "/_bulk":
            return None
        meta = r.ndjson()[0]["index"]
        return 200, {"took": 1, "errors": True, "items": [{"index": {
            "_index": INDEX, "_id": meta["_id"], "status": status, "error": {"type": error_type, "reason": "x"}}}]}

    return answer


def test_version_conflicts_are_ignored_and_other_bulk_errors_raise():
    with RequestRecorder("opensearch", _bulk_answer(409, "version_conflict_engine_exception"),
                         aliases={INDEX: [ALIAS]}) as recorder:
        _backend(recorder).upsert([_doc(1)])
    broken = RequestRecorder("opensearch", _bulk_answer(400, "mapper_parsing_exception"), aliases={INDEX: [ALIAS]})
    with broken as recorder, pytest.raises(IndexingError, match="mapper_parsing_exception"):
        _backend(recorder).upsert([_doc(1)])


def test_reindex_loads_a_new_index_then_swaps_the_alias_and_drops_the_old_index():
    state = {INDEX: [ALIAS]}

    def answer(r, _count):
        if r.method == "PUT" and r.path.count("/") == 1 and r.path != "/_bulk":  # the new index, behind the build alias
            state[r.path.strip("/")] = list(r.json()["aliases"])

    with RequestRecorder("elasticsearch", answer, aliases=state) as recorder:
        assert _backend(recorder).reindex(iter([_doc(1), _doc(2)])) == 2
    (new,) = set(state) - {INDEX}
    steps = [(r.method, r.path.replace(new, "NEW")) for r in recorder.requests]
    assert steps == [("GET", f"/{ALIAS}-*/_alias"), ("PUT", "/NEW"), ("PUT", "/_bulk"), ("PUT", "/NEW/_settings"),
                     ("POST", "/NEW/_refresh"), ("GET", f"/{ALIAS}-*/_alias"), ("POST", "/_aliases"),
                     ("DELETE", f"/{INDEX}")]
    create, bulk, settings, _refresh, _aliases, swap, _delete = recorder.requests[1:]
    assert create.json() == {"settings": elastic.index_settings(loading=True), "mappings": elastic.index_mappings(),
                             "aliases": {"homes-next": {}}}
    assert bulk.params == {"require_alias": "true", "refresh": "false"}
    assert bulk.ndjson()[0] == {"index": {"_index": "homes-next", "_id": "1", "version": 1,
                                          "version_type": "external"}}
    assert settings.json() == elastic.serving_settings()
    assert swap.json() == {"actions": elastic.swap_actions(ALIAS, "homes-next", new, [INDEX])}


def test_a_failed_load_deletes_the_half_built_index_and_keeps_the_old_one():
    def docs():
        yield _doc(1)
        raise RuntimeError("SQL went away")

    recorder = RequestRecorder("opensearch", aliases={INDEX: [ALIAS]})
    with recorder, pytest.raises(RuntimeError, match="SQL went away"):
        _backend(recorder).reindex(docs())
    (create,) = [r for r in recorder.requests if r.method == "PUT" and r.path != "/_bulk"]
    assert [r.path for r in recorder.requests if r.method == "DELETE"] == [create.path]
    assert not recorder.of("POST", "/_aliases")


def test_search_before_anything_was_indexed_answers_with_nothing():
    def missing(r, _count):
        return 404, {"error": {"type": "index_not_found_exception", "reason": "no such index [homes]"},
                     "status": 404}

    with RequestRecorder("elasticsearch", missing) as recorder:
        result = _backend(recorder).search(Q(text="护理"))
    assert result.total == 0 and result.hits == [] and result.facets == {name: [] for name in FACETS}


# -- outages: retries, then SearchUnavailable --------------------------------------------------------------


def _unavailable_for(times, status=503):
    def answer(r, count):
        if r.path.endswith("/_search") and count < times:
            return status, {"error": {"type": "unavailable_shards_exception", "reason": "busy"}, "status": status}
        return None

    return answer


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_transient_503s_are_retried(product):
    with RequestRecorder(product, _unavailable_for(elastic.MAX_RETRIES)) as recorder:
        result = _backend(recorder).search(Q())
    assert result.total == 0
    assert len(recorder.of("POST", "/_search")) == elastic.MAX_RETRIES + 1


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_an_engine_that_stays_unavailable_raises_search_unavailable_after_a_bounded_retry(product):
    recorder = RequestRecorder(product, _unavailable_for(100))
    with recorder, pytest.raises(SearchUnavailable) as caught:
        _backend(recorder).search(Q())
    assert caught.value.status == 503
    assert len(recorder.of("POST", "/_search")) == elastic.MAX_RETRIES + 1


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_rejected_for_load_is_unavailable_without_hammering(product):
    recorder = RequestRecorder(product, _unavailable_for(100, status=429))
    with recorder, pytest.raises(SearchUnavailable):
        _backend(recorder).search(Q())
    assert len(recorder.of("POST", "/_search")) == 1


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_a_bad_request_is_a_bug_not_an_outage(product):
    recorder = RequestRecorder(product, _unavailable_for(100, status=400))
    with recorder, pytest.raises((elasticsearch.ApiError, opensearchpy.TransportError)) as caught:
        _backend(recorder).search(Q())
    assert caught.value.status_code == 400 and not isinstance(caught.value, SearchUnavailable)


@pytest.mark.parametrize("product", ["elasticsearch", "opensearch"])
def test_timeouts_are_retried_then_unavailable(product):
    with RequestRecorder(product, delay_s=0.5) as recorder:
        started = time.monotonic()
        with pytest.raises(SearchUnavailable):
            _backend(recorder, timeout_s=0.1).search(Q())
        assert time.monotonic() - started < 5
    assert len(recorder.of("POST", "/_search")) == elastic.MAX_RETRIES + 1


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("flavour", ["elasticsearch", "opensearch"])
def test_an_engine_that_is_down_raises_search_unavailable(flavour):
    backend = ElasticBackend.connect(flavour, f"http://127.0.0.1:{_closed_port()}", ALIAS, timeout_s=1.0)
    for call in (lambda: backend.search(Q(text="护理")), backend.health, backend.versions,
                 lambda: backend.upsert([_doc(1)]), lambda: backend.delete([1]),
                 lambda: backend.reindex(iter([_doc(1)]))):
        with pytest.raises(SearchUnavailable):
            call()


def test_with_the_facet_request_cache_facets_go_in_a_cacheable_request_of_their_own():
    query = Q(text="护理", care_level="full", sort="grade", page=2)
    with RequestRecorder("opensearch", aliases={INDEX: [ALIAS]}) as recorder:
        backend = ElasticBackend.connect("opensearch", recorder.url, ALIAS, facet_request_cache=True)
        result = backend.search(query)
        backend.search(replace(query, with_facets=False))
    counts, hits, plain = recorder.of("POST", "/_search")
    assert counts.params.get("request_cache") == "true" and "request_cache" not in hits.params
    assert counts.json()["size"] == 0 and counts.json()["aggs"] == elastic.search_body(query)["aggs"]
    assert counts.json()["post_filter"] == elastic.search_body(query)["post_filter"]
    assert "aggs" not in hits.json() and hits.json()["from"] == 20 and hits.json()["track_total_hits"] is False
    assert plain.json() == elastic.search_body(replace(query, with_facets=False))  # nothing to count: one request
    assert set(result.facets) == set(FACETS)
