"""A brute-force reference of the search semantics (search/query.py's docstring), in plain Python.

Obviously correct rather than fast: every backend's answer is compared with this one.
"""

from dataclasses import replace

from geo.distance import haversine_km
from search.analysis import FIELD_WEIGHTS, parse_query, text_score
from search.query import (
    CARE_LEVELS,
    FACETS,
    FEATURES,
    PLACE_WEIGHTS,
    PREFERENCE_WEIGHT,
    Hit,
    SearchResult,
    display_document,
    distance_metres,
    free_field,
    price_band_of,
    price_field,
)


def _matches_filters(doc, q, prices=True):
    """Say whether DOC passes Q's filters (PRICES=False: ignoring the care level, the price range and sort)."""
    price = doc.get(price_field(q.care_level))
    free = doc.get(free_field(q.care_level)) or 0  # the vacancy filter reads the chosen level's beds either way
    if not prices:
        q = replace(q, care_level=None, min_price_fen=None, max_price_fen=None, sort="relevance")
    checks = [
        q.sort != "price" or price is not None,
        q.province is None or doc["province_code"] == q.province,
        q.city is None or doc["city_code"] == q.city,
        q.district is None or doc["district_code"] == q.district,
        q.care_level is None or q.care_level in doc["care_levels"],
        q.min_price_fen is None or (price is not None and price >= q.min_price_fen),
        q.max_price_fen is None or (price is not None and price <= q.max_price_fen),
        q.min_grade is None or (doc["grade"] is not None and doc["grade"] >= q.min_grade),
        not q.has_vacancy or free > 0,
        q.ownership is None or doc["ownership"] == q.ownership,
        all(f in doc["features"] for f in q.features),
        q.min_quality is None or (doc["quality_stars"] is not None and doc["quality_stars"] >= q.min_quality),
        not q.places or any(_in_area(doc, place) for place in q.places),
        all(any(_holds(doc, f, v) for f, v in requirement) for requirement in q.requirements),
    ]
    return all(checks)


def _in_area(doc, place):
    return doc["city_code"] == place.city if place.city else doc["province_code"] == place.province


def _holds(doc, field, value):
    if isinstance(value, tuple):
        return set(value) <= set(doc.get(field) or ())
    if field == "ownership":
        return doc["ownership"] == value
    return value in doc[field]


def _place_score(doc, q):
    if any(p.district and doc["district_code"] == p.district for p in q.places):
        return PLACE_WEIGHTS["district"]
    if any(p.city and doc["city_code"] == p.city for p in q.places):
        return PLACE_WEIGHTS["city"]
    return 0


def _distance(doc, q):
    if q.near is None or not doc.get("location"):
        return None  # a home without coordinates has no distance: never within a radius, last by distance
    return haversine_km(q.near[0], q.near[1], doc["location"]["lat"], doc["location"]["lon"])


def _sort_key(q, doc, score, distance):
    if q.sort == "relevance":
        return (-score, doc["id"])
    if q.sort == "price":
        price = doc.get(price_field(q.care_level))
        return (price is None, price or 0, doc["id"])  # no price sorts last
    if q.sort == "grade":
        return (-(doc["grade"] or 0), doc["id"])
    if q.sort == "quality":
        return (-(doc["quality_stars"] or 0), doc["id"])  # no quality rating sorts last
    if q.sort == "rating":
        rating = doc["rating"]
        return (rating is None, -(rating or 0), -doc["review_count"], doc["id"])
    return (distance is None, distance_metres(distance) if distance is not None else 0, doc["id"])


def _facet_keys(name, doc, q):
    if name in ("province", "city", "district"):
        return [doc[f"{name}_code"]]
    if name == "price_band":
        band = price_band_of(doc.get(price_field(q.care_level)))
        return [band] if band else []
    if name == "features":
        return [f for f in FEATURES if f in doc["features"]]
    return [doc["ownership"]] if doc["ownership"] is not None else []


def _sorted_counts(counts):
    return sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))


def _facets(docs, matched, q):
    """Plain facets count the matched homes; care_level and grade count what choosing each value would give."""
    plain = replace(q, with_facets=False, page=1)
    facets = {
        "care_level": _sorted_counts({level: reference_search(docs, replace(plain, care_level=level)).total
                                      for level in CARE_LEVELS}),
        "grade": _sorted_counts({str(n): reference_search(docs, replace(plain, min_grade=n)).total
                                 for n in range(1, 6)}),
    }
    for name in FACETS:
        if name in facets:
            continue
        counts = {}
        for doc, _score, _distance in matched:
            for key in _facet_keys(name, doc, q):
                counts[key] = counts.get(key, 0) + 1
        facets[name] = _sorted_counts(counts)
    return {name: facets[name] for name in FACETS}


def reference_search(docs, q):
    """Answer SearchQuery Q over the list DOCS the slow, obvious way."""
    q.validate()
    groups = parse_query(q.text)
    matched, unpriced = [], 0
    for doc in docs:
        fields = {field: set(doc.get(field) or ()) for field in FIELD_WEIGHTS}
        text = text_score(groups, fields) if groups else 0
        if groups and text == 0:
            continue
        distance = _distance(doc, q)
        if q.radius_km is not None and (distance is None or distance > q.radius_km):
            continue
        if q.prices_only and doc["price_min"] is None and _matches_filters(doc, q, prices=False):
            unpriced += 1  # left out only because it publishes no fee
        if _matches_filters(doc, q):
            preferred = sum(PREFERENCE_WEIGHT for p in q.preferences if any(_holds(doc, f, v) for f, v in p))
            matched.append((doc, text + _place_score(doc, q) + preferred + doc["rank_boost"], distance))
    matched.sort(key=lambda m: _sort_key(q, m[0], m[1], m[2]))
    page = matched[q.offset : q.offset + q.per_page]
    hits = [Hit(id=doc["id"], score=score, doc=display_document(doc), distance_km=distance)
            for doc, score, distance in page]
    return SearchResult(total=len(matched), hits=hits, facets=_facets(docs, matched, q) if q.with_facets else {},
                        unpriced_excluded=unpriced)
