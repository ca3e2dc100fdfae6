"""The Elasticsearch 8/9 and OpenSearch 2 backend: one class, one set of request bodies, a thin client seam.

Both engines take the same JSON; only the client differs (the elasticsearch client refuses to talk to
OpenSearch), so `_Seam` wraps the official client of each flavour and names its exceptions.

Indices and aliases. Searches and writes go through the alias `<alias>`, which names exactly one index
`<alias>-<timestamp>-<random>`. A reindex builds a fresh index behind a second alias `<alias>-next`; while it
exists, every write also goes there (versioned, so the build and the writes may interleave in any order), then
one update_aliases call moves `<alias>` to the new index and the old one is deleted. Writes name aliases only
and use require_alias, so a write racing with the swap can never auto-create a stray index.

Scoring is exact: the text score is a sum over query groups of constant field weights (small integers) and
rank_boost is a multiple of 1/64, so Lucene's float scores equal the reference's to the last bit.
"""

import logging
import math
import re
import secrets
import threading
import time
import weakref
from contextlib import contextmanager

from core.errors import SearchUnavailable
from geo.distance import bounding_box, haversine_km
from search import analysis
from search.query import (
    CARE_LEVELS,
    FACETS,
    MAX_RESULT_WINDOW,
    PLACE_WEIGHTS,
    PREFERENCE_WEIGHT,
    PRICE_BANDS,
    TOKEN_FIELDS,
    Hit,
    SearchResult,
    free_field,
    place_scope,
    price_field,
)

log = logging.getLogger(__name__)

FLAVOURS = ("elasticsearch", "opensearch")
MAX_RETRIES = 2  # per request, on connection errors, timeouts and RETRY_ON_STATUS
RETRY_ON_STATUS = (502, 503, 504)
UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})  # the engine is there but cannot answer now
REPLICAS = "0-2"  # auto_expand_replicas: a copy on each of up to three nodes, none on a single test node
FACET_SIZE = 2000  # more than the Yangtze River Delta has districts, so terms counts are exact
BULK_CHUNK = 500
# Deletes sent to an index being built carry this external version: its tombstone stops the build from
# bringing back a home deleted after the build read it from SQL (home ids are never reused).
DELETED_VERSION = 2**62
CONFLICT = 409
PROBE_INTERVAL_S = 1.0  # how often a process probes an engine its breaker found down
NOT_FOUND = 404

_TEXT_CJK = {"type": "text", "analyzer": "cjk"}
_TEXT_EN = {"type": "text", "analyzer": "english"}
_KEYWORD = {"type": "keyword"}
_INTEGER = {"type": "integer"}
_LONG = {"type": "long"}


def index_mappings():
    """Return the mappings of a homes index."""
    properties = {
        "id": _LONG, "version": _LONG,
        "name": _TEXT_CJK, "name_en": _TEXT_EN, "address": _TEXT_CJK,
        "province_code": _KEYWORD, "city_code": _KEYWORD, "district_code": _KEYWORD,
        "ownership": _KEYWORD, "care_levels": _KEYWORD, "features": _KEYWORD,
        "location": {"type": "geo_point", "ignore_malformed": True},
        "grade": _INTEGER, "beds_total": _INTEGER, "beds_free": _INTEGER,
        "quality_stars": _INTEGER, "quality_warning": {"type": "boolean"},
        "price_min": _LONG,
        # double, not float: a float32 could merge two distinct ratings into a tie that review_count decides
        "rating": {"type": "double"}, "review_count": _INTEGER,
        "rank_boost": {"type": "float"},  # a multiple of 1/64: exact in a float
        "vacancy_confirmed_at": {"type": "date"}, "is_demo": {"type": "boolean"},
    }
    for level in ("self_care", "partial", "full", "dementia"):
        properties[price_field(level)] = _LONG
        properties[free_field(level)] = _INTEGER
    for field in analysis.FIELD_WEIGHTS:
        properties[field] = _KEYWORD  # pre-analysed tokens (analysis.py), matched exactly as the embedded backend
    # new document fields stay in _source without a mapping change; every field a query uses is mapped above
    return {"dynamic": False, "properties": properties}


def index_settings(loading=False):
    """Return the settings of a new index; LOADING: no replicas and no refresh while a reindex fills it."""
    settings = {"number_of_shards": 1, "max_result_window": MAX_RESULT_WINDOW}
    if loading:
        settings.update(auto_expand_replicas=False, number_of_replicas=0, refresh_interval="-1")
    else:
        settings.update(auto_expand_replicas=REPLICAS)
    return {"index": settings}


def serving_settings():
    """Return the settings that turn a freshly loaded index into a serving one."""
    return {"index": {"auto_expand_replicas": REPLICAS, "refresh_interval": None}}


# ---------------------------------------------------------------------------------------------------------
# Query bodies


def _level_filters(q, care_level):
    """Return the clauses that depend on the care level: accepting it, its price range, its free beds."""
    clauses = [{"term": {"care_levels": care_level}}] if care_level else []
    bounds = {op: v for op, v in (("gte", q.min_price_fen), ("lte", q.max_price_fen)) if v is not None}
    if bounds:
        clauses.append({"range": {price_field(care_level): bounds}})
    if q.has_vacancy:
        clauses.append({"range": {free_field(care_level): {"gt": 0}}})
    if q.sort == "price":
        clauses.append({"exists": {"field": price_field(care_level)}})  # no price: left out of a price sort
    return clauses


def _unpriced_aggregation(q):
    """Count the homes without any published fee that only the price filter or sort leaves out (query.py)."""
    clauses = _grade_filters(q.min_grade) + [{"bool": {"must_not": [{"exists": {"field": "price_min"}}]}}]
    if q.has_vacancy:
        clauses.append({"range": {free_field(q.care_level): {"gt": 0}}})
    return {"filter": _all_of(clauses)}


def _grade_filters(min_grade):
    return [{"range": {"grade": {"gte": min_grade}}}] if min_grade is not None else []


def _choice_filters(q):
    """The filters a care_level or grade facet replaces: applied as post_filter and inside the other facets."""
    return _level_filters(q, q.care_level) + _grade_filters(q.min_grade)


def _filters(q):
    """Return the filter clauses of SearchQuery Q that every facet shares (all ANDed)."""
    clauses = [{"term": {f"{name}_code": value}}
               for name, value in (("province", q.province), ("city", q.city), ("district", q.district)) if value]
    if q.ownership:
        clauses.append({"term": {"ownership": q.ownership}})
    clauses += [{"term": {"features": feature}} for feature in q.features]
    if q.min_quality is not None:
        clauses.append({"range": {"quality_stars": {"gte": q.min_quality}}})
    if q.near is not None and q.radius_km is not None:
        clauses.append({"geo_distance": {"distance": f"{q.radius_km}km", "distance_type": "arc",
                                         "location": _point(q.near)}})
    if q.places:
        clauses.append(_place_filter(q.places))
    clauses += [_any_of([_clause(f, v) for f, v in requirement]) for requirement in q.requirements]
    return clauses


def _any_of(clauses):
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _place_filter(places):
    """The area the place readings cover (query.py): their cities, or the province of a province alone."""
    cities, provinces = place_scope(places)
    return _any_of([{"terms": {field: codes}} for field, codes in (("city_code", cities),
                                                                   ("province_code", provinces)) if codes])


def _clause(field_name, value):
    """One requirement clause: a code the document has, or every token of VALUE in a token field."""
    if isinstance(value, tuple):
        return {"bool": {"filter": [{"term": {field_name: token}} for token in value]}}
    return {"term": {field_name: value}}


def _place_score(places):
    """The place score (query.py): the best of a named district and a named city, 0 when neither."""
    scored = ((PLACE_WEIGHTS["district"], "district_code", {p.district for p in places if p.district}),
              (PLACE_WEIGHTS["city"], "city_code", {p.city for p in places if p.city}))
    return {"dis_max": {"tie_breaker": 0, "queries": [
        {"constant_score": {"filter": {"terms": {field: sorted(codes)}}, "boost": weight}}
        for weight, field, codes in scored if codes
    ]}}


def _point(near):
    return {"lat": near[0], "lon": near[1]}


def _group_clause(alternatives):
    """Return the clause of one query group: the best field weight over its alternatives, 0 if none match."""
    return {"dis_max": {"tie_breaker": 0, "queries": [
        {"constant_score": {"filter": {"bool": {"filter": [{"term": {field: token}} for token in alternative]}},
                            "boost": weight}}
        for field, weight in analysis.FIELD_WEIGHTS.items() for alternative in alternatives
    ]}}


def _scored_query(q):
    """Return the query: filters, one `must` per text group, plus rank_boost (no text: score = rank_boost)."""
    groups = analysis.parse_query(q.text, q.typo_words)
    # a bool with only filters scores 0, so the function adds up to exactly rank_boost without text
    matching = {"bool": {"filter": _filters(q) or [{"match_all": {}}]}}
    if groups:
        matching["bool"]["must"] = [_group_clause(alternatives) for alternatives in groups]
    # optional beside the filter: they only add the place and preference scores
    should = [_place_score(q.places)] if any(p.city for p in q.places) else []
    should += [{"constant_score": {"filter": _any_of([_clause(f, v) for f, v in preference]),
                                   "boost": PREFERENCE_WEIGHT}} for preference in q.preferences]
    if should:
        matching["bool"]["should"] = should
    return {"function_score": {
        "query": matching,
        "functions": [{"field_value_factor": {"field": "rank_boost", "missing": 0}}],
        "score_mode": "sum", "boost_mode": "sum",
    }}


_BY_ID = {"id": {"order": "asc"}}


def _sort(q):
    """Return the sort of Q, id ascending last; missing values sort last."""
    if q.sort == "relevance":
        keys = [{"_score": {"order": "desc"}}]
    elif q.sort == "price":
        keys = [{price_field(q.care_level): {"order": "asc", "missing": "_last"}}]
    elif q.sort == "grade":
        keys = [{"grade": {"order": "desc", "missing": "_last"}}]
    elif q.sort == "quality":
        keys = [{"quality_stars": {"order": "desc", "missing": "_last"}}]
    elif q.sort == "rating":
        keys = [{"rating": {"order": "desc", "missing": "_last"}},
                {"review_count": {"order": "desc", "missing": "_last"}}]
    else:
        keys = [{"_script": {"type": "number", "order": "asc", "script": {
            "source": _METRES_SCRIPT, "params": {"lat": q.near[0], "lon": q.near[1]}}}}]
    return keys + [_BY_ID]


# query.distance_metres on the engine's side: arc distance in metres, rounded half up; no location sorts last
_METRES_SCRIPT = ("doc['location'].size() == 0 ? Double.MAX_VALUE : "
                  "Math.floor(doc['location'].arcDistance(params.lat, params.lon) + 0.5)")


def _terms(field, **extra):
    return {"terms": {"field": field, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}],
                      **extra}}


def _all_of(clauses):
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def _aggregations(q):
    """Return the facet aggregations (query.py): plain facets over every hit, care_level and grade per choice."""
    ranges = [{"key": key, "from": low, **({"to": high} if high is not None else {})}
              for key, low, high in PRICE_BANDS]
    plain = {
        "province": _terms("province_code"), "city": _terms("city_code"), "district": _terms("district_code"),
        "price_band": {"range": {"field": price_field(q.care_level), "ranges": ranges}},
        "features": _terms("features"), "ownership": _terms("ownership"),
    }
    grade = _grade_filters(q.min_grade)
    return {
        "plain": {"filter": _all_of(_choice_filters(q)), "aggs": plain},
        "care_level": {"filters": {"filters": {level: _all_of(_level_filters(q, level) + grade)
                                               for level in CARE_LEVELS}}},
        "grade": {"filters": {"filters": {str(n): _all_of(_level_filters(q, q.care_level) + _grade_filters(n))
                                          for n in range(1, 6)}}},
    }


def search_body(q):
    """Return the search request body for SearchQuery Q (validated); a cursor (Q.after) is `search_after`."""
    sort = _sort(q)
    body = {"query": _scored_query(q), "sort": sort, "from": q.offset, "size": q.per_page,
            "track_total_hits": True, "track_scores": True, "_source": {"excludes": list(TOKEN_FIELDS)}}
    if q.after is not None:
        if len(q.after) != len(sort):  # not a cursor of this sort: the engine would answer 400
            raise ValueError("cursor")
        body["from"], body["search_after"] = 0, list(q.after)
    choice = _choice_filters(q)
    if choice:  # after the facets that replace these choices are counted, they narrow the hits
        body["post_filter"] = _all_of(choice)
    if q.with_facets:
        body["aggs"] = _aggregations(q)
    if q.prices_only:
        body.setdefault("aggs", {})["unpriced"] = _unpriced_aggregation(q)
    return body


def split_bodies(q):
    """Return (hits body, counts body) of Q for a backend with the facet request cache, or None when Q counts nothing.

    The node caches only requests of size 0 (the shard request cache, emptied at each refresh that changed the
    index): so total, facets and the unpriced count go in one such request, cached across pages, sorts (but
    price) and cursors of the same search; the hits go in another that counts nothing.
    """
    body = search_body(q)
    if "aggs" not in body:
        return None
    counts = {"size": 0, "query": body["query"], "track_total_hits": True, "aggs": body.pop("aggs")}
    if "post_filter" in body:
        counts["post_filter"] = body["post_filter"]
    body["track_total_hits"] = False
    return body, counts


def _sorted_counts(pairs):
    return sorted(((str(key), n) for key, n in pairs if n), key=lambda kv: (-kv[1], kv[0]))


def _facet_values(name, aggregations):
    if name in ("care_level", "grade"):
        return _sorted_counts((key, b["doc_count"]) for key, b in aggregations[name]["buckets"].items())
    buckets = aggregations["plain"][name]["buckets"]
    return _sorted_counts((b["key"], b["doc_count"]) for b in buckets)


def _hit(raw, q):
    doc = raw["_source"]
    distance = None
    if q.near is not None and doc.get("location"):
        distance = haversine_km(q.near[0], q.near[1], doc["location"]["lat"], doc["location"]["lon"])
    return Hit(id=int(doc["id"]), score=float(raw["_score"]), doc=doc, distance_km=distance)


def parse_response(response, q):
    """Turn a search response into a SearchResult."""
    facets = {}
    if q.with_facets:
        facets = {name: _facet_values(name, response["aggregations"]) for name in FACETS}
    raw_hits = response["hits"]["hits"]
    hits = [_hit(raw, q) for raw in raw_hits]
    unpriced = (response.get("aggregations") or {}).get("unpriced", {}).get("doc_count", 0)
    # the last hit's sort values, as the engine wants them back in search_after (query.py: Cursor)
    last_key = tuple(raw_hits[-1]["sort"]) if raw_hits and "sort" in raw_hits[-1] else None
    return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets,
                        engine_ms=response.get("took"), unpriced_excluded=unpriced, last_key=last_key)


def empty_result(q):
    """Return the answer of an index that does not exist yet."""
    return SearchResult(total=0, hits=[], facets={name: [] for name in FACETS} if q.with_facets else {})


# ---------------------------------------------------------------------------------------------------------
# Stored queries (the percolator): which saved queries a changed document matches


def stored_queries_index(alias):
    """Return the name of the percolator index that holds ALIAS's stored queries."""
    return f"{alias}-stored-queries"


# Candidate selection. The percolator runs only the stored queries whose extracted terms (and ranges) a
# document has; a clause it cannot extract (geo_distance) narrows nothing, so every radius query used to run
# for every document. Each radius query is stored with one more clause, "the document lies in one of the grid
# cells the circle's bounding box touches", and each percolated document carries its cells (GEO_CELLS_FIELD,
# at two resolutions; a query names the finest that stays under MAX_GEO_CELLS cells). The cells cover the
# circle, so the clause changes no answer: it only lets candidate selection skip the homes far away.
GEO_CELLS_FIELD = "geo_cells"
GEO_CELL_RESOLUTIONS = (10, 1)  # cells per degree: 0.1° (about 11 km) and 1°
MAX_GEO_CELLS = 400
_GEO_CELL_MARGIN_DEG = 0.01  # more than the engine's geo_point rounding (1e-7°) and float error
PERCOLATE_SLICE = 1  # documents per percolate query: alone, candidate selection narrows on its own terms
PERCOLATE_BATCH = 100  # percolate queries per _msearch request
PERCOLATE_PAGE = 10_000  # ids returned per percolate query (more: that one is read again with a scroll)


def _geo_cell(per_degree, lat, lon):
    return f"{per_degree}:{math.floor(lat * per_degree)}:{math.floor(lon * per_degree)}"


def doc_geo_cells(doc):
    """Return the grid cells (every resolution) DOC's location lies in; [] when it has no usable location."""
    location = doc.get("location")
    try:
        lat, lon = float(location["lat"]), float(location["lon"])
    except (TypeError, KeyError, ValueError):
        return []
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        return []
    return [_geo_cell(n, lat, lon) for n in GEO_CELL_RESOLUTIONS]


def circle_geo_cells(near, radius_km):
    """Return the cells covering the circle (one resolution, at most MAX_GEO_CELLS), or None (no narrowing)."""
    min_lat, min_lon, max_lat, max_lon = bounding_box(near[0], near[1], radius_km)
    min_lat, min_lon = min_lat - _GEO_CELL_MARGIN_DEG, min_lon - _GEO_CELL_MARGIN_DEG
    max_lat, max_lon = max_lat + _GEO_CELL_MARGIN_DEG, max_lon + _GEO_CELL_MARGIN_DEG
    if min_lat < -90 or max_lat > 90 or min_lon < -180 or max_lon > 180:
        return None  # over a pole or the antimeridian: not worth a cover
    for n in GEO_CELL_RESOLUTIONS:
        rows = range(math.floor(min_lat * n), math.floor(max_lat * n) + 1)
        cols = range(math.floor(min_lon * n), math.floor(max_lon * n) + 1)
        if len(rows) * len(cols) <= MAX_GEO_CELLS:
            return [f"{n}:{row}:{col}" for row in rows for col in cols]
    return None


def stored_queries_mappings():
    """Return the percolator index mappings: the homes fields (so queries parse alike), the stored query, cells."""
    mappings = index_mappings()
    mappings["properties"] = {**mappings["properties"], "query": {"type": "percolator"}, "query_id": _LONG,
                              GEO_CELLS_FIELD: _KEYWORD}
    return mappings


def stored_query(q):
    """Return the query stored for Q: match_query, plus the cells of its circle (only to narrow candidates)."""
    query = match_query(q)
    cells = circle_geo_cells(q.near, q.radius_km) if q.near is not None and q.radius_km is not None else None
    if cells:
        query = {"bool": {"filter": query["bool"]["filter"] + [{"terms": {GEO_CELLS_FIELD: cells}}]}}
    return query


def match_query(q):
    """Return the query a document matches exactly when it is among Q's hits (filters, choices, text groups).

    Built from the search body's own clauses; scoring-only parts (places' and preferences' scores) are left out.
    """
    clauses = _filters(q) + _choice_filters(q)
    clauses += [_group_clause(alternatives) for alternatives in analysis.parse_query(q.text)]
    return _all_of(clauses)


def percolate_document(doc):
    """Return DOC as percolated: with its grid cells (stored_query's narrowing clause matches on them)."""
    return {**doc, GEO_CELLS_FIELD: doc_geo_cells(doc)}


def percolate_body(docs, size=PERCOLATE_PAGE):
    """Return the search body that finds the stored queries matching DOCS (slots in DOCS' order).

    Filter context (nothing is scored, and a lone document's fully extracted queries skip their run), ids only.
    """
    return {"query": {"constant_score": {"filter": {"percolate": {
                "field": "query", "documents": [percolate_document(doc) for doc in docs]}}}},
            "_source": False, "size": size, "track_total_hits": True}


# ---------------------------------------------------------------------------------------------------------
# Bulk actions and alias changes


def index_action(index, doc):
    """Return the bulk (header, source) that writes DOC unless INDEX holds the same or a newer version."""
    return {"index": {"_index": index, "_id": str(doc["id"]), "version": doc["version"],
                      "version_type": "external"}}, doc


def delete_action(index, home_id, tombstone=False):
    """Return the bulk (header, None) deleting HOME_ID; TOMBSTONE: versioned, to fence off older writes."""
    header = {"_index": index, "_id": str(home_id)}
    if tombstone:
        header.update(version=DELETED_VERSION, version_type="external")
    return {"delete": header}, None


def swap_actions(alias, next_alias, new_index, old_indices):
    """Return the update_aliases actions that point ALIAS at NEW_INDEX only, in one atomic step."""
    actions = [{"remove": {"index": old, "alias": alias}} for old in old_indices]
    return actions + [{"add": {"index": new_index, "alias": alias}},
                      {"remove": {"index": new_index, "alias": next_alias}}]


def new_index_name(alias):
    """Return a fresh index name `<alias>-<UTC timestamp>-<random>`."""
    return f"{alias}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"


def _as_is(action):
    return action


# ---------------------------------------------------------------------------------------------------------
# The client seam


class _Seam:
    """One flavour's official client, its bulk helpers and the exceptions it raises."""

    def __init__(self, flavour, client, helpers, connection_errors, api_error):
        self.flavour, self.client, self.helpers = flavour, client, helpers
        self.connection_errors, self.api_error = connection_errors, api_error

    @staticmethod
    def status(exc):
        """Return the HTTP status of an API error (None when there was no response)."""
        status = getattr(exc, "status_code", None)
        return status if isinstance(status, int) else None


def _hosts(url):
    return [part.strip() for part in url.split(",") if part.strip()]


def _elasticsearch_seam(url, timeout_s, max_retries=MAX_RETRIES):
    import elasticsearch
    from elasticsearch import helpers

    client = elasticsearch.Elasticsearch(_hosts(url), request_timeout=timeout_s, max_retries=max_retries,
                                         retry_on_timeout=True, retry_on_status=RETRY_ON_STATUS)
    # elastic_transport's ConnectionTimeout is not a ConnectionError: name both
    return _Seam("elasticsearch", client, helpers, (elasticsearch.ConnectionError, elasticsearch.ConnectionTimeout),
                 elasticsearch.ApiError)


def _opensearch_seam(url, timeout_s, max_retries=MAX_RETRIES):
    import opensearchpy
    from opensearchpy import helpers

    client = opensearchpy.OpenSearch(_hosts(url), timeout=timeout_s, max_retries=max_retries,
                                     retry_on_timeout=True, retry_on_status=RETRY_ON_STATUS)
    # opensearchpy's ConnectionError (and ConnectionTimeout) subclass its TransportError: test them first
    return _Seam("opensearch", client, helpers, (opensearchpy.ConnectionError,), opensearchpy.TransportError)


def make_seam(flavour, url, timeout_s, max_retries=MAX_RETRIES):
    """Build the client seam of FLAVOUR for URL (comma-separated for several nodes)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown search flavour {flavour!r}: use elasticsearch or opensearch")
    return (_elasticsearch_seam if flavour == "elasticsearch" else _opensearch_seam)(url, timeout_s, max_retries)


class CircuitBreaker:
    """Answer "down" at once while the engine is known to be unreachable; probe it in the background.

    A search that finds the engine unreachable (or frozen: no answer within the budget) opens the breaker;
    searches then fail immediately instead of each holding a worker thread for the whole budget. One daemon
    thread per process probes every PROBE_INTERVAL_S and closes the breaker at the first answer.
    """

    def __init__(self, probe, interval_s=1.0):
        self.probe, self.interval_s = probe, interval_s
        self._lock, self._open, self._prober = threading.Lock(), False, None

    @property
    def is_open(self):
        """Say whether searches should fail at once."""
        return self._open

    def trip(self):
        """Open the breaker and start probing (once per process)."""
        with self._lock:
            self._open = True
            if self._prober is None or not self._prober.is_alive():
                # the thread holds the breaker weakly: a backend that is dropped (an app torn down) stops probing
                self._prober = threading.Thread(target=_probe_until_up, args=(weakref.ref(self),),
                                                name="search-probe", daemon=True)
                self._prober.start()

    def stop(self):
        """Close the breaker and let its probe thread end (the backend is being closed)."""
        self._open = False


def _probe_until_up(breaker_ref):
    """Probe every interval until the engine answers, the breaker is stopped, or the breaker is gone."""
    while True:
        breaker = breaker_ref()
        if breaker is None or not breaker._open:
            return
        interval, probe = breaker.interval_s, breaker.probe
        del breaker
        time.sleep(interval)
        breaker = breaker_ref()
        if breaker is None or not breaker._open:
            return
        try:
            if probe():
                breaker._open = False
                log.info("search engine reachable again; breaker closed")
        except Exception as exc:  # noqa: BLE001  (any failure just means "still down")
            log.debug("search engine probe failed: %s", exc)
        del breaker


class IndexingError(RuntimeError):
    """The engine refused a document for a reason other than a version conflict (a bug, not an outage)."""


# ---------------------------------------------------------------------------------------------------------
# The backend


class ElasticBackend:
    """Search and index homes in Elasticsearch or OpenSearch behind an alias."""

    def __init__(self, seam, alias, search_seam=None, facet_request_cache=False):
        self.seam, self.client, self.alias = seam, seam.client, alias
        # facets in a request of their own that the node may cache (split_bodies): one more round trip
        self.facet_request_cache = facet_request_cache
        # searches: one try within the total budget (a frozen engine costs one budget, not timeout x tries)
        self.search_client = (search_seam or seam).client
        self.breaker = CircuitBreaker(self.search_client.ping, PROBE_INTERVAL_S)
        self.next_alias = f"{alias}-next"
        self._cells_mapped = False  # the stored queries' index known to map GEO_CELLS_FIELD
        self._index_name = re.compile(rf"^{re.escape(alias)}-\d{{14}}-[0-9a-f]{{8}}$")

    @classmethod
    def connect(cls, flavour, url, alias, timeout_s=5.0, search_budget_s=None, facet_request_cache=False):
        """Return a backend for the FLAVOUR node(s) at URL using index alias ALIAS.

        SEARCH_BUDGET_S: the total time one search may take (one try, no retries); default: as writes.
        FACET_REQUEST_CACHE: count facets in a separate request the node's request cache keeps (split_bodies).
        """
        search_seam = make_seam(flavour, url, search_budget_s, max_retries=0) if search_budget_s else None
        return cls(make_seam(flavour, url, timeout_s), alias, search_seam, facet_request_cache)

    @classmethod
    def from_config(cls, config):
        """Return the backend that the app's config describes."""
        url = config.get("ELASTICSEARCH_URL")
        if not url:
            raise RuntimeError(f"SEARCH_BACKEND={config['SEARCH_BACKEND']} needs ELASTICSEARCH_URL")
        return cls.connect(config["SEARCH_BACKEND"], url, config.get("SEARCH_INDEX_ALIAS", "yrd-homes"),
                           float(config.get("SEARCH_TIMEOUT_S", 5.0)), float(config.get("SEARCH_BUDGET_S") or 2.0),
                           bool(config.get("SEARCH_FACET_REQUEST_CACHE", False)))

    @contextmanager
    def _engine(self, doing):
        """Turn an unreachable, overloaded or timing-out engine into SearchUnavailable."""
        try:
            yield
        except self.seam.connection_errors as exc:
            raise SearchUnavailable(f"search engine unreachable while {doing}: {exc}") from exc
        except self.seam.api_error as exc:
            if self.seam.status(exc) in UNAVAILABLE_STATUSES:
                raise SearchUnavailable(f"search engine unavailable while {doing}: {exc}") from exc
            raise

    def _is_missing(self, exc):
        return self.seam.status(exc) == NOT_FOUND

    # -- reading --------------------------------------------------------------------------------------------

    def search(self, query):
        """Answer SearchQuery QUERY within the search budget; fail at once while the engine is known down."""
        query.validate()
        if self.breaker.is_open:
            raise SearchUnavailable("search engine known to be down (breaker open)")
        try:
            with self._engine("searching"):
                try:
                    response = self._search(query)
                except self.seam.api_error as exc:
                    if self._is_missing(exc):  # nothing indexed yet
                        return empty_result(query)
                    raise
        except SearchUnavailable:
            self.breaker.trip()
            raise
        return parse_response(response, query)

    def _search(self, query):
        """Send QUERY as one request, or (facet request cache) as a cached counting request and a hits request."""
        split = split_bodies(query) if self.facet_request_cache else None
        if split is None:
            return self.search_client.search(index=self.alias, body=search_body(query))
        hits_body, counts_body = split
        counts = self.search_client.search(index=self.alias, body=counts_body, request_cache=True)
        response = self.search_client.search(index=self.alias, body=hits_body)
        response["hits"]["total"], response["aggregations"] = counts["hits"]["total"], counts["aggregations"]
        response["took"] = response.get("took", 0) + counts.get("took", 0)
        return response

    def versions(self):
        """Return {home id: version} of every indexed document."""
        with self._engine("listing versions"):
            if not self._aliased_indices()[0]:
                return {}
            hits = self.seam.helpers.scan(self.client, index=self.alias, size=1000,
                                          query={"_source": ["id", "version"], "query": {"match_all": {}}})
            return {int(hit["_source"]["id"]): int(hit["_source"]["version"]) for hit in hits}

    def health(self):
        """Return the cluster's and the alias's state; raise SearchUnavailable when the engine is unreachable."""
        with self._engine("checking health"):
            cluster = self.client.cluster.health()
            current, building = self._aliased_indices()
            documents = self.client.count(index=self.alias)["count"] if current else 0
        return {"backend": self.seam.flavour, "status": cluster["status"], "nodes": cluster["number_of_nodes"],
                "alias": self.alias, "index": current[0] if current else None, "building": building,
                "documents": documents}

    def _aliased_indices(self):
        """Return (indices behind the alias, indices behind the build alias)."""
        found = self.client.indices.get_alias(index=f"{self.alias}-*")
        current = sorted(name for name, entry in found.items() if self.alias in entry.get("aliases", {}))
        building = sorted(name for name, entry in found.items() if self.next_alias in entry.get("aliases", {}))
        return current, building

    # -- writing ------------------------------------------------------------------------------------------

    def upsert(self, docs):
        """Index DOCS; a document whose version is not newer than the indexed one is ignored."""
        docs = list(docs)
        if not docs:
            return
        with self._engine("indexing"):
            building = self._write_targets()
            actions = [index_action(self.alias, doc) for doc in docs]
            actions += [index_action(self.next_alias, doc) for doc in docs if building]
            self._bulk(actions)

    def delete(self, ids):
        """Remove the documents of IDS (unknown ids are fine)."""
        ids = list(ids)
        if not ids:
            return
        with self._engine("deleting"):
            current, building = self._aliased_indices()
            actions = [delete_action(self.alias, i) for i in ids if current]
            actions += [delete_action(self.next_alias, i, tombstone=True) for i in ids if building]
            if actions:
                self._bulk(actions)

    def _write_targets(self):
        """Make sure the alias exists (creating the first index lazily); return whether a build is running."""
        current, building = self._aliased_indices()
        if not current:
            self._create_first_index()
        return bool(building)

    def _create_index(self, name, body):
        """Create the index NAME; a retried request that finds it already there (our own random name) is fine."""
        try:
            self.client.indices.create(index=name, body=body)
        except self.seam.api_error as exc:
            # a create that timed out is retried by the client; the first attempt may have succeeded
            if "resource_already_exists_exception" not in str(exc):
                raise

    def _create_first_index(self):
        name = new_index_name(self.alias)
        self._create_index(name, {"settings": index_settings(), "mappings": index_mappings(),
                                  "aliases": {self.alias: {}}})
        current, _building = self._aliased_indices()
        if len(current) > 1 and name != current[0]:
            # another process created one at the same moment: the oldest name wins, the others step back
            self.client.indices.delete(index=name)

    def _bulk(self, actions, refresh=True, loading=False):
        """Send bulk ACTIONS (pairs); ignore version conflicts (and, unless LOADING, a finished build's alias).

        Versioned writes make the bulk idempotent, so a chunk that 429s is simply retried.
        """
        results = self.seam.helpers.streaming_bulk(
            self.client, actions, chunk_size=BULK_CHUNK, expand_action_callback=_as_is, raise_on_error=False,
            max_retries=3, initial_backoff=0.5, max_backoff=5, require_alias=True, refresh=refresh)
        done, failures = 0, []
        for ok, item in results:
            if ok or self._is_expected_failure(item, loading):
                done += 1
            else:
                failures.append(item)
        if failures:
            raise IndexingError(f"{len(failures)} bulk actions failed, first: {failures[0]}")
        return done

    def _is_expected_failure(self, item, loading):
        (op, info), = item.items()
        if info.get("status") == CONFLICT:  # an older (or equal) version: exactly what versioning is for
            return True
        if op == "delete" and info.get("status") == NOT_FOUND and info.get("result") == "not_found":
            return True
        # the build alias went away between our look-up and the write: the swap happened, `alias` has it
        return not loading and info.get("status") == NOT_FOUND and self.next_alias in str(info.get("error", ""))

    # -- reindex ----------------------------------------------------------------------------------------------

    def reindex(self, docs):
        """Build a fresh index from DOCS, then switch the alias to it atomically; return how many were indexed."""
        with self._engine("reindexing"):
            self._drop_abandoned_builds()
            name = new_index_name(self.alias)
            self._create_index(name, {
                "settings": index_settings(loading=True), "mappings": index_mappings(),
                "aliases": {self.next_alias: {}}})
            try:
                # through the build alias, so a build that another reindex superseded fails instead of
                # auto-creating its deleted index again
                count = self._bulk((index_action(self.next_alias, doc) for doc in docs), refresh=False, loading=True)
                self.client.indices.put_settings(index=name, body=serving_settings())
                self.client.indices.refresh(index=name)
                old, _building = self._aliased_indices()
                self.client.indices.update_aliases(body={"actions": swap_actions(
                    self.alias, self.next_alias, name, old)})
            except BaseException:
                self._delete_quietly(name)
                raise
            for index in old:
                self._delete_quietly(index)
        return count

    def _drop_abandoned_builds(self):
        """Delete indices a crashed (or superseded) reindex left behind the build alias."""
        _current, building = self._aliased_indices()
        for index in building:
            log.warning("deleting %s, an unfinished build of %s", index, self.alias)
            self._delete_quietly(index)

    def _delete_quietly(self, index):
        try:
            self.client.indices.delete(index=index)
        except self.seam.api_error as exc:
            if not self._is_missing(exc):
                log.warning("could not delete index %s: %s", index, exc)

    def drop_everything(self):
        """Delete every index of this alias (tests use it to clean up); touches nothing else."""
        with self._engine("dropping indices"):
            for index in self.client.indices.get(index=f"{self.alias}-*"):
                if self._index_name.match(index) or index == stored_queries_index(self.alias):
                    self._delete_quietly(index)

    # -- stored queries (percolator) --------------------------------------------------------------------------

    def _ensure_stored_queries_index(self):
        name = stored_queries_index(self.alias)
        if not self.client.indices.exists(index=name):
            self._create_index(name, {"settings": index_settings(), "mappings": stored_queries_mappings()})
        elif not self._cells_mapped:
            # an index from before the grid cells: map the field, so queries stored now (with cells) parse;
            # `flask notify rebuild-saved-searches` gives the older queries theirs
            self.client.indices.put_mapping(index=name, body={"properties": {GEO_CELLS_FIELD: _KEYWORD}})
        self._cells_mapped = True
        return name

    def store_queries(self, items):
        """Store ITEMS ((query id, SearchQuery) pairs) in the percolator index, replacing same ids."""
        items = list(items)
        if not items:
            return
        with self._engine("storing queries"):
            name = self._ensure_stored_queries_index()
            actions = [({"index": {"_index": name, "_id": str(qid)}},
                        {"query_id": qid, "query": stored_query(query.validate())}) for qid, query in items]
            for ok, item in self.seam.helpers.streaming_bulk(
                    self.client, actions, chunk_size=BULK_CHUNK, expand_action_callback=_as_is,
                    raise_on_error=False, max_retries=3, refresh=True):
                if not ok:
                    raise IndexingError(f"stored query refused: {item}")

    def remove_queries(self, ids):
        """Remove the stored queries of IDS (unknown ids are fine)."""
        ids = list(ids)
        if not ids:
            return
        with self._engine("removing queries"):
            name = stored_queries_index(self.alias)
            if not self.client.indices.exists(index=name):
                return
            actions = [({"delete": {"_index": name, "_id": str(qid)}}, None) for qid in ids]
            for ok, item in self.seam.helpers.streaming_bulk(
                    self.client, actions, chunk_size=BULK_CHUNK, expand_action_callback=_as_is,
                    raise_on_error=False, max_retries=3, refresh=True):
                if not ok and item.get("delete", {}).get("status") != NOT_FOUND:
                    raise IndexingError(f"stored query not removed: {item}")

    def replace_stored_queries(self, items):
        """Drop every stored query and store ITEMS instead (a rebuild from the system of record)."""
        with self._engine("rebuilding stored queries"):
            self._delete_quietly(stored_queries_index(self.alias))
        self.store_queries(items)

    def percolate(self, docs):
        """Return {doc id: [ids of the stored queries DOCS match]}, every doc named.

        PERCOLATE_SLICE documents per percolate query, PERCOLATE_BATCH queries per _msearch request; a query
        with more than PERCOLATE_PAGE matches is read again in full with a scroll.
        """
        docs = list(docs)
        found = {int(doc["id"]): [] for doc in docs}
        name = stored_queries_index(self.alias)
        with self._engine("matching stored queries"):
            if not docs or not self.client.indices.exists(index=name):
                return found
            slices = [docs[i:i + PERCOLATE_SLICE] for i in range(0, len(docs), PERCOLATE_SLICE)]
            for batch_start in range(0, len(slices), PERCOLATE_BATCH):
                batch = slices[batch_start:batch_start + PERCOLATE_BATCH]
                lines = []
                for chunk in batch:
                    lines += [{"index": name}, percolate_body(chunk)]
                responses = self.client.msearch(body=lines)["responses"]
                for chunk, response in zip(batch, responses):
                    status = response.get("status")
                    if "error" in response:
                        if status == NOT_FOUND:  # the index went away (a rebuild): nothing stored
                            continue
                        if status in UNAVAILABLE_STATUSES:
                            raise SearchUnavailable(f"search engine unavailable while matching stored queries: "
                                                    f"{response['error']}")
                        raise IndexingError(f"percolate refused: {response['error']}")
                    hits = response["hits"]["hits"]
                    if response["hits"]["total"]["value"] > len(hits):
                        body = {**percolate_body(chunk), "size": 1000}
                        hits = self.seam.helpers.scan(self.client, index=name, size=1000, query=body)
                    self._collect(found, chunk, hits)
        return found

    @staticmethod
    def _collect(found, chunk, hits):
        for hit in hits:
            qid = int(hit["_id"])
            slots = hit.get("fields", {}).get("_percolator_document_slot")
            if slots is None:
                if len(chunk) != 1:
                    raise IndexingError("percolate hit without its document slots")
                slots = [0]
            for slot in slots:
                found[int(chunk[slot]["id"])].append(qid)

    def close(self):
        """Stop probing and close the client's connections."""
        self.breaker.stop()
        self.client.close()
