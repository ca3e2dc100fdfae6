"""The embedded backend's array engine: numpy segments (columns and postings of a set of documents), the plan
a SearchQuery resolves to against an index's vocabulary, and `execute(segment, plan)` / `merge`: the raw
array work, kept apart from storage so a benchmark can time it alone.

It knows documents and arrays only: no SQL, no files (store.py), no backend protocol (backend.py).
"""

import dataclasses
from array import array
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from geo.distance import EARTH_RADIUS_KM, bounding_box
from search import analysis
from search.query import (
    CARE_LEVELS,
    FACETS,
    FEATURES,
    PLACE_WEIGHTS,
    PREFERENCE_WEIGHT,
    PRICE_BANDS,
    free_field,
    place_scope,
)

_PRICE_LEVELS = (None,) + CARE_LEVELS  # column 0 is price_min / beds_free
_BAND_LOWS = np.array([low for _key, low, _high in PRICE_BANDS], dtype=np.float64)
_BAND_KEYS = [key for key, _low, _high in PRICE_BANDS]
_ID_BITS = 1 << 32
_WEIGHTS_ASCENDING = sorted(analysis.FIELD_WEIGHTS.items(), key=lambda item: item[1])



# ---------------------------------------------------------------------------------------------------------
# Segments: the columnar arrays and postings of a set of documents


class Vocab:
    """Codes for the categorical strings (region codes, ownership), shared by the segments of one index.

    A persisted main segment saves its vocabulary as arrays (arrays / from_arrays): a UTF-8 blob with offsets, in
    code order, so loading it parses no JSON and unpickles nothing; the delta then adds codes in memory.
    """

    def __init__(self, keys=()):
        self.keys = list(keys)
        self.codes = {key: code for code, key in enumerate(self.keys)}

    def code(self, value):
        if value not in self.codes:
            self.codes[value] = len(self.keys)
            self.keys.append(value)
        return self.codes[value]

    def arrays(self):
        """Return the vocabulary as {name: array} (None, the code of a missing value, is listed apart)."""
        blob, offsets = _blob([(key or "").encode() for key in self.keys])
        nones = np.array([code for code, key in enumerate(self.keys) if key is None], dtype=np.int64)
        return {"vocab.blob": blob, "vocab.offsets": offsets, "vocab.none": nones}

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild a Vocab from what `arrays` returned."""
        blob, offsets = arrays["vocab.blob"].tobytes(), arrays["vocab.offsets"].tolist()
        keys = [blob[offsets[i] : offsets[i + 1]].decode() for i in range(len(offsets) - 1)]
        for code in arrays["vocab.none"].tolist():
            keys[code] = None
        return cls(keys)


def _blob(encoded):
    """Concatenate byte strings into (uint8 blob, int64 offsets of len(encoded) + 1)."""
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _prefix(key):
    """The first 8 bytes of KEY as a big-endian number: it orders as the bytes do (tokens hold no NUL)."""
    return int.from_bytes(key[:8].ljust(8, b"\0"), "big")


class SortedStrings:
    """A sorted set of strings as arrays (UTF-8 blob, offsets, 8-byte prefixes): found by binary search in place,
    so a memory-mapped one costs no loading and only the pages a lookup touches."""

    def __init__(self, blob, offsets, prefixes):
        self.blob, self.offsets, self.prefixes = blob, offsets, prefixes

    @classmethod
    def build(cls, strings):
        """Return (SortedStrings of STRINGS, the rank of each of STRINGS in it). STRINGS are distinct."""
        encoded = [s.encode() for s in strings]
        order = sorted(range(len(encoded)), key=encoded.__getitem__)  # UTF-8 bytes order = code point order
        ranks = np.empty(len(encoded), dtype=np.int32)
        ranks[order] = np.arange(len(encoded), dtype=np.int32)
        ordered = [encoded[i] for i in order]
        blob, offsets = _blob(ordered)
        prefixes = np.array([_prefix(e) for e in ordered], dtype=np.uint64)
        return cls(blob, offsets, prefixes), ranks

    def __len__(self):
        return len(self.prefixes)

    def find(self, text):
        """Return the rank of TEXT, or -1."""
        key = text.encode()
        prefix = np.uint64(_prefix(key))
        lo = int(np.searchsorted(self.prefixes, prefix, side="left"))
        hi = int(np.searchsorted(self.prefixes, prefix, side="right"))
        while lo < hi:  # the strings sharing these 8 bytes: usually one
            mid = (lo + hi) // 2
            found = self.blob[self.offsets[mid] : self.offsets[mid + 1]].tobytes()
            if found == key:
                return mid
            lo, hi = (mid + 1, hi) if found < key else (lo, mid)
        return -1


@dataclass
class Segment:
    ids: np.ndarray  # int64, ascending
    live: np.ndarray  # bool: False where a newer version lives in the delta, or the doc was deleted
    province: np.ndarray
    city: np.ndarray
    district: np.ndarray
    ownership: np.ndarray  # int32 codes into the index's Vocab
    # per level, then position (a level's column is contiguous: gathering it for many positions is one take)
    prices: np.ndarray  # float64 (5, n): price_min then CARE_LEVELS, NaN for none (fen are exact in float64)
    free: np.ndarray  # int64 (5, n): beds_free then CARE_LEVELS
    grade: np.ndarray  # int64, 0 = ungraded
    quality: np.ndarray  # int64 quality stars, 0 = no quality rating
    rating: np.ndarray  # float64, NaN = unrated
    review_count: np.ndarray
    rank_boost: np.ndarray  # float64, multiples of 1/64
    lat: np.ndarray
    lon: np.ndarray
    care_bits: np.ndarray  # int64 bitmask over CARE_LEVELS
    feature_bits: np.ndarray  # int64 bitmask over FEATURES
    postings: dict  # {token field: _Postings}
    # made on first use: the positions in the order of each sort that depends on the document alone (_static_order),
    # and by latitude with the latitudes (_lat_order)
    orders: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self):
        return len(self.ids)

    def position_of(self, doc_ids):
        """Return the positions of DOC_IDS that this segment holds."""
        doc_ids = np.asarray(doc_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, doc_ids)
        found = pos < self.size
        pos = pos[found]
        return pos[self.ids[pos] == doc_ids[found]]

    def arrays(self):
        """Return every array but `live` as {name: array}: what a persisted segment stores."""
        arrays = {name: getattr(self, name) for name in _COLUMNS}
        for field, postings in self.postings.items():
            arrays.update({f"{field}.{name}": array for name, array in postings.arrays().items()})
        return arrays

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild a Segment (all live) from what `arrays` returned, without copying the arrays."""
        postings = {field: _Postings.from_arrays({name.split(".", 1)[1]: array for name, array in arrays.items()
                                                  if name.startswith(field + ".")})
                    for field in analysis.FIELD_WEIGHTS}
        columns = {name: arrays[name] for name in _COLUMNS}
        return cls(live=np.ones(len(columns["ids"]), dtype=bool), postings=postings, **columns)


_COLUMNS = ("ids", "province", "city", "district", "ownership", "prices", "free", "grade", "quality", "rating",
            "review_count", "rank_boost", "lat", "lon", "care_bits", "feature_bits")


class _Postings:
    """Inverted lists of one token field, stored flat (CSR) under sorted tokens: token -> sorted int32 positions.

    `joins` keeps the intersections of long lists (a common word's bigrams: 养老院 is 养老 and 老院, each in most
    homes) that the engine made, as Lucene's query cache keeps a segment's frequent clauses: they depend on the
    segment alone, so they live and die with it.
    """

    def __init__(self, tokens, offsets, positions):
        self.tokens, self.offsets, self.positions = tokens, offsets, positions
        self.joins = _JoinCache(_JOIN_CACHE_BYTES)

    def arrays(self):
        t = self.tokens
        return {"blob": t.blob, "token_offsets": t.offsets, "prefixes": t.prefixes, "offsets": self.offsets,
                "positions": self.positions}

    @classmethod
    def from_arrays(cls, a):
        return cls(SortedStrings(a["blob"], a["token_offsets"], a["prefixes"]), a["offsets"], a["positions"])

    def get(self, token):
        """Return the sorted positions of the docs holding TOKEN, or None."""
        i = self.tokens.find(token)
        return None if i < 0 else self.positions[self.offsets[i] : self.offsets[i + 1]]


_JOIN_CACHED_FROM = 4096  # an intersection whose shortest list is this long is kept (shorter ones are cheap)
_JOIN_CACHE_BYTES = 4 << 20  # per token field of a segment


class _JoinCache:
    """The least recently used intersections of one _Postings, up to a number of bytes (read-only arrays)."""

    def __init__(self, budget):
        self.budget, self.used, self._found = budget, 0, OrderedDict()

    def get(self, key):
        found = self._found.get(key)
        if found is not None:
            self._found.move_to_end(key)
        return found

    def put(self, key, positions):
        """Keep POSITIONS under KEY (dropping the least recently used beyond the budget); return them."""
        positions = positions.view()
        positions.flags.writeable = False  # shared by every later query: nobody may change it
        if positions.nbytes <= self.budget:
            self._found[key] = positions
            self.used += positions.nbytes
            while self.used > self.budget:
                self.used -= self._found.popitem(last=False)[1].nbytes
        return positions


def _bits(values, vocabulary):
    return sum(1 << vocabulary.index(v) for v in set(values or ()) if v in vocabulary)


def _number(value):
    return np.nan if value is None else value


class DuplicateDocument(ValueError):
    """The documents given to a SegmentBuilder repeat an id."""


class SegmentBuilder:
    """Collect documents (any order, distinct ids) into a Segment."""

    _SCALARS = ("ids", "province", "city", "district", "ownership", "grade", "quality", "rating", "review_count",
                "rank_boost", "lat", "lon", "care_bits", "feature_bits", "prices", "free")

    def __init__(self, vocab):
        self.vocab = vocab
        self.columns = {name: [] for name in self._SCALARS}
        # per field: ({token: id}, token ids of every doc in order as compact int32, token count per doc)
        self.tokens = {field: ({}, array("i"), []) for field in analysis.FIELD_WEIGHTS}

    def add(self, doc):
        c, location = self.columns, doc.get("location") or {}
        for name, value in (
            ("ids", doc["id"]), ("province", self.vocab.code(doc.get("province_code"))),
            ("city", self.vocab.code(doc.get("city_code"))), ("district", self.vocab.code(doc.get("district_code"))),
            ("ownership", self.vocab.code(doc.get("ownership"))), ("grade", doc.get("grade") or 0),
            ("quality", doc.get("quality_stars") or 0),
            ("rating", _number(doc.get("rating"))), ("review_count", doc.get("review_count") or 0),
            ("rank_boost", doc.get("rank_boost") or 0.0), ("lat", _number(location.get("lat"))),
            ("lon", _number(location.get("lon"))), ("care_bits", _bits(doc.get("care_levels"), CARE_LEVELS)),
            ("feature_bits", _bits(doc.get("features"), FEATURES)),
            ("prices", [_number(doc.get(_price_name(level))) for level in _PRICE_LEVELS]),
            ("free", [doc.get(free_field(level)) or 0 for level in _PRICE_LEVELS]),
        ):
            c[name].append(value)
        for field, (index, token_ids, counts) in self.tokens.items():
            tokens = doc.get(field) or ()
            token_ids.extend([index.setdefault(t, len(index)) for t in tokens])
            counts.append(len(tokens))

    def build(self):
        """Return the Segment; raise DuplicateDocument when two documents share an id."""
        c, n = self.columns, len(self.columns["ids"])
        ids = np.array(c["ids"], dtype=np.int64)
        order = np.argsort(ids, kind="stable")  # documents may come in any order: positions follow the ids
        if n > 1 and not (ids[order][1:] > ids[order][:-1]).all():
            raise DuplicateDocument("two documents share an id")
        rank = np.empty(n, dtype=np.int32)
        rank[order] = np.arange(n, dtype=np.int32)
        int_cols = ("province", "city", "district", "ownership")
        return Segment(
            ids=ids[order], live=np.ones(n, dtype=bool),
            **{name: np.array(c[name], dtype=np.int32)[order] for name in int_cols},
            prices=_by_level(np.array(c["prices"], dtype=np.float64), n, order),
            free=_by_level(np.array(c["free"], dtype=np.int64), n, order),
            grade=np.array(c["grade"], dtype=np.int64)[order], quality=np.array(c["quality"], dtype=np.int64)[order],
            rating=np.array(c["rating"], dtype=np.float64)[order],
            review_count=np.array(c["review_count"], dtype=np.int64)[order],
            rank_boost=np.array(c["rank_boost"], dtype=np.float64)[order],
            lat=np.array(c["lat"], dtype=np.float64)[order], lon=np.array(c["lon"], dtype=np.float64)[order],
            care_bits=np.array(c["care_bits"], dtype=np.int64)[order],
            feature_bits=np.array(c["feature_bits"], dtype=np.int64)[order],
            postings={field: self._postings(field, rank) for field in list(self.tokens)},
        )

    def _postings(self, field, rank):
        """Build FIELD's postings under its sorted tokens, frugally: this runs on millions of token occurrences."""
        index, occurrences, counts = self.tokens.pop(field)  # ours is the last reference: freed once used
        tokens, ranks = SortedStrings.build(list(index))
        token_ids = np.frombuffer(occurrences, dtype=np.int32) if len(occurrences) else np.empty(0, dtype=np.int32)
        by_rank = np.zeros(len(ranks), dtype=np.int64)
        by_rank[ranks] = np.bincount(token_ids, minlength=len(ranks))
        offsets = np.zeros(len(ranks) + 1, dtype=np.int64)
        np.cumsum(by_rank, out=offsets[1:])
        key = ranks.astype(np.int64)[token_ids]  # one int64 per occurrence: token rank, then document position
        del token_ids, occurrences
        key <<= 32
        key |= np.repeat(rank, counts) if len(counts) else 0
        key.sort()  # by token, then position: each token's positions ascending
        key &= 0xFFFFFFFF
        return _Postings(tokens, offsets, key.astype(np.int32))


def _by_level(values, n, order):
    """Per-document rows of a value per level (flat) -> a (level, position) array, positions in ORDER."""
    return np.ascontiguousarray(values.reshape(n, len(_PRICE_LEVELS))[order].T)


def _price_name(level):
    return f"price_{level}" if level else "price_min"


def build_segment(docs, vocab=None):
    """Build a Segment from DOCS (any order) with VOCAB (a fresh one when None)."""
    builder = SegmentBuilder(vocab or Vocab())
    for doc in docs:
        builder.add(doc)
    return builder.build()


# ---------------------------------------------------------------------------------------------------------
# The array engine


@dataclass(frozen=True)
class Plan:
    """A SearchQuery resolved against an index's vocabulary, ready for execute on each segment."""

    query: object
    groups: list
    codes: dict  # {column: code or -1 when the value is unknown to the index}
    level_col: int
    care_bit: int
    feature_bits: int
    k: int  # how many top hits each segment must return
    vocab_size: int
    places: dict | None = None  # {"cities", "provinces", "districts", "named_cities": int32 code arrays}
    requirements: tuple = ()  # ((column, value), ...) per requirement; codes resolved against the vocabulary
    preferences: tuple = ()  # the same, per preference
    offset: int = 0  # how many of the merged top k to skip (0 with a cursor: the hits after it come first)
    after: tuple | None = None  # the cursor: the sort key (as _sort_keys builds it) the hits must come after
    facets: bool = True  # count facets (False when the query has none, or they are cached: FacetCache)


def _codes_of(vocab, values):
    return np.array([vocab.codes[v] for v in values if v in vocab.codes], dtype=np.int32)


def _place_plan(places, vocab):
    if not places:
        return None
    cities, provinces = place_scope(places)
    return {"cities": _codes_of(vocab, cities), "provinces": _codes_of(vocab, provinces),
            "districts": _codes_of(vocab, {p.district for p in places if p.district}),
            "named_cities": _codes_of(vocab, {p.city for p in places if p.city})}


def _requirement_plan(requirement, vocab):
    clauses = []
    for field_name, value in requirement:
        if field_name == "care_levels":
            clauses.append(("care_bits", _bits([value], CARE_LEVELS)))
        elif field_name == "features":
            clauses.append(("feature_bits", _bits([value], FEATURES)))
        elif field_name == "ownership":
            clauses.append(("ownership", vocab.codes.get(value, -1)))
        else:
            clauses.append((field_name, value))
    return tuple(clauses)


def make_plan(query, vocab, facets=True):
    """Resolve QUERY (validated) against VOCAB; FACETS=False skips counting them (the caller has them)."""
    values = {"province": query.province, "city": query.city, "district": query.district,
              "ownership": query.ownership}
    codes = {col: vocab.codes.get(v, -1) for col, v in values.items() if v is not None}
    level = query.care_level
    return Plan(query=query, groups=analysis.parse_query(query.text, query.typo_words), codes=codes,
                level_col=_PRICE_LEVELS.index(level), care_bit=_bits([level], CARE_LEVELS) if level else 0,
                feature_bits=_bits(query.features, FEATURES),
                k=query.per_page if query.after is not None else query.offset + query.per_page,
                offset=0 if query.after is not None else query.offset, after=_after_keys(query),
                facets=facets and query.with_facets,
                vocab_size=len(vocab.keys), places=_place_plan(query.places, vocab),
                requirements=tuple(_requirement_plan(r, vocab) for r in query.requirements),
                preferences=tuple(_requirement_plan(r, vocab) for r in query.preferences))


@dataclass
class Partial:
    """One segment's answer: the match count, its best k candidates with their sort keys, facet counts."""

    total: int
    unpriced: int
    ids: np.ndarray
    scores: np.ndarray
    distances: np.ndarray | None
    keys: list
    facets: dict


def _filter_mask(seg, plan):
    """The filters that do not depend on the care level or the grade (those are applied per position)."""
    mask = seg.live.copy()
    for col, code in plan.codes.items():
        mask &= getattr(seg, col) == code
    if plan.feature_bits:
        mask &= (seg.feature_bits & plan.feature_bits) == plan.feature_bits
    if plan.query.min_quality is not None:
        mask &= seg.quality >= plan.query.min_quality  # 0 (no rating) never passes: min_quality >= 1
    if plan.places is not None:
        mask &= np.isin(seg.city, plan.places["cities"]) | np.isin(seg.province, plan.places["provinces"])
    for requirement in plan.requirements:
        mask &= _satisfies(seg, requirement)
    return mask


def _satisfies(seg, requirement, positions=None):
    """Say, per document (or per one of POSITIONS when given), whether any clause of REQUIREMENT holds."""
    ok = np.zeros(seg.size if positions is None else len(positions), dtype=bool)
    for column, value in requirement:
        if column in ("care_bits", "feature_bits", "ownership"):
            values = getattr(seg, column) if positions is None else getattr(seg, column).take(positions)
            ok |= (values & value) != 0 if column != "ownership" else values == value
        elif positions is None:
            ok[_intersect(seg.postings[column], value)] = True
        else:
            ok |= _member(_intersect(seg.postings[column], value), positions)
    return ok


def _member(sorted_positions, positions):
    """Say, per one of POSITIONS (any order), whether SORTED_POSITIONS (ascending) holds it."""
    if not len(sorted_positions) or not len(positions):
        return np.zeros(len(positions), dtype=bool)
    if len(positions) * 8 < len(sorted_positions):  # a few against many: a binary search each
        at = np.minimum(np.searchsorted(sorted_positions, positions), len(sorted_positions) - 1)
        return sorted_positions[at] == positions
    present = np.zeros(int(max(sorted_positions[-1], positions.max())) + 1, dtype=bool)  # one pass, a bitmap
    present[sorted_positions] = True
    return present[positions]


def _place_scores(seg, plan, positions):
    """The place score per position (query.py): a named district, else a named city, else 0."""
    places = plan.places
    in_district = np.isin(seg.district.take(positions), places["districts"])
    in_city = np.isin(seg.city.take(positions), places["named_cities"])
    return np.where(in_district, PLACE_WEIGHTS["district"], np.where(in_city, PLACE_WEIGHTS["city"], 0))


def _level_ok(seg, plan, positions, level_col, care_bit, care_bits=None):
    """Say, per position, whether care level LEVEL_COL/CARE_BIT passes the level, price and vacancy filters
    (CARE_BITS: the positions' care bits, when the caller has them)."""
    q = plan.query
    if care_bit:
        ok = ((seg.care_bits.take(positions) if care_bits is None else care_bits) & care_bit) != 0
    else:
        ok = np.ones(len(positions), dtype=bool)
    if q.min_price_fen is not None or q.max_price_fen is not None or q.sort == "price":
        price = seg.prices[level_col].take(positions)
        if q.min_price_fen is not None:
            ok &= price >= q.min_price_fen  # NaN (no price) compares False: excluded
        if q.max_price_fen is not None:
            ok &= price <= q.max_price_fen
        if q.sort == "price":
            ok &= ~np.isnan(price)  # no price: left out of a price sort
    if q.has_vacancy:
        ok &= seg.free[level_col].take(positions) > 0
    return ok


def _unpriced(seg, plan, positions, grade_ok):
    """Count the homes without any published fee that only the price filter or sort leaves out (query.py)."""
    q = plan.query
    if not q.prices_only:
        return 0
    left_out = np.isnan(seg.prices[0].take(positions)) & grade_ok
    if q.has_vacancy:
        left_out &= seg.free[plan.level_col].take(positions) > 0
    return int(np.count_nonzero(left_out))


def _grade_at_least(grades, n):
    return (grades >= n) & (grades > 0) if n is not None else np.ones(len(grades), dtype=bool)


def _intersect(postings, tokens):
    """Return the sorted positions holding every one of TOKENS (a word's bigrams) in POSTINGS."""
    lists = [postings.get(token) for token in tokens]
    if any(p is None for p in lists):
        return np.empty(0, dtype=np.int32)
    if len(lists) == 1:
        return lists[0]
    if min(len(p) for p in lists) < _JOIN_CACHED_FROM:
        return _join(lists)
    key = tuple(tokens)
    found = postings.joins.get(key)
    if found is None:
        found = postings.joins.put(key, _join(lists))
    return found


def _join(lists):
    lists = sorted(lists, key=len)
    result = lists[0]
    for other in lists[1:]:
        if not len(result) or not len(other):
            return result[:0]
        result = result[_member(other, result)]
    return result


def _text_scores(seg, groups):
    """Return (matched mask, text score) per position; every group must match some field."""
    matched, total = np.ones(seg.size, dtype=bool), np.zeros(seg.size, dtype=np.int64)
    for alternatives in groups:
        best = np.zeros(seg.size, dtype=np.int64)
        for field, weight in _WEIGHTS_ASCENDING:  # later (heavier) fields overwrite: best = max weight
            for alternative in alternatives:
                best[_intersect(seg.postings[field], alternative)] = weight
        matched &= best > 0
        total += best
    return matched, total


def haversine_array(lat, lon, lats, lons):
    """Return the haversine distances in km from (LAT, LON) to each of LATS/LONS, as geo.distance does."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _padded_box(lat, lon, radius_km):
    # a metre of slack so float rounding at the box edge never drops a home the exact distance keeps
    return bounding_box(lat, lon, radius_km + 0.001)


def _lat_order(seg):
    """Return (positions by latitude, their latitudes ascending; no coordinates last), made once per segment."""
    found = seg.orders.get(("lat", None))
    if found is None:
        order = np.argsort(seg.lat, kind="stable").astype(np.int32)
        found = seg.orders[("lat", None)] = (order, seg.lat[order])
    return found


def _geo_filter(seg, plan, mask):
    """Return (the positions MASK keeps within the radius, ascending; their distances, only when near is given).

    Within a radius, the candidates are the band of the segment's latitude order the bounding box spans, not
    every position the mask keeps."""
    q = plan.query
    if q.near is None or q.radius_km is None:
        positions = np.flatnonzero(mask)
        if q.near is None:
            return positions, None
    else:
        lo_lat, lo_lon, hi_lat, hi_lon = _padded_box(*q.near, q.radius_km)
        by_lat, lats = _lat_order(seg)
        band = by_lat[np.searchsorted(lats, lo_lat, side="left") : np.searchsorted(lats, hi_lat, side="right")]
        lo = seg.lon.take(band)
        positions = np.sort(band[mask[band] & (lo >= lo_lon) & (lo <= hi_lon)])
    lat, lon = q.near
    distances = haversine_array(lat, lon, seg.lat.take(positions), seg.lon.take(positions))
    if q.radius_km is not None:
        inside = distances <= q.radius_km
        positions, distances = positions[inside], distances[inside]
    return positions, distances


def _choice_counts(seg, plan, positions, level_ok, grade_ok):
    """care_level and grade facets: for each value, how many homes choosing it would give (query.py)."""
    care_bits = seg.care_bits.take(positions)
    levels = np.array([np.count_nonzero(grade_ok & _level_ok(seg, plan, positions, _PRICE_LEVELS.index(level),
                                                             _bits([level], CARE_LEVELS), care_bits))
                       for level in CARE_LEVELS], dtype=np.int64)
    at_least = np.cumsum(np.bincount(seg.grade.take(positions[level_ok]), minlength=6)[::-1])[::-1]
    at_least[0] = 0  # "0" means ungraded: not a min_grade choice
    return {"care_level": levels, "grade": at_least}


def _facet_counts(seg, plan, positions):
    price = seg.prices[plan.level_col].take(positions)
    priced = price[~np.isnan(price)]
    bands = np.searchsorted(_BAND_LOWS, priced, side="right") - 1
    counts = {col: np.bincount(getattr(seg, col).take(positions), minlength=plan.vocab_size)
              for col in ("province", "city", "district", "ownership")}
    counts["features"] = np.bincount(seg.feature_bits.take(positions), minlength=1 << len(FEATURES))
    counts["price_band"] = np.bincount(bands[bands >= 0], minlength=len(PRICE_BANDS))
    return counts


def _sort_keys(seg, plan, positions, scores, distances):
    """Return the sort keys (primary first, id last or folded into one unique int64 key)."""
    sort, ids = plan.query.sort, seg.ids.take(positions)
    if sort == "relevance":
        return [np.rint(-scores * 64).astype(np.int64) * _ID_BITS + ids]
    if sort == "grade":
        return [-seg.grade.take(positions) * _ID_BITS + ids]
    if sort == "quality":
        return [-seg.quality.take(positions) * _ID_BITS + ids]  # no rating (0) sorts last
    if sort == "price":
        price = seg.prices[plan.level_col].take(positions)
        return [np.where(np.isnan(price), np.inf, price), ids]  # no price sorts last
    if sort == "rating":
        rating = seg.rating.take(positions)
        return [np.where(np.isnan(rating), np.inf, -rating), -seg.review_count.take(positions), ids]
    return [np.floor(distances * 1000 + 0.5), ids]  # metres rounded half up, as query.distance_metres


# per sort, how many values its key has (_sort_keys): a cursor of another shape is not one of ours
_KEY_LENGTHS = {"relevance": 1, "grade": 1, "quality": 1, "price": 2, "rating": 3, "distance": 2}


def _after_keys(query):
    """Return the cursor of QUERY as sort key values (None, JSON's stand-in for "sorts last", is infinity)."""
    if query.after is None:
        return None
    if len(query.after) != _KEY_LENGTHS[query.sort] or any(isinstance(v, str) for v in query.after):
        raise ValueError("cursor")
    return tuple(np.inf if v is None else v for v in query.after)


def key_values(keys, i):
    """Return row I of sort KEYS as JSON values (a cursor): ints where whole, None for the infinite "last"."""
    values = []
    for key in keys:
        v = key[i].item()
        if isinstance(v, float):
            v = None if not np.isfinite(v) else int(v) if v.is_integer() else v
        values.append(v)
    return tuple(values)


def _beyond(keys, after):
    """Say, per row, whether its sort key comes after AFTER (lexicographically; NaN sorts as infinity)."""
    later, tied = np.zeros(len(keys[0]), dtype=bool), np.ones(len(keys[0]), dtype=bool)
    for key, value in zip(keys, after):
        if key.dtype.kind == "f":
            key = np.where(np.isnan(key), np.inf, key)
        later |= tied & (key > value)
        tied &= key == value
    return later


# Sorts whose key depends on the document alone: a deep top k under them is read off the segment's own order
_STATIC_SORTS = ("price", "rating", "grade", "quality")
_PRESORTED_FROM = 1000  # from this k on (page 40 of 25 by number), reading the order beats partition + lexsort


def _static_order(seg, plan):
    """Return every position of SEG in PLAN's static sort order (computed once per segment, sort and level)."""
    key = (plan.query.sort, plan.level_col if plan.query.sort == "price" else None)
    order = seg.orders.get(key)
    if order is None:
        keys = _sort_keys(seg, plan, np.arange(seg.size), None, None)
        order = seg.orders[key] = np.lexsort(keys[::-1]).astype(np.int32)
    return order


def _first_after(seg, plan, order, after):
    """Return the index into ORDER of the first row whose sort key comes after AFTER (the cursor): the keys ascend
    along the order, so a binary search computes the keys of a few rows only."""
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        if _beyond(_sort_keys(seg, plan, order[mid : mid + 1], None, None), after)[0]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _top_k_presorted(seg, plan, positions):
    """Return the indices into POSITIONS of its first PLAN.k rows in the segment's static order (after the cursor,
    if any): the same rows, in the same order, as top_k over their keys (every key ends in the id: no ties)."""
    index_of = np.full(seg.size, -1, dtype=np.int32)  # per segment position: its index in POSITIONS, or -1
    index_of[positions] = np.arange(len(positions), dtype=np.int32)
    order = _static_order(seg, plan)
    if plan.after is not None:
        order = order[_first_after(seg, plan, order, plan.after) :]
    # the k wanted lie in a prefix of the order about k / (share of rows chosen) long: read that first
    span = int(plan.k * seg.size / max(len(positions), 1) * 1.1) + 64
    found = index_of[order[:span]]
    found = found[found >= 0]
    if len(found) < plan.k and span < len(order):  # the chosen rows lie later in the order than their share says
        found = index_of[order]
        found = found[found >= 0]
    return found[: plan.k]


def top_k(keys, k):
    """Return the indices of the K smallest rows under lexicographic KEYS, in order."""
    primary = keys[0]
    if len(primary) > k:
        cut = np.partition(primary, k - 1)[k - 1]
        chosen = np.flatnonzero(primary <= cut)  # the ties at the cut are settled by the later keys
    else:
        chosen = np.arange(len(primary))
    order = np.lexsort([key[chosen] for key in reversed(keys)])[:k]
    return chosen[order]


def _scores(seg, plan, positions, text):
    """The relevance score per position: rank boost, text (TEXT: per segment position, or None), place, preferences."""
    scores = seg.rank_boost.take(positions) + (text.take(positions) if text is not None else 0)
    if plan.places is not None:
        scores = scores + _place_scores(seg, plan, positions)
    for preference in plan.preferences:
        scores = scores + PREFERENCE_WEIGHT * _satisfies(seg, preference, positions)
    return scores


def execute(seg, plan):
    """Run PLAN on one segment with arrays only: the raw engine work (what a benchmark times)."""
    mask = _filter_mask(seg, plan)
    text = None
    if plan.groups:
        matched, text = _text_scores(seg, plan.groups)
        mask &= matched
    positions, distances = _geo_filter(seg, plan, mask)
    level_ok = _level_ok(seg, plan, positions, plan.level_col, plan.care_bit)
    grade_ok = _grade_at_least(seg.grade.take(positions), plan.query.min_grade)
    facets = _choice_counts(seg, plan, positions, level_ok, grade_ok) if plan.facets else {}
    unpriced = _unpriced(seg, plan, positions, grade_ok)
    keep = level_ok & grade_ok
    positions = positions[keep]
    distances = None if distances is None else distances[keep]
    if plan.facets:
        facets.update(_facet_counts(seg, plan, positions))
    total = len(positions)
    static = plan.query.sort in _STATIC_SORTS
    # a deep page (by number or after a cursor) under a sort on the document alone: its rows first, read off the
    # segment's order, then scores and keys of those rows only
    presorted = static and (plan.k >= _PRESORTED_FROM or plan.after is not None)
    if presorted:
        best = _top_k_presorted(seg, plan, positions)
        positions, distances = positions[best], None if distances is None else distances[best]
    scores = _scores(seg, plan, positions, text)
    keys = _sort_keys(seg, plan, positions, scores, distances)
    if plan.after is not None and not static:  # only what comes after the cursor: no deep top k
        beyond = np.flatnonzero(_beyond(keys, plan.after))
        keys, positions, scores = [key[beyond] for key in keys], positions[beyond], scores[beyond]
        distances = None if distances is None else distances[beyond]
    best = np.arange(len(positions)) if presorted else top_k(keys, plan.k)
    return Partial(total=total, unpriced=unpriced, ids=seg.ids[positions][best], scores=scores[best],
                   distances=None if distances is None else distances[best],
                   keys=[key[best] for key in keys], facets=facets)


def _add_counts(a, b):
    if len(a) < len(b):
        a, b = b, a
    out = a.copy()
    out[: len(b)] += b
    return out


def _facet_values(name, counts, vocab):
    if name in ("province", "city", "district", "ownership"):
        codes = np.flatnonzero(counts)  # only the values present, not the whole vocabulary
        pairs = ((vocab.keys[code], counts[code]) for code in codes if vocab.keys[code] is not None)
    elif name == "care_level":
        pairs = zip(CARE_LEVELS, counts)
    elif name == "features":
        bits = np.arange(len(counts))
        pairs = ((key, counts[(bits >> i) & 1 == 1].sum()) for i, key in enumerate(FEATURES))
    elif name == "grade":
        pairs = ((str(grade), n) for grade, n in enumerate(counts))
    else:
        pairs = zip(_BAND_KEYS, counts)
    values = [(key, int(n)) for key, n in pairs if n > 0]
    return sorted(values, key=lambda kv: (-kv[1], kv[0]))


def merge(partials, plan, vocab):
    """Combine the segments' partial answers into (total, [(id, score, distance)], facets, unpriced, last key).

    The last key is the sort key of the page's last hit (key_values), None for an empty page."""
    total = sum(p.total for p in partials)
    keys = [np.concatenate([p.keys[i] for p in partials]) for i in range(len(partials[0].keys))]
    ids = np.concatenate([p.ids for p in partials])
    scores = np.concatenate([p.scores for p in partials])
    distances = None if plan.query.near is None else np.concatenate([p.distances for p in partials])
    # one segment's partial is already its top k in order (execute): only several non-empty ones need merging
    several = sum(1 for p in partials if len(p.ids)) > 1
    page = (top_k(keys, plan.k) if several else np.arange(len(ids)))[plan.offset:]
    rows = [(int(ids[i]), float(scores[i]), _distance(distances, i)) for i in page]
    facets = {}
    if plan.facets:
        for name in FACETS:
            counts = partials[0].facets[name]
            for p in partials[1:]:
                counts = _add_counts(counts, p.facets[name])
            facets[name] = _facet_values(name, counts, vocab)
    last_key = key_values(keys, page[-1]) if len(page) else None
    return total, rows, facets, sum(p.unpriced for p in partials), last_key


class FacetCache:
    """The facet blocks of recent queries of one index state (clear it when the index changes).

    Facets do not depend on the page, the cursor, the preferences or a sort other than price (which leaves out
    homes without a price), nor on a point without a radius: queries that differ only there share a block, so
    the broad queries families start from (a province, a care level) count their facets once per index state.
    """

    def __init__(self, size=512):
        self.size, self._blocks = size, OrderedDict()

    @staticmethod
    def key(query):
        """Return what QUERY's facets depend on."""
        return replace(query, page=1, per_page=1, after=None, preferences=(), with_facets=True,
                       sort="price" if query.sort == "price" else "relevance",
                       near=query.near if query.radius_km is not None else None)

    def get(self, query):
        """Return the cached facets of QUERY, or None."""
        key = self.key(query)
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
        return block

    def put(self, query, facets):
        """Keep FACETS for QUERY (the least recently used block goes when full); return them."""
        self._blocks[self.key(query)] = facets
        if len(self._blocks) > self.size:
            self._blocks.popitem(last=False)
        return facets

    def clear(self):
        """Forget every block (the index changed)."""
        self._blocks.clear()


def _distance(distances, i):
    if distances is None or np.isnan(distances[i]):
        return None  # no distance for a home without coordinates
    return float(distances[i])


# ---------------------------------------------------------------------------------------------------------
# Stored queries: which of many saved queries a changed document matches (the embedded percolator)
#
# Kept apart from execute(): a QueryTable holds the simple filters of every stored query as columns, so one
# changed document is tested against all of them with a few array comparisons (necessary conditions only);
# each query left is then run exactly, by the engine itself, on a one-document segment of that document.


_ANY = -1


class QueryTable:
    """The stored queries (id, SearchQuery) as columns of their simple filters, for match_stored_queries."""

    def __init__(self, items):
        items = list(items)
        self.ids = np.array([qid for qid, _q in items], dtype=np.int64)
        self.queries = [_matching_form(q) for _qid, q in items]
        self.strings = {}  # region and ownership codes -> small ints, local to this table
        qs = self.queries
        for column, attr in (("province", "province"), ("city", "city"), ("district", "district"),
                             ("ownership", "ownership")):
            setattr(self, column, np.array([self._code(getattr(q, attr)) for q in qs], dtype=np.int32))
        self.level_col = np.array([_PRICE_LEVELS.index(q.care_level) for q in qs], dtype=np.int8)
        self.care_bit = np.array([_bits([q.care_level], CARE_LEVELS) if q.care_level else 0 for q in qs],
                                 dtype=np.int64)
        self.min_price = np.array([-np.inf if q.min_price_fen is None else q.min_price_fen for q in qs])
        self.max_price = np.array([np.inf if q.max_price_fen is None else q.max_price_fen for q in qs])
        self.needs_price = np.array([q.prices_only for q in qs], dtype=bool)
        self.has_vacancy = np.array([q.has_vacancy for q in qs], dtype=bool)
        self.min_grade = np.array([q.min_grade or 0 for q in qs], dtype=np.int64)
        self.min_quality = np.array([q.min_quality or 0 for q in qs], dtype=np.int64)
        self.feature_bits = np.array([_bits(q.features, FEATURES) for q in qs], dtype=np.int64)
        within = [q.near is not None and q.radius_km is not None for q in qs]
        self.has_radius = np.array(within, dtype=bool)
        self.near_lat = np.array([q.near[0] if w else np.nan for q, w in zip(qs, within)], dtype=np.float64)
        self.near_lon = np.array([q.near[1] if w else np.nan for q, w in zip(qs, within)], dtype=np.float64)
        self.radius = np.array([q.radius_km if w else np.inf for q, w in zip(qs, within)], dtype=np.float64)
        # the columns decide these queries alone; text, places and requirements are run by the engine
        self.decided = np.array([not (q.text.strip() or q.places or q.requirements) for q in qs], dtype=bool)

    def _code(self, value):
        if value is None:
            return _ANY
        return self.strings.setdefault(value, len(self.strings))

    def __len__(self):
        return len(self.ids)


def _matching_form(query):
    """QUERY as a match test: one hit is enough, no facets, no scoring-only preferences."""
    from dataclasses import replace

    return replace(query, page=1, per_page=1, with_facets=False, preferences=())


def _candidates(table, doc):
    """Positions of the stored queries whose simple filters DOC passes (a superset of the true matches)."""
    ok = np.ones(len(table), dtype=bool)
    for column, field in (("province", "province_code"), ("city", "city_code"), ("district", "district_code"),
                          ("ownership", "ownership")):
        wanted = getattr(table, column)
        ok &= (wanted == _ANY) | (wanted == table.strings.get(doc.get(field), -2))
    care_bits = _bits(doc.get("care_levels"), CARE_LEVELS)
    ok &= (table.care_bit & care_bits) == table.care_bit
    ok &= (table.feature_bits & _bits(doc.get("features"), FEATURES)) == table.feature_bits
    prices = np.array([_number(doc.get(_price_name(level))) for level in _PRICE_LEVELS], dtype=np.float64)
    price = prices[table.level_col]
    with np.errstate(invalid="ignore"):
        ok &= ~table.needs_price | ((price >= table.min_price) & (price <= table.max_price))
    free = np.array([doc.get(free_field(level)) or 0 for level in _PRICE_LEVELS], dtype=np.int64)
    ok &= ~table.has_vacancy | (free[table.level_col] > 0)
    grade, quality = doc.get("grade") or 0, doc.get("quality_stars") or 0
    ok &= (table.min_grade == 0) | ((grade > 0) & (grade >= table.min_grade))
    ok &= (table.min_quality == 0) | (quality >= table.min_quality)
    if table.has_radius.any():
        location = doc.get("location") or {}
        lat, lon = _number(location.get("lat")), _number(location.get("lon"))
        with np.errstate(invalid="ignore"):
            ok &= ~table.has_radius | (_haversine_from(table.near_lat, table.near_lon, lat, lon) <= table.radius)
    return np.flatnonzero(ok)


def _haversine_from(lats, lons, lat, lon):
    """haversine_array with the query points as arrays: the same operations in the same order, per query."""
    p1, p2 = np.radians(lats), np.radians(lat)
    dp, dl = p2 - p1, np.radians(lon - lons)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def match_stored_queries(table, docs):
    """Return {doc id: [stored query ids]} of the queries in TABLE that each of DOCS matches."""
    matches = {}
    for doc in docs:
        positions = _candidates(table, doc)
        if not len(positions):
            matches[doc["id"]] = []
            continue
        found = [int(i) for i in table.ids[positions[table.decided[positions]]]]
        rest = positions[~table.decided[positions]]
        if len(rest):
            vocab = Vocab()
            segment = build_segment([doc], vocab)
            found += [int(table.ids[i]) for i in rest if execute(segment, make_plan(table.queries[i], vocab)).total]
        matches[doc["id"]] = sorted(found)
    return matches
