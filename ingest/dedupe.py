"""Duplicates across sources: the same home listed by a city and by its province, named a little differently.

A pair is scored from the names (Chinese-aware: NFKC, place names and generic words such as 养老院 or
有限公司 stripped, then character-bigram overlap and an edit ratio on what remains), the addresses (the same
treatment, house numbers kept) and the distance between the points when both are exact. At or above
MERGE_AT the incoming row updates the existing home; between QUEUE_AT and MERGE_AT a regulator decides.
"""

import functools
import re
import unicodedata
from difflib import SequenceMatcher

import sqlalchemy as sa

from core.extensions import db
from geo.distance import bounding_box, haversine_km
from geo.gazetteer import gazetteer
from marketplace.models import Home

MERGE_AT = 0.85
QUEUE_AT = 0.6
NEAR_KM = 3.0
DISTINCT_NAME = 0.5  # below this, names alone say "another home" unless the address is the same
SAME_ADDRESS = 0.95
_GENERIC = ("养老服务中心", "社会福利中心", "社会福利院", "老年公寓", "养老公寓", "养老院", "敬老院", "福利院",
            "护理院", "颐养院", "康养中心", "养护院", "护理中心", "养老中心", "服务中心", "有限责任公司", "有限公司",
            "民办非企业", "公司", "分院", "中心", "社会", "老年", "养老", "服务")
_PUNCT = re.compile(r"[\s()（）\[\]【】·,，.。、\-—_/\"'“”]+")
_ADDRESS_WORDS = ("街道", "号楼", "号", "路", "街", "镇", "乡", "村", "弄", "巷", "大道", "社区")


@functools.cache
def _place_names(district_code=None):
    """Names to strip: the home's own province, city and district (full and short), or every full name."""
    gz = gazetteer()
    district = gz.district(district_code) if district_code else None
    if district is None:
        names = {r.name for r in gz.provinces + gz.cities + gz.districts}
    else:
        regions = [gz.province(district.province_code), gz.city(district.city_code), district]
        names = {r.name for r in regions if r} | {r.short_name for r in regions if r and len(r.short_name) >= 2}
    return sorted(names, key=len, reverse=True)


def _strip_places(text, district_code=None):
    """Drop leading place names (苏州市吴中区..., 吴中...): inside a name they are often its distinctive part."""
    places, stripped = _place_names(district_code), True
    while stripped:
        stripped = False
        for place in places:
            if text.startswith(place) and len(text) > len(place):
                text, stripped = text[len(place):], True
                break
    return text


def _plain_name(name, district_code=None):
    return _strip_places(_PUNCT.sub("", unicodedata.normalize("NFKC", name or "").lower()), district_code)


def _core(text):
    for word in _GENERIC:
        text = text.replace(word, "")
    return text


def name_key(name, district_code=None):
    """Return the distinctive core of a home's name: no leading place names, generic words or punctuation."""
    text = _plain_name(name, district_code)
    return _core(text) or text


def name_similarity(a, b, district_code=None):
    """Return 0..1 for two names; names made only of generic words (社会福利中心) compare in full."""
    plain_a, plain_b = _plain_name(a, district_code), _plain_name(b, district_code)
    if not _core(plain_a) or not _core(plain_b):
        return text_similarity(plain_a, plain_b)
    return text_similarity(_core(plain_a), _core(plain_b))


def address_key(address, district_code=None):
    """Return an address without leading place names, punctuation and filler words (numbers kept)."""
    text = _strip_places(_PUNCT.sub("", unicodedata.normalize("NFKC", address or "").lower()), district_code)
    for word in _ADDRESS_WORDS:
        text = text.replace(word, " ")
    return "".join(text.split())


def _bigrams(text):
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def text_similarity(a, b):
    """Return 0..1: the better of bigram Dice and the edit ratio; 0 when either side is empty."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ga, gb = _bigrams(a), _bigrams(b)
    dice = 2 * len(ga & gb) / (len(ga) + len(gb))
    contained = 0.9 if (a in b or b in a) and min(len(a), len(b)) >= 2 else 0.0
    return max(dice, SequenceMatcher(None, a, b).ratio(), contained)


def score(a, b):
    """Return 0..1 for two listings {name, address, lat, lon, location_approximate, district_code}."""
    if a.get("district_code") and b.get("district_code") and a["district_code"] != b["district_code"]:
        return 0.0
    code = a.get("district_code") or b.get("district_code")
    name = name_similarity(a["name"], b["name"], code)
    address = text_similarity(address_key(a.get("address"), code), address_key(b.get("address"), code))
    parts = [(name, 0.6), (address, 0.25)]
    if _exact_point(a) and _exact_point(b):
        km = haversine_km(a["lat"], a["lon"], b["lat"], b["lon"])
        parts.append((max(0.0, 1 - max(km - 0.2, 0) / NEAR_KM), 0.15))
    total = sum(w for _s, w in parts)
    combined = sum(s * w for s, w in parts) / total
    if name < DISTINCT_NAME and address < SAME_ADDRESS:
        combined = min(combined, QUEUE_AT - 0.01)  # unlike names on another street: neighbours, not one home
    return round(combined, 4)


def _exact_point(listing):
    return listing.get("lat") is not None and listing.get("lon") is not None and \
        not listing.get("location_approximate")


def listing_fields(fields):
    """Return the comparable listing dict of a row's normalised FIELDS."""
    return {name: fields.get(name) for name in ("name", "address", "lat", "lon", "location_approximate",
                                                 "district_code")}


def listing_of(home):
    """Return the comparable listing dict of a Home row."""
    return {"name": home.name, "address": home.address, "lat": home.lat, "lon": home.lon,
            "location_approximate": home.location_approximate, "district_code": home.district_code}


def best_match(listing, exclude_ids=()):
    """Return (home, score) of the most similar existing home in the same district (or nearby), or (None, 0)."""
    candidates = db.session.scalars(_candidates(listing)).all()
    best, best_score = None, 0.0
    for home in candidates:
        if home.id in exclude_ids:
            continue
        s = score(listing, listing_of(home))
        if s > best_score:
            best, best_score = home, s
    return best, best_score


def candidate_listings(listing):
    """Return the comparable listings (dicts with their home `id`) best_match would score for LISTING.

    The same homes as best_match's query, from a statement built once (only its parameters change) that
    reads only the columns a score needs: the bulk import asks this once per new row.
    """
    key = name_key(listing["name"], listing.get("district_code"))
    pairs = sorted(_bigrams(key))[:MAX_PAIRS]
    params = {f"p{i}": "%" + _like_escape(pairs[min(i, len(pairs) - 1)]) + "%" for i in range(MAX_PAIRS)}
    by_district = bool(listing.get("district_code"))
    params["place"] = listing["district_code"] if by_district else listing.get("city_code")
    near = _exact_point(listing)
    if near:
        params.update(zip(("lat0", "lon0", "lat1", "lon1"), bounding_box(listing["lat"], listing["lon"], NEAR_KM)))
    rows = db.session.connection().execute(_light_candidates(by_district, near), params)
    return [row._asdict() for row in rows]


MAX_PAIRS = 12


def candidate_listings_many(listings):
    """Return {index: [listing dicts]} of candidate_listings for many LISTINGS at once (one query).

    For rows placed in a district without an exact point (a directory's usual row); others are left out of the
    answer, to be asked one by one. Unlike candidate_listings, no row's candidates are capped at 200.
    """
    wanted = []
    for i, listing in enumerate(listings):
        if listing.get("district_code") and not _exact_point(listing):
            key = name_key(listing["name"], listing["district_code"])
            wanted += [(i, listing["district_code"], "%" + _like_escape(p) + "%")
                       for p in sorted(_bigrams(key))[:MAX_PAIRS]]
    found = {i: [] for i, _place, _pattern in wanted}
    if not wanted:
        return found
    rows = sa.values(sa.column("idx", sa.Integer), sa.column("place", sa.String(6)),
                     sa.column("pattern", sa.String(40)), name="wanted").data(wanted).cte("wanted")
    table = Home.__table__
    columns = [table.c[name] for name in ("id", "name", "address", "lat", "lon", "location_approximate",
                                         "district_code")]
    stmt = sa.select(rows.c.idx, *columns).distinct().join_from(
        rows, table, sa.and_(table.c.district_code == rows.c.place, table.c.name.like(rows.c.pattern, escape="/")))
    for row in db.session.connection().execute(stmt):
        listing = row._asdict()
        found[listing.pop("idx")].append(listing)
    return found


def _like_escape(text):
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@functools.cache
def _light_candidates(by_district, near):
    table = Home.__table__
    columns = [table.c[name] for name in ("id", "name", "address", "lat", "lon", "location_approximate",
                                         "district_code")]
    named = sa.or_(*[table.c.name.like(sa.bindparam(f"p{i}"), escape="/") for i in range(MAX_PAIRS)])
    place = table.c.district_code if by_district else table.c.city_code
    stmt = sa.select(*columns).where(place == sa.bindparam("place"))
    if near:
        close = sa.and_(table.c.lat.between(sa.bindparam("lat0"), sa.bindparam("lat1")),
                        table.c.lon.between(sa.bindparam("lon0"), sa.bindparam("lon1")))
        return stmt.where(sa.or_(named, close)).limit(200)
    return stmt.where(named).limit(200)


def name_pairs(listing):
    """Return the character pairs of LISTING's name core that the candidate queries look for."""
    return sorted(_bigrams(name_key(listing["name"], listing.get("district_code"))))[:MAX_PAIRS]


def best_listing(listing, candidates):
    """Return (candidate, score) of the most similar of CANDIDATES (listing dicts) to LISTING, or (None, 0)."""
    best, best_score = None, 0.0
    for candidate in candidates:
        s = score(listing, candidate)
        if s > best_score:
            best, best_score = candidate, s
    return best, best_score


def _candidates(listing, stmt=None):
    """Homes of the same district sharing a name character pair, or within NEAR_KM of an exact point."""
    stmt = sa.select(Home) if stmt is None else stmt
    key = name_key(listing["name"], listing.get("district_code"))
    pairs = sorted(_bigrams(key))[:MAX_PAIRS]
    named = sa.or_(*[Home.name.contains(p, autoescape=True) for p in pairs])
    if listing.get("district_code"):
        stmt = stmt.where(Home.district_code == listing["district_code"])
    else:  # a city-level row: the homes of its city
        stmt = stmt.where(Home.city_code == listing.get("city_code"))
    if _exact_point(listing):
        lat0, lon0, lat1, lon1 = bounding_box(listing["lat"], listing["lon"], NEAR_KM)
        near = sa.and_(Home.lat.between(lat0, lat1), Home.lon.between(lon0, lon1))
        return stmt.where(sa.or_(named, near)).limit(200)
    return stmt.where(named).limit(200)
