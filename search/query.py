"""The backend-neutral search query and result. Every backend takes a SearchQuery and returns a SearchResult.

The semantics, which every backend implements identically (the conformance suite checks it):

* Text: `analysis.parse_query(text)` gives groups; a home matches when every group matches one of its token
  fields; text score = sum over groups of the best field weight (analysis.FIELD_WEIGHTS). No text: all match.
* Filters (all ANDed): province / city / district code equality; care_level: the home accepts that level
  (has a price for it); price: the *effective price* (the price for care_level if given, else price_min) within
  [min_price_fen, max_price_fen]; min_grade: grade >= n (ungraded homes excluded); has_vacancy: free beds for
  care_level (or in total) > 0; ownership equality; features: the home has every one; near + radius_km: the
  haversine distance (geo.distance, mean earth radius) <= radius_km; min_quality: quality_stars >= n (homes
  without a quality rating excluded).
* Score (relevance) = text score + rank_boost (a document field, a multiple of 1/64 in [0, 1)).
* Homes without published fees: a price filter (min or max price) or the price sort leaves out every home
  without an effective price; `SearchResult.unpriced_excluded` then counts the homes left out because they
  publish no fee at all (no price_min) that every other filter (text, places, ownership, features, quality,
  radius, grade, vacancy) keeps, so a page can say so. Without a price filter or sort it is 0.
* Sorts, each ending with id ascending as the tie-breaker:
  relevance: score desc | price: effective price asc (unpriced homes left out) | grade: grade desc (ungraded last) |
  rating: rating desc (unrated last), review_count desc | distance: distance asc (needs near) |
  quality: quality_stars desc (no quality rating last).
* Facets: a facet value's count always equals the total that choosing it gives. Most facets simply count the
  homes matching the whole query (every filter applied): province, city, district (codes), price_band
  (PRICE_BANDS on the effective price), features, ownership. Two count the query with that value *chosen
  instead* of the current one: care_level (key L: the query with care_level=L, so accepting L and, when
  price or vacancy filters are set, L's price and free beds) and grade (key "n", 1..5: the query with
  min_grade=n, i.e. homes graded n stars or more). Zero counts are left out; values are ordered by count
  desc, key asc.
"""

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
class SearchQuery:
    text: str = ""
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
        if not (1 <= self.per_page <= MAX_PER_PAGE) or self.page < 1:
            raise ValueError("per_page" if self.page >= 1 else "page")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise ValueError("page")
        return self


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
