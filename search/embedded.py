"""The embedded search backend: in process, no services. A SQLite file keeps the documents; each process
searches a numpy columnar index built from it.

The file (derived data: `flask search reindex` rebuilds it from SQL) has three tables: docs (id, version, seq,
body as JSON), tombstones (id, seq: deletions, so other processes can see them) and meta (the change counter
`seq`). Every write transaction bumps `seq` and stamps the rows it wrote with it. A process notices changes by
reading `seq` (and the inode of the file) at the start of each search, inside the read transaction that also
fetches the hits' documents, so a result is always one consistent snapshot.

Reindex builds a new generation file next to the old one and switches `path` to it with os.replace of a
symlink. We swap a link rather than the database file itself because SQLite names its -wal/-shm files after
the database path: a new file renamed over a live WAL database would inherit the old file's WAL and shared
memory and be corrupted. Connections open the link's target by its real name, so each generation has its own
WAL. Writers check, while holding the write lock, that they still write to the current generation.

In memory: a big "main" segment (the whole file when it was loaded, superseded rows masked out) plus a small
"delta" segment of the documents changed since; main is rebuilt when delta grows large. `_execute(segment,
plan)` is the raw array engine, kept apart so a benchmark can time it alone.
"""

import json
import os
import sqlite3
import threading
import time
import uuid
from array import array
from dataclasses import dataclass

import numpy as np

from core.errors import SearchUnavailable
from geo.distance import EARTH_RADIUS_KM, bounding_box
from search import analysis
from search.query import (
    CARE_LEVELS,
    FACETS,
    FEATURES,
    PRICE_BANDS,
    TOKEN_FIELDS,
    Hit,
    SearchResult,
    display_document,
    free_field,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                                 body TEXT NOT NULL, tokens_name TEXT NOT NULL, tokens_place TEXT NOT NULL,
                                 tokens_body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
CREATE TABLE IF NOT EXISTS tombstones (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_seq ON tombstones (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('format', 3);
"""
_FORMAT = 3  # bump when the file layout changes: an older file must be rebuilt with `flask search reindex`
# 3: documents carry quality_stars / quality_warning (format-2 documents lack them: rebuild, not guess)
_UPSERT = """INSERT INTO docs (id, version, seq, body, tokens_name, tokens_place, tokens_body)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, seq = excluded.seq, body = excluded.body,
    tokens_name = excluded.tokens_name, tokens_place = excluded.tokens_place, tokens_body = excluded.tokens_body
WHERE excluded.version > docs.version"""
# the display document as JSON, then each token field space-joined (tokens hold no white space): hits decode
# only the small display part, and loading splits strings instead of parsing JSON lists
_ROW_COLUMNS = "body, tokens_name, tokens_place, tokens_body"
_PRICE_LEVELS = (None,) + CARE_LEVELS  # column 0 is price_min / beds_free
_BAND_LOWS = np.array([low for _key, low, _high in PRICE_BANDS], dtype=np.float64)
_BAND_KEYS = [key for key, _low, _high in PRICE_BANDS]
_ID_BITS = 1 << 32
_SQL_CHUNK = 500  # stays well under SQLite's bound-parameter limit
_WEIGHTS_ASCENDING = sorted(analysis.FIELD_WEIGHTS.items(), key=lambda item: item[1])


# ---------------------------------------------------------------------------------------------------------
# Segments: the columnar arrays and postings of a set of documents


class _Vocab:
    """Codes for the categorical strings (region codes, ownership), shared by the segments of one index."""

    def __init__(self):
        self.keys, self.codes = [], {}

    def code(self, value):
        if value not in self.codes:
            self.codes[value] = len(self.keys)
            self.keys.append(value)
        return self.codes[value]


@dataclass
class Segment:
    ids: np.ndarray  # int64, ascending
    live: np.ndarray  # bool: False where a newer version lives in the delta, or the doc was deleted
    province: np.ndarray
    city: np.ndarray
    district: np.ndarray
    ownership: np.ndarray  # int32 codes into the index's _Vocab
    prices: np.ndarray  # float64 (n, 5): price_min then CARE_LEVELS, NaN for none (fen are exact in float64)
    free: np.ndarray  # int64 (n, 5): beds_free then CARE_LEVELS
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


class _Postings:
    """Inverted lists of one token field, stored flat (CSR): token -> sorted int32 positions."""

    def __init__(self, index, token_ids, counts):
        """INDEX: {token: id}; TOKEN_IDS: each doc's token ids in doc order (array of int32); COUNTS per doc."""
        token_ids = np.frombuffer(token_ids, dtype=np.int32) if len(token_ids) else np.empty(0, dtype=np.int32)
        self.index = index
        self.offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(np.bincount(token_ids, minlength=len(index)), out=self.offsets[1:])
        order = np.argsort(token_ids, kind="stable")  # stable: each token's positions stay ascending
        self.positions = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[order]

    def get(self, token):
        """Return the sorted positions of the docs holding TOKEN, or None."""
        i = self.index.get(token)
        return None if i is None else self.positions[self.offsets[i] : self.offsets[i + 1]]


def _bits(values, vocabulary):
    return sum(1 << vocabulary.index(v) for v in set(values or ()) if v in vocabulary)


def _number(value):
    return np.nan if value is None else value


class _SegmentBuilder:
    """Collect documents (in ascending id order) into a Segment."""

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
        c, n = self.columns, len(self.columns["ids"])
        int_cols = ("province", "city", "district", "ownership")
        return Segment(
            ids=np.array(c["ids"], dtype=np.int64), live=np.ones(n, dtype=bool),
            **{name: np.array(c[name], dtype=np.int32) for name in int_cols},
            prices=np.array(c["prices"], dtype=np.float64).reshape(n, len(_PRICE_LEVELS)),
            free=np.array(c["free"], dtype=np.int64).reshape(n, len(_PRICE_LEVELS)),
            grade=np.array(c["grade"], dtype=np.int64), quality=np.array(c["quality"], dtype=np.int64),
            rating=np.array(c["rating"], dtype=np.float64),
            review_count=np.array(c["review_count"], dtype=np.int64),
            rank_boost=np.array(c["rank_boost"], dtype=np.float64),
            lat=np.array(c["lat"], dtype=np.float64), lon=np.array(c["lon"], dtype=np.float64),
            care_bits=np.array(c["care_bits"], dtype=np.int64),
            feature_bits=np.array(c["feature_bits"], dtype=np.int64),
            postings={field: _Postings(*parts) for field, parts in self.tokens.items()},
        )


def _price_name(level):
    return f"price_{level}" if level else "price_min"


def build_segment(docs, vocab=None):
    """Build a Segment from DOCS (any order) with VOCAB (a fresh one when None)."""
    builder = _SegmentBuilder(vocab or _Vocab())
    for doc in sorted(docs, key=lambda d: d["id"]):
        builder.add(doc)
    return builder.build()


# ---------------------------------------------------------------------------------------------------------
# The array engine


@dataclass(frozen=True)
class Plan:
    """A SearchQuery resolved against an index's vocabulary, ready for _execute on each segment."""

    query: object
    groups: list
    codes: dict  # {column: code or -1 when the value is unknown to the index}
    level_col: int
    care_bit: int
    feature_bits: int
    k: int  # how many top hits each segment must return
    vocab_size: int


def make_plan(query, vocab):
    """Resolve QUERY (validated) against VOCAB."""
    values = {"province": query.province, "city": query.city, "district": query.district,
              "ownership": query.ownership}
    codes = {col: vocab.codes.get(v, -1) for col, v in values.items() if v is not None}
    level = query.care_level
    return Plan(query=query, groups=analysis.parse_query(query.text), codes=codes,
                level_col=_PRICE_LEVELS.index(level), care_bit=_bits([level], CARE_LEVELS) if level else 0,
                feature_bits=_bits(query.features, FEATURES), k=query.offset + query.per_page,
                vocab_size=len(vocab.keys))


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
    return mask


def _level_ok(seg, plan, positions, level_col, care_bit):
    """Say, per position, whether care level LEVEL_COL/CARE_BIT passes the level, price and vacancy filters."""
    q = plan.query
    ok = (seg.care_bits[positions] & care_bit) != 0 if care_bit else np.ones(len(positions), dtype=bool)
    if q.min_price_fen is not None or q.max_price_fen is not None:
        price = seg.prices[positions, level_col]
        if q.min_price_fen is not None:
            ok &= price >= q.min_price_fen  # NaN (no price) compares False: excluded
        if q.max_price_fen is not None:
            ok &= price <= q.max_price_fen
    if q.has_vacancy:
        ok &= seg.free[positions, level_col] > 0
    if q.sort == "price":
        ok &= ~np.isnan(seg.prices[positions, level_col])  # no price: left out of a price sort
    return ok


def _unpriced(seg, plan, positions, grade_ok):
    """Count the homes without any published fee that only the price filter or sort leaves out (query.py)."""
    q = plan.query
    if not q.prices_only:
        return 0
    left_out = np.isnan(seg.prices[positions, 0]) & grade_ok
    if q.has_vacancy:
        left_out &= seg.free[positions, plan.level_col] > 0
    return int(np.count_nonzero(left_out))


def _grade_at_least(grades, n):
    return (grades >= n) & (grades > 0) if n is not None else np.ones(len(grades), dtype=bool)


def _intersect(postings, tokens):
    lists = [postings.get(token) for token in tokens]
    if any(p is None for p in lists):
        return np.empty(0, dtype=np.int32)
    lists.sort(key=len)
    result = lists[0]
    for other in lists[1:]:
        at = np.minimum(np.searchsorted(other, result), len(other) - 1)
        result = result[other[at] == result]
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


def _geo_filter(seg, plan, positions):
    """Return (positions within the radius, their distances); distances only when near is given."""
    q = plan.query
    if q.near is None:
        return positions, None
    lat, lon = q.near
    if q.radius_km is not None:
        lo_lat, lo_lon, hi_lat, hi_lon = _padded_box(lat, lon, q.radius_km)
        la, lo = seg.lat[positions], seg.lon[positions]
        positions = positions[(la >= lo_lat) & (la <= hi_lat) & (lo >= lo_lon) & (lo <= hi_lon)]
    distances = haversine_array(lat, lon, seg.lat[positions], seg.lon[positions])
    if q.radius_km is not None:
        inside = distances <= q.radius_km
        positions, distances = positions[inside], distances[inside]
    return positions, distances


def _choice_counts(seg, plan, positions, level_ok, grade_ok):
    """care_level and grade facets: for each value, how many homes choosing it would give (query.py)."""
    levels = np.array([np.count_nonzero(grade_ok & _level_ok(seg, plan, positions, _PRICE_LEVELS.index(level),
                                                             _bits([level], CARE_LEVELS)))
                       for level in CARE_LEVELS], dtype=np.int64)
    at_least = np.cumsum(np.bincount(seg.grade[positions[level_ok]], minlength=6)[::-1])[::-1]
    at_least[0] = 0  # "0" means ungraded: not a min_grade choice
    return {"care_level": levels, "grade": at_least}


def _facet_counts(seg, plan, positions):
    price = seg.prices[positions, plan.level_col]
    priced = price[~np.isnan(price)]
    bands = np.searchsorted(_BAND_LOWS, priced, side="right") - 1
    counts = {col: np.bincount(getattr(seg, col)[positions], minlength=plan.vocab_size)
              for col in ("province", "city", "district", "ownership")}
    counts["features"] = np.bincount(seg.feature_bits[positions], minlength=1 << len(FEATURES))
    counts["price_band"] = np.bincount(bands[bands >= 0], minlength=len(PRICE_BANDS))
    return counts


def _sort_keys(seg, plan, positions, scores, distances):
    """Return the sort keys (primary first, id last or folded into one unique int64 key)."""
    sort, ids = plan.query.sort, seg.ids[positions]
    if sort == "relevance":
        return [np.rint(-scores * 64).astype(np.int64) * _ID_BITS + ids]
    if sort == "grade":
        return [-seg.grade[positions] * _ID_BITS + ids]
    if sort == "quality":
        return [-seg.quality[positions] * _ID_BITS + ids]  # no rating (0) sorts last
    if sort == "price":
        price = seg.prices[positions, plan.level_col]
        return [np.where(np.isnan(price), np.inf, price), ids]  # no price sorts last
    if sort == "rating":
        rating = seg.rating[positions]
        return [np.where(np.isnan(rating), np.inf, -rating), -seg.review_count[positions], ids]
    return [distances, ids]


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


def _execute(seg, plan):
    """Run PLAN on one segment with arrays only: the raw engine work (what a benchmark times)."""
    mask = _filter_mask(seg, plan)
    text = None
    if plan.groups:
        matched, text = _text_scores(seg, plan.groups)
        mask &= matched
    positions, distances = _geo_filter(seg, plan, np.flatnonzero(mask))
    level_ok = _level_ok(seg, plan, positions, plan.level_col, plan.care_bit)
    grade_ok = _grade_at_least(seg.grade[positions], plan.query.min_grade)
    facets = _choice_counts(seg, plan, positions, level_ok, grade_ok) if plan.query.with_facets else {}
    unpriced = _unpriced(seg, plan, positions, grade_ok)
    keep = level_ok & grade_ok
    positions = positions[keep]
    distances = None if distances is None else distances[keep]
    if text is not None:
        text = text[positions]
    scores = seg.rank_boost[positions] + (text if text is not None else 0)
    if plan.query.with_facets:
        facets.update(_facet_counts(seg, plan, positions))
    keys = _sort_keys(seg, plan, positions, scores, distances)
    best = top_k(keys, plan.k)
    return Partial(total=len(positions), unpriced=unpriced, ids=seg.ids[positions][best], scores=scores[best],
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
    """Combine the segments' partial answers into (total, [(id, score, distance)], facets, unpriced)."""
    total = sum(p.total for p in partials)
    keys = [np.concatenate([p.keys[i] for p in partials]) for i in range(len(partials[0].keys))]
    ids = np.concatenate([p.ids for p in partials])
    scores = np.concatenate([p.scores for p in partials])
    distances = None if plan.query.near is None else np.concatenate([p.distances for p in partials])
    page = top_k(keys, plan.k)[plan.query.offset:]
    rows = [(int(ids[i]), float(scores[i]), _distance(distances, i)) for i in page]
    facets = {}
    if plan.query.with_facets:
        for name in FACETS:
            counts = partials[0].facets[name]
            for p in partials[1:]:
                counts = _add_counts(counts, p.facets[name])
            facets[name] = _facet_values(name, counts, vocab)
    return total, rows, facets, sum(p.unpriced for p in partials)


def _distance(distances, i):
    if distances is None or np.isnan(distances[i]):
        return None  # no distance for a home without coordinates
    return float(distances[i])


# ---------------------------------------------------------------------------------------------------------
# The file


def _connect(real_path, create=False):
    # mode=rw: never create a missing generation file by accident (a reader racing a swap)
    uri = f"file:{real_path}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _chunks(items, size=_SQL_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _next_seq(conn):
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'seq'")
    return conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]


def _row(doc, seq):
    body = json.dumps(display_document(doc), ensure_ascii=False, separators=(",", ":"))
    return (int(doc["id"]), int(doc["version"]), seq, body, *(" ".join(doc.get(f) or ()) for f in TOKEN_FIELDS))


def _doc(body, *token_columns):
    """Rebuild a stored document from its row's body and token columns."""
    doc = json.loads(body)
    doc.update(zip(TOKEN_FIELDS, (column.split() for column in token_columns)))
    return doc


def _write_docs(conn, docs, seq):
    rows = [_row(d, seq) for d in docs]
    conn.executemany(_UPSERT, rows)
    return len(rows)


def _delete_docs(conn, ids, seq):
    ids = [int(i) for i in ids]
    for chunk in _chunks(ids):
        conn.execute(f"DELETE FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    conn.executemany("INSERT OR REPLACE INTO tombstones (id, seq) VALUES (?, ?)", [(i, seq) for i in ids])


def _remove_files(real_path, main=True):
    for name in ([real_path] if main else []) + [real_path + "-wal", real_path + "-shm"]:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


class _File:
    """This process's connection to the current generation of the index file."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.conn, self.inode, self.real, self.pid = None, None, None, None

    def stale(self):
        """Return True when the connection is missing, inherited over fork, or points at an old generation."""
        if self.conn is None or self.pid != os.getpid():
            return True
        try:
            return os.stat(self.path).st_ino != self.inode
        except FileNotFoundError:
            return True

    def connection(self):
        """Return a connection to the current generation, (re)opening it when stale."""
        if self.stale():
            self._open()
        return self.conn

    def _open(self):
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None
        create = not os.path.lexists(self.path)
        for _attempt in range(20):
            try:
                real = os.path.realpath(self.path)
                inode = os.stat(real).st_ino if not create else None
                conn = _connect(real, create=create)
            except (FileNotFoundError, sqlite3.OperationalError):
                continue  # the link moved on between resolving and opening: resolve again
            if create or os.stat(self.path).st_ino == inode:
                break
            conn.close()
        else:
            raise SearchUnavailable(f"cannot open the search index {self.path}")
        _check_format(conn)
        conn.executescript(_SCHEMA)
        self.conn, self.real, self.pid = conn, real, os.getpid()
        self.inode = os.stat(real).st_ino

    def write(self, work):
        """Run WORK(conn, seq) in one write transaction on the current generation; return its result."""
        for _attempt in range(20):
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            if self.stale():  # a reindex swapped generations while we waited for the lock
                conn.execute("ROLLBACK")
                continue
            try:
                result = work(conn, _next_seq(conn))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        raise SearchUnavailable("the search index keeps changing under the writer")

    def close(self):
        """Close the connection (if this process opened it)."""
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None


# ---------------------------------------------------------------------------------------------------------
# The in-memory index of one generation


def _check_format(conn):
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
    found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if has_meta else (_FORMAT,)
    if (found or (1,))[0] != _FORMAT:
        raise SearchUnavailable("the search index file has an older format: run `flask search reindex`")


class _Index:
    """Main + delta segments of one generation file, as of change counter `seq`."""

    def __init__(self, conn, inode):
        self.inode, self.vocab = inode, _Vocab()
        self.seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
        builder = _SegmentBuilder(self.vocab)
        for row in conn.execute(f"SELECT {_ROW_COLUMNS} FROM docs ORDER BY id"):
            builder.add(_doc(*row))
        self.main, self.delta_docs = builder.build(), {}
        self.delta = build_segment([], self.vocab)

    @property
    def delta_limit(self):
        # The delta is rebuilt whole on every change, main reloads the whole file: bound both costs.
        return max(1000, min(5000, self.main.size // 20))

    def catch_up(self, conn, seq):
        """Apply the changes after self.seq up to SEQ (read in the caller's transaction)."""
        rows = conn.execute(f"SELECT id, {_ROW_COLUMNS} FROM docs WHERE seq > ?", (self.seq,)).fetchall()
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (self.seq,))]
        changed = {row[0]: _doc(*row[1:]) for row in rows}
        for doc_id in gone:
            if doc_id not in changed:
                self.delta_docs.pop(doc_id, None)
        self.delta_docs.update(changed)
        live = self.main.live.copy()  # copy on write: a Partial built earlier keeps its own view
        live[self.main.position_of(list(changed) + gone)] = False
        self.main.live = live
        self.delta = build_segment(self.delta_docs.values(), self.vocab)
        self.seq = seq

    def run(self, plan):
        """Run PLAN on both segments and merge."""
        return merge([_execute(self.main, plan), _execute(self.delta, plan)], plan, self.vocab)

    @property
    def size(self):
        return int(self.main.live.sum()) + self.delta.size


# ---------------------------------------------------------------------------------------------------------
# The backend


class EmbeddedBackend:
    """The in-process search backend over the SQLite index file at PATH."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self._file = _File(self.path)
        self._index = None
        self._lock = threading.RLock()  # one connection and one index per process, shared by its threads
        # the file is opened on first use: an unreadable one must not stop `flask search reindex` replacing it

    # -- searching

    def search(self, query):
        """Run QUERY (a SearchQuery) and return a SearchResult."""
        query.validate()
        with self._lock:
            conn = self._file.connection()
            conn.execute("BEGIN")  # one snapshot for the freshness check, the engine and the documents
            try:
                index = self._fresh_index(conn)
                plan = make_plan(query, index.vocab)
                started = time.perf_counter()  # the engine's own work: arrays, then the SQL fetching the hits
                total, rows, facets, unpriced = index.run(plan)
                docs = self._bodies(conn, [doc_id for doc_id, _s, _d in rows])
                engine_ms = (time.perf_counter() - started) * 1000
            finally:
                conn.execute("COMMIT")
        hits = [Hit(id=doc_id, score=score, doc=docs[doc_id], distance_km=distance)
                for doc_id, score, distance in rows]
        return SearchResult(total=total, hits=hits, facets=facets, engine_ms=engine_ms, unpriced_excluded=unpriced)

    def _fresh_index(self, conn):
        seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
        index = self._index
        if index is None or index.inode != self._file.inode or seq < index.seq:
            index = self._index = _Index(conn, self._file.inode)
        elif seq > index.seq:
            index.catch_up(conn, seq)
            if len(index.delta_docs) > index.delta_limit:
                index = self._index = _Index(conn, self._file.inode)
        return index

    @staticmethod
    def _bodies(conn, ids):
        docs = {}
        for chunk in _chunks(ids):
            sql = f"SELECT id, body FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            docs.update((doc_id, json.loads(body)) for doc_id, body in conn.execute(sql, chunk))
        return docs

    # -- writing

    def upsert(self, docs):
        """Store DOCS; a doc whose version is not newer than the stored one is ignored."""
        docs = list(docs)
        if docs:
            with self._lock:
                self._file.write(lambda conn, seq: _write_docs(conn, docs, seq))

    def delete(self, ids):
        """Remove the documents with these IDS (missing ones are fine)."""
        ids = list(ids)
        if ids:
            with self._lock:
                self._file.write(lambda conn, seq: _delete_docs(conn, ids, seq))

    def reindex(self, docs):
        """Build a new generation file from DOCS, then switch to it atomically; return the document count."""
        with self._lock:
            try:
                start_seq = self._current_seq()  # first: it reopens a stale connection, which updates the inode
            except SearchUnavailable:  # an unreadable or older-format file: derived data, nothing to keep
                self._discard_file()
                start_seq = self._current_seq()
            start_inode = self._file.inode
        new_real = f"{self.path}.{uuid.uuid4().hex[:12]}.gen"
        try:
            count = _build_generation(new_real, docs)
            with self._lock:
                self._file.write(lambda conn, _seq: self._swap(conn, new_real, start_inode, start_seq))
                self._file.close()
        except BaseException:
            _remove_files(new_real)
            raise
        return count

    def _discard_file(self):
        self._file.close()
        real = os.path.realpath(self.path)
        _remove_files(real)
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def _current_seq(self):
        return self._file.connection().execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]

    def _swap(self, conn, new_real, start_inode, start_seq):
        """Copy what was written during the build into NEW_REAL, then point the link at it (write lock held)."""
        since = start_seq if self._file.inode == start_inode else 0
        rows = conn.execute(f"SELECT id, version, {_ROW_COLUMNS} FROM docs WHERE seq > ?", (since,)).fetchall()
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (since,))]
        new = _connect(new_real)
        try:
            new.execute("BEGIN IMMEDIATE")
            seq = _next_seq(new)
            new.executemany(_UPSERT, [(i, v, seq, *rest) for i, v, *rest in rows])
            rewritten = {row[0] for row in rows}
            _delete_docs(new, [i for i in gone if i not in rewritten], seq)
            new.execute("COMMIT")
        finally:
            new.close()
        old_real, link = self._file.real, f"{self.path}.{uuid.uuid4().hex[:12]}.link"
        os.symlink(os.path.basename(new_real), link)
        os.replace(link, self.path)
        # Readers of the old generation keep their open files (POSIX); nobody opens it by name again.
        # A first, plain file at PATH was already unlinked by os.replace: only its WAL files remain.
        _remove_files(old_real, main=old_real != self.path)

    # -- inspecting

    def versions(self):
        """Return {id: version} of every stored document."""
        with self._lock:
            conn = self._file.connection()
            return dict(conn.execute("SELECT id, version FROM docs").fetchall())

    def health(self):
        """Return the index's state (documents, change counter, segments); raise SearchUnavailable if unreadable."""
        try:
            with self._lock:
                conn = self._file.connection()
                count = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
                index = self._index
                return {"backend": "embedded", "path": self.path, "file": self._file.real, "docs": count,
                        "seq": self._current_seq(),
                        "main_docs": index.main.size if index else 0,
                        "delta_docs": index.delta.size if index else 0}
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"search index unreadable: {exc}") from exc

    def close(self):
        """Close this process's connection."""
        with self._lock:
            self._file.close()


def _build_generation(real_path, docs):
    """Write DOCS into a fresh generation file at REAL_PATH; return how many were written."""
    conn = sqlite3.connect(real_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a crash mid-build leaves a file nobody points at
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        seq, count, batch = _next_seq(conn), 0, []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= 1000:
                count += _write_docs(conn, batch, seq)
                batch = []
        count += _write_docs(conn, batch, seq)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return count
