"""The backend-neutral search query and result. Every backend takes a SearchQuery and returns a SearchResult.

The semantics, which every backend implements identically (the conformance suite checks it):

* Text: `analysis.parse_query(text, typo_words)` gives groups; a home matches when every group matches one of
  its token fields; text score = sum over groups of the best field weight (analysis.FIELD_WEIGHTS). No text: all
  match. The words in `typo_words` also match a word of a home's name one edit away (analysis.py).
* Filters (all ANDed): province / city / district code equality; care_level: the home accepts that level
  (has a price for it); price: the *effective price* (the price for care_level if given, else price_min) within
  [min_price_fen, max_price_fen]; min_grade: grade >= n (ungraded homes excluded); has_vacancy: free beds for
  care_level (or in total) > 0; ownership equality; features: the home has every one; near + radius_km: the
  haversine distance (geo.distance, mean earth radius) <= radius_km; min_quality: quality_stars >= n (homes
  without a quality rating excluded).
* Places (what query understanding read from the words a family typed, see understanding.py): `places` holds
  every reading of the places named (鼓楼 alone: Nanjing's and Xuzhou's). A home matches when it lies in the
  area of some reading: the reading's city (a named district's whole city, so homes just outside the district
  follow it rather than nothing), or its province for a province alone. Place score: PLACE_WEIGHTS["district"]
  when the home's district is a named district, else PLACE_WEIGHTS["city"] when its city is a named city (a
  district's city included), else 0.
* Requirements (understood care words: kinds of home, care levels, designations, services, ownership): each is
  a tuple of clauses (field, value), any one of which satisfies it; every requirement must be satisfied. A
  clause on care_levels / features / ownership holds when the document has that code; a clause on a token
  field holds when the field has every token of the value (a tuple). Requirements filter; they do not score.
* Preferences (words understood as "any home", such as 养老院 or care home, still favour homes named so): the
  same clauses as requirements; each preference some clause of which holds adds PREFERENCE_WEIGHT.
* Score (relevance) = text score + place score + preference score + rank_boost (a document field, a multiple
  of 1/64 in [0, 1)).
* Homes without published fees: a price filter (min or max price) or the price sort leaves out every home
  without an effective price; `SearchResult.unpriced_excluded` then counts the homes left out because they
  publish no fee at all (no price_min) that every other filter (text, places, requirements, ownership,
  features, quality, radius, grade, vacancy) keeps, so a page can say so. Without a price filter or sort it is 0.
* Sorts, each ending with id ascending as the tie-breaker:
  relevance: score desc | price: effective price asc (unpriced homes left out) | grade: grade desc (ungraded last) |
  rating: rating desc (unrated last), review_count desc | distance: distance rounded to the metre
  (floor(metres + 0.5)) asc, needs near; rounding makes homes a centimetre apart tie on every backend
  (OpenSearch stores coordinates to about 1 cm; a home without coordinates has no distance: never within a
  radius, last by distance) | quality: quality_stars desc (no quality rating last).
* Cursor (`after`): the sort key of the last hit a page showed, as the backend gave it (SearchResult.last_key);
  the next page is the hits whose sort key comes after it, in the same order: exactly the hits the next `page`
  would hold (the conformance suite walks both ways). `page` then only names the page; the result window limit
  does not apply (no backend skips over the earlier hits). Total, facets and unpriced_excluded are as without it.
* Facets: a facet value's count always equals the total that choosing it gives. Most facets simply count the
  homes matching the whole query (every filter applied): province, city, district (codes), price_band
  (PRICE_BANDS on the effective price), features, ownership. Two count the query with that value *chosen
  instead* of the current one: care_level (key L: the query with care_level=L, so accepting L and, when
  price or vacancy filters are set, L's price and free beds) and grade (key "n", 1..5: the query with
  min_grade=n, i.e. homes graded n stars or more). Zero counts are left out; values are ordered by count
  desc, key asc.
"""

import math
from dataclasses import dataclass, field

from core.vocab import CARE_LEVELS, FEATURES, OWNERSHIPS
from search.analysis import FIELD_WEIGHTS

SORTS = ("relevance", "price", "grade", "rating", "distance", "quality")
FACETS = ("province", "city", "district", "care_level", "grade", "price_band", "features", "ownership")
# (key, lower bound in fen inclusive, upper bound in fen exclusive or None), on the effective monthly price
PRICE_BANDS = (
    ("lt3000", 0, 300_000),
    ("3000_5000", 300_000, 500_000),
    ("5000_8000", 500_000, 800_000),
    ("8000_12000", 800_000, 1_200_000),
    ("ge12000", 1_200_000, None),
)
TOKEN_FIELDS = tuple(FIELD_WEIGHTS)  # the analysis tokens a document carries for matching, not for display
MAX_PER_PAGE = 100
# a named district outranks the rest of its city whatever the text scores (at most 3 * 12 apart) say
PLACE_WEIGHTS = {"district": 64, "city": 32}
PREFERENCE_WEIGHT = 2
KEYWORD_REQUIREMENT_FIELDS = {"care_levels": CARE_LEVELS, "features": FEATURES, "ownership": OWNERSHIPS}
MAX_RESULT_WINDOW = 10_000  # page * per_page may not exceed this (as Elasticsearch's index.max_result_window)


def price_field(care_level):
    """Return the document field holding the monthly price for CARE_LEVEL (price_min when None)."""
    return f"price_{care_level}" if care_level else "price_min"


def free_field(care_level):
    """Return the document field holding free beds for CARE_LEVEL (beds_free when None)."""
    return f"free_{care_level}" if care_level else "beds_free"


def price_band_of(price_fen):
    """Return the PRICE_BANDS key a price falls in, or None for no price."""
    if price_fen is None:
        return None
    for key, low, high in PRICE_BANDS:
        if price_fen >= low and (high is None or price_fen < high):
            return key
    return None


@dataclass(frozen=True)
class Place:
    """One reading of a place a family named: a province, a city or a district (codes, GB/T 2260)."""

    province: str
    city: str | None = None
    district: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    typo_words: tuple[str, ...] = ()  # words of text that tolerate one edit against name words (service.py)
    places: tuple[Place, ...] = ()
    requirements: tuple[tuple[tuple[str, object], ...], ...] = ()
    preferences: tuple[tuple[tuple[str, object], ...], ...] = ()
    province: str | None = None
    city: str | None = None
    district: str | None = None
    care_level: str | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    min_grade: int | None = None
    min_quality: int | None = None  # quality rating stars (quality/rules.py), 1..5
    has_vacancy: bool = False
    ownership: str | None = None
    features: tuple[str, ...] = ()
    near: tuple[float, float] | None = None  # (lat, lon), WGS-84
    radius_km: float | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    with_facets: bool = True
    # the cursor: the sort key of the last hit already shown (SearchResult.last_key, backend-specific values)
    after: tuple | None = None

    @property
    def prices_only(self):
        """Say whether this query leaves out homes without an effective price (a price filter or sort)."""
        return self.min_price_fen is not None or self.max_price_fen is not None or self.sort == "price"

    @property
    def offset(self):
        return (self.page - 1) * self.per_page

    def validate(self):
        """Raise ValueError naming the field for a query no backend should run."""
        if self.sort not in SORTS:
            raise ValueError("sort")
        if self.sort == "distance" and self.near is None:
            raise ValueError("near")
        if self.radius_km is not None and self.near is None:
            raise ValueError("near")
        if self.radius_km is not None and not self.radius_km > 0:
            raise ValueError("radius_km")
        if self.care_level is not None and self.care_level not in CARE_LEVELS:
            raise ValueError("care_level")
        if self.min_quality is not None and not 1 <= self.min_quality <= 5:
            raise ValueError("min_quality")
        if self.ownership is not None and self.ownership not in OWNERSHIPS:
            raise ValueError("ownership")
        if any(f not in FEATURES for f in self.features):
            raise ValueError("features")
        if not all(_valid_requirement(r) for r in self.requirements):
            raise ValueError("requirements")
        if not all(_valid_requirement(r) for r in self.preferences):
            raise ValueError("preferences")
        if not (1 <= self.per_page <= MAX_PER_PAGE) or self.page < 1:
            raise ValueError("per_page" if self.page >= 1 else "page")
        if self.after is not None and not _valid_after(self.after):
            raise ValueError("cursor")
        if self.after is None and self.page * self.per_page > MAX_RESULT_WINDOW:
            raise ValueError("page")
        return self


_MAX_KEYS = 4  # the longest sort key: rating, review count, id (and a backend's own extra value)


def _valid_after(after):
    return (isinstance(after, tuple) and 0 < len(after) <= _MAX_KEYS
            and all(v is None or (isinstance(v, (int, float, str)) and not isinstance(v, bool)) for v in after))


def _valid_clause(field_name, value):
    if field_name in KEYWORD_REQUIREMENT_FIELDS:
        return value in KEYWORD_REQUIREMENT_FIELDS[field_name]
    return field_name in TOKEN_FIELDS and isinstance(value, tuple) and len(value) > 0


def _valid_requirement(requirement):
    return len(requirement) > 0 and all(_valid_clause(f, v) for f, v in requirement)


def place_scope(places):
    """Return (city codes, province codes) of the areas PLACES cover (a province alone covers the province)."""
    cities = {p.city for p in places if p.city}
    provinces = {p.province for p in places if not p.city}
    return sorted(cities), sorted(provinces)


def distance_metres(distance_km):
    """Return the distance sort key: metres rounded half up (what every backend sorts on)."""
    return math.floor(distance_km * 1000 + 0.5)


def display_document(doc):
    """Return DOC without its analysis tokens: what a search hit carries (Hit.doc) in every backend."""
    return {key: value for key, value in doc.items() if key not in TOKEN_FIELDS}


@dataclass
class Hit:
    id: int
    score: float
    doc: dict  # the display document: every field but the analysis tokens (documents.display_document)
    distance_km: float | None = None


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    unpriced_excluded: int = 0  # homes without published fees that a price filter or sort left out
    # the engine's own time (Elasticsearch: `took`; embedded: the array engine and the SQL fetching the hits),
    # so a benchmark can show what our layers add; not part of the answer
    engine_ms: float | None = field(default=None, compare=False)
    # what query understanding made of the words (search/service.py); backends leave them empty
    recognised: tuple[str, ...] = ()  # the places and care words read
    dropped: tuple[str, ...] = ()  # words that matched no home and were left out
    suggestions: tuple[str, ...] = ()  # known names close to a query that matched nothing
    # the sort key of the last hit (JSON values: numbers, strings, None), for SearchQuery.after; None without hits
    last_key: tuple | None = field(default=None, compare=False)


def query_to_dict(query):
    """Return SearchQuery QUERY as plain JSON data (query_from_dict reads it back)."""
    from dataclasses import asdict

    return asdict(query)


def query_from_dict(data):
    """Return the SearchQuery that query_to_dict gave DATA for (lists read back as tuples)."""
    def clauses(requirements):
        return tuple(tuple((f, tuple(v) if isinstance(v, list) else v) for f, v in r) for r in requirements or ())

    values = dict(data)
    values["places"] = tuple(Place(**p) for p in values.get("places") or ())
    values["requirements"] = clauses(values.get("requirements"))
    values["preferences"] = clauses(values.get("preferences"))
    for name in ("features", "typo_words"):
        values[name] = tuple(values.get(name) or ())
    for name in ("near", "after"):
        values[name] = tuple(values[name]) if values.get(name) else None
    return SearchQuery(**values)
