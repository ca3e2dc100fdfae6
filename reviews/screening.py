"""Automatic screening every review passes before anyone sees it (see docs/review-screening.md).

`screen(review)` runs the detectors on a flushed Review and returns one Signal per detector that fired, each
with a risk contribution (0..100) and JSON-serialisable evidence for the moderation queue. The text detectors
(personal data, abusive language, links and advertising) are pure functions of the text; the others
(duplicates, bursts, conflicts of interest) read the database with bounded queries and never write.
"""

import functools
import hashlib
import ipaddress
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

from core.db import utcnow
from core.extensions import db

WORDLISTS = Path(__file__).resolve().parent / "wordlists"

# Signal codes: stable, the moderation queue and its filters show them.
PERSONAL_DATA = "personal_data"
ABUSIVE_LANGUAGE = "abusive_language"
LINK_OR_AD = "link_or_ad"
DUPLICATE_TEXT = "duplicate_text"
BURST_HOME = "burst_home"
BURST_SOURCE = "burst_source"
CONFLICT_OF_INTEREST = "conflict_of_interest"
CODES = (PERSONAL_DATA, ABUSIVE_LANGUAGE, LINK_OR_AD, DUPLICATE_TEXT, BURST_HOME, BURST_SOURCE,
         CONFLICT_OF_INTEREST)

# Duplicates. Reviews of one home cluster in time; 90 days catches copy-paste campaigns while keeping the
# candidate query small, and the row cap bounds it even for a home or address that is being flooded.
DUPLICATE_LOOKBACK = timedelta(days=90)
DUPLICATE_MAX_CANDIDATES = 500
# Short texts ("很好", "服务不错") repeat honestly; only texts with this many letters/digits can be copies.
DUPLICATE_MIN_CHARS = 15
# SimHash over bigrams/shingles: copies with a few words changed stay within ~12 of 64 bits, unrelated
# reviews of the same home sit at 16..38 (measured on the examples in tests/reviews/test_screening.py).
# The feature-set overlap (Jaccard) confirms a near match so that short texts with a few shared
# stock phrases are not reported.
NEAR_DUPLICATE_MAX_HAMMING = 14
NEAR_DUPLICATE_MIN_JACCARD = 0.5

# Bursts of reviews for one home: a home gets a few reviews a month, so five in a day is rare without a
# campaign; the rate factor keeps a popular home's ordinary busy day (its 90-day average) from tripping it.
BURST_HOME_WINDOW = timedelta(hours=24)
BURST_HOME_MIN = 5
BURST_HOME_RATE_FACTOR = 5
BURST_BASELINE = timedelta(days=90)
# Bursts from one source: a family may review two homes they toured from one phone on one day; three from
# one address or device is unusual. A /24 (IPv4) or /64 (IPv6) is shared by a household, an office or a
# care home's guest Wi-Fi, so the network threshold is higher than the single-address one.
BURST_SOURCE_WINDOW = timedelta(hours=24)
BURST_SAME_ADDRESS_MIN = 3
BURST_SAME_NETWORK_MIN = 6
BURST_SAME_DEVICE_MIN = 3
BURST_MAX_ROWS = 1000

# Mail and hosting domains that many unrelated people share: a match on these says nothing.
SHARED_DOMAINS = frozenset({
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "139.com",
    "aliyun.com", "189.cn", "wo.cn", "gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "weibo.com", "dianping.com", "meituan.com", "taobao.com", "github.io",
})
_SECOND_LEVEL = frozenset({"com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "com.hk", "org.hk",
                           "co.uk", "org.uk", "com.tw"})


@dataclass(frozen=True)
class Signal:
    """One screening finding: a stable code, its risk contribution (0..100) and the evidence behind it."""

    code: str
    risk: int
    evidence: dict


# --- text folding ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Folded:
    text: str
    origin: tuple  # origin[i] = index in the original text of folded character i

    def span(self, start, end):
        """Map a span of the folded text back to the original text."""
        return self.origin[start], self.origin[end - 1] + 1


def _fold(text):
    """Fold TEXT for matching (NFKC: full-width to half-width; case-folded), keeping the way back."""
    chars, origin = [], []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch).casefold():
            chars.append(out)
            origin.append(i)
    return _Folded("".join(chars), tuple(origin))


def _compact(folded):
    """Keep only letters and digits of FOLDED: spaces, punctuation, symbols and emoji inserted go."""
    keep = [i for i, ch in enumerate(folded.text) if unicodedata.category(ch)[0] in "LN"]
    return _Folded("".join(folded.text[i] for i in keep), tuple(folded.origin[i] for i in keep))


def normalised_text(text):
    """Return TEXT folded and reduced to its letters and digits (the key for exact duplicates)."""
    return _compact(_fold(text or "")).text


def _mask(value, keep_start=3, keep_end=4):
    """Mask the middle of VALUE: 13800138000 -> 138****8000."""
    if len(value) <= keep_start + keep_end:
        return value[:1] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def _match(kind, span, shown):
    return {"kind": kind, "text": shown, "start": span[0], "end": span[1]}


# --- personal data --------------------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<![\d+])(?:\(?(?:\+|00)?86\)?[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(?:\((0(?:10|2\d|[3-9]\d{2}))\)|(0(?:10|2\d|[3-9]\d{2})))[\s-]?"
                       r"([2-8]\d{2,3})[\s-]?(\d{4})(?!\d)")
_RESIDENT_ID = re.compile(r"(?<![0-9a-z])([1-9]\d{5})\s?((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
                          r"\s?(\d{3}[0-9x])(?![0-9a-z])")
_EMAIL = re.compile(r"(?<![a-z0-9._%+-])([a-z0-9][a-z0-9._%+-]*)@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
                    r"(?![a-z0-9-])")
_IM = re.compile(r"(?<![a-z])(微信|威信|薇信|v信|vx|wx|wechat|weixin|qq|扣扣|企鹅)\s*(号|id)?\s*([:是为])?\s*"
                 r"([a-z][-_a-z0-9]{5,19}|[1-9]\d{4,10})(?![-_a-z0-9])")
_ZH_NUM = "[0-9一二三四五六七八九十百零〇两]+"
_ADDRESS_ZH = re.compile(
    rf"(?<![0-9一二三四五六七八九十百零〇两月日])(?P<lane>{_ZH_NUM}\s*弄\s*)?(?P<no>{_ZH_NUM}\s*号(?!楼)\s*)?"
    rf"(?P<building>{_ZH_NUM}\s*(?:号楼|栋|幢|座)\s*)?(?P<unit>{_ZH_NUM}\s*单元\s*)?"
    rf"(?P<room>{_ZH_NUM}\s*(?:室|房间|房)|(?<=单元)\d{{3,4}}(?!\d))?")
_ADDRESS_EN = re.compile(
    r"(?<![a-z])(?:room|rm|flat|apt|apartment|unit)\.?\s*#?\d+[a-z]?(?![a-z0-9])[^.\n]{0,20}?(?<![a-z])"
    r"(?:no\.?\s*)?\d+\s*,?\s*(?:lane\s*\d+\s*,?\s*)?[a-z]+(?:\s[a-z]+){0,2}\s+"
    r"(?:road|rd|street|st|lane|ln|avenue|ave)(?![a-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id_valid(number):
    """Say whether an 18-character resident ID number carries the right GB 11643 check digit."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


def _mobiles(folded):
    for m in _MOBILE.finditer(folded.text):
        yield _match("mobile", folded.span(*m.span()), f"{m[1]}****{m[3]}")


def _landlines(folded):
    for m in _LANDLINE.finditer(folded.text):
        yield _match("landline", folded.span(*m.span()), f"{m[1] or m[2]}-****{m[4]}")


def _resident_ids(folded):
    for m in _RESIDENT_ID.finditer(folded.text):
        number = (m[1] + m[2] + m[3]).upper()
        if resident_id_valid(number):
            yield _match("resident_id", folded.span(*m.span()), _mask(number))


def _emails(folded):
    for m in _EMAIL.finditer(folded.text):
        yield _match("email", folded.span(*m.span()), f"{m[1][:1]}***@{m[2]}")


def _im_ids(folded):
    for m in _IM.finditer(folded.text):
        has_marker = bool(m[2] or m[3])
        if not has_marker and m[4].isalpha():  # "wechat account", "QQ group": words, not ids
            continue
        yield _match(_im_kind(m[1]), folded.span(*m.span()), f"{m[1]} {m[4][:2]}****{m[4][-2:]}")


def _im_kind(label):
    return "qq" if label in ("qq", "扣扣", "企鹅") else "wechat"


def _addresses(folded):
    for m in _ADDRESS_ZH.finditer(folded.text):
        parts = [name for name in ("lane", "no", "building", "unit", "room") if m[name]]
        if len(parts) >= 2:  # one part ("3号楼", "88号") names a building of the home, not where someone lives
            shown = re.sub(r"\s+", "", re.sub(_ZH_NUM, "*", m[0]))
            yield _match("address", folded.span(*m.span()), shown)
    for m in _ADDRESS_EN.finditer(folded.text):
        yield _match("address", folded.span(*m.span()), re.sub(r"\d", "*", m[0]))


_SPOKEN_DIGITS = str.maketrans("零〇幺一二三四五六七八九", "001123456789")


def _spoken_digits(folded):
    """Read digits written as Chinese numerals one by one (一三八…, 幺 for 1), as people dodge filters."""
    return _Folded(folded.text.translate(_SPOKEN_DIGITS), folded.origin)


def _contacts(folded):
    """Yield phone numbers and messenger ids found in FOLDED (what an advert leaves to be reached)."""
    yield from _mobiles(_spoken_digits(folded))
    yield from _landlines(_spoken_digits(folded))
    yield from _im_ids(folded)


def find_personal_data(text):
    """Return the personal data in TEXT as matches {kind, text (masked), start, end}, in text order."""
    folded = _fold(text or "")
    found = [*_contacts(folded), *_resident_ids(folded), *_emails(folded), *_addresses(folded)]
    return _without_overlaps(found)


def _without_overlaps(matches):
    """Keep the longest of overlapping matches (a mobile inside "微信 13800138000" is reported once)."""
    kept = []
    for m in sorted(matches, key=lambda m: (m["start"], -(m["end"] - m["start"]))):
        if not kept or m["start"] >= kept[-1]["end"]:
            kept.append(m)
    return kept


_PERSONAL_RISK = {"resident_id": 60, "mobile": 50, "wechat": 50, "qq": 50, "email": 40, "landline": 30,
                  "address": 40}


def detect_personal_data(text):
    """Return a personal_data Signal for TEXT, or None."""
    matches = find_personal_data(text)
    if not matches:
        return None
    kinds = sorted({m["kind"] for m in matches})
    risk = min(max(_PERSONAL_RISK[k] for k in kinds) + 10 * (len(kinds) - 1), 80)
    return Signal(PERSONAL_DATA, risk, {"matches": matches, "kinds": kinds})


# --- word lists -----------------------------------------------------------------------------------------

_LEET = {"a": "a@4*", "e": "e3*", "i": "i1!*", "o": "o0*", "u": "uv*", "s": "s$5"}
_SEPARATORS = r"[^a-z0-9\u3400-\u9fff]+"
_SUFFIX = r"(?:s|es|ed|er|ers|ing|in|y)?"


@dataclass(frozen=True)
class _Term:
    text: str
    pattern: re.Pattern
    latin: bool  # matched on the folded text with word boundaries; otherwise on the compacted text
    tag: str = ""


def _read_list(name):
    """Return (section, line) pairs of word list NAME, without comments and blank lines."""
    section, rows = "", []
    for raw in (WORDLISTS / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if re.fullmatch(r"\[\w+\]", line):
            section = line[1:-1]
        elif line:
            rows.append((section, unicodedata.normalize("NFKC", line).casefold()))
    return rows


def _latin_word(word):
    """Return a regex for WORD: repeated letters and, for words of four letters or more, disguises."""
    runs = [(m[0][0], len(m[0])) for m in re.finditer(r"(.)\1*", word)]  # "ss" in asshole: one s{2,}
    if len(word) < 4:
        return "".join(f"{re.escape(c)}{{{n},}}" for c, n in runs)
    plain = "".join(f"{_letter_class(c)}{{{n},}}" for c, n in runs)
    spaced = _SEPARATORS.join(_letter_class(c) for c in word)
    return f"(?:{plain}|{spaced})"


def _letter_class(letter):
    return f"[{re.escape(_LEET[letter])}]" if letter in _LEET else re.escape(letter)


def _compile_term(term, tag=""):
    """Compile one word-list TERM (Latin: whole words; Chinese: substring of the compacted text)."""
    if term.isascii():
        words = r"[\W_]*".join(_latin_word(w) for w in term.split())
        return _Term(term, re.compile(rf"(?<![a-z0-9])(?:{words}){_SUFFIX}(?![a-z0-9])"), True, tag)
    body = "".join(re.escape(c) for c in term.replace(" ", ""))
    before = r"(?<![a-z])" if term[0].isascii() and term[0].isalpha() else ""
    after = r"(?![a-z])" if term[-1].isascii() and term[-1].isalpha() else ""
    return _Term(term, re.compile(before + body + after), False, tag)


@functools.cache
def _terms(*names):
    return tuple(_compile_term(text, section) for name in names for section, text in _read_list(name))


def _find_terms(text, terms, allowed=()):
    """Return matches {term, text, start, end, tag} of TERMS in TEXT, minus those inside ALLOWED phrases."""
    folded = _fold(text or "")
    compact = _compact(folded)

    def spans(term_list):
        for term in term_list:
            source = folded if term.latin else compact
            for m in term.pattern.finditer(source.text):
                yield term, source.span(*m.span())

    safe = [span for _, span in spans(allowed)]
    found = [{"term": term.text, "text": text[start:end], "start": start, "end": end, "tag": term.tag}
             for term, (start, end) in spans(terms)
             if not any(start < s_end and s_start < end for s_start, s_end in safe)]
    return _without_overlaps(found)


def find_abusive_language(text):
    """Return the abusive terms in TEXT as matches {term, text, start, end}."""
    matches = _find_terms(text, _terms("abuse_zh.txt", "abuse_en.txt"), _terms("abuse_allow.txt"))
    return [{k: v for k, v in m.items() if k != "tag"} for m in matches]


def detect_abusive_language(text):
    """Return an abusive_language Signal for TEXT, or None."""
    matches = find_abusive_language(text)
    if not matches:
        return None
    distinct = {m["term"] for m in matches}
    return Signal(ABUSIVE_LANGUAGE, min(30 + 15 * len(distinct), 80), {"matches": matches})


# --- links and advertising ------------------------------------------------------------------------------

_TLDS = ("com|cn|net|org|info|biz|top|xyz|vip|cc|tv|me|io|co|shop|site|online|club|wang|ltd|ink|link|app|hk|"
         "asia|store|work|fun|life|mobi|pro")
_URL_CHARS = r"[a-z0-9\-._~/?#@!$&*+=%:]"
_URL = re.compile(rf"(?:https?://|www\.){_URL_CHARS}+"
                  rf"|(?<![a-z0-9@._-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?![a-z0-9-])"
                  rf"(?:[/:?#]{_URL_CHARS}*)?")


def find_links(text):
    """Return the URLs and bare domains in TEXT ("www.x.com", "x.cn/a") as matches."""
    folded = _fold(text or "")
    links = []
    for m in _URL.finditer(folded.text):
        url = m[0].rstrip(".:?!")  # sentence punctuation after a link is not part of it
        span = folded.span(m.start(), m.start() + len(url))
        links.append({**_match("url", span, text[span[0]:span[1]]), "url": url})
    return links


def find_ad_phrases(text):
    """Return the advertising phrases in TEXT as matches {term, text, start, end, strength}."""
    return [{"term": m["term"], "text": m["text"], "start": m["start"], "end": m["end"], "strength": m["tag"]}
            for m in _find_terms(text, _terms("ad_phrases.txt"))]


def detect_link_or_ad(text):
    """Return a link_or_ad Signal for TEXT, or None; contact details raise the risk of an advert."""
    links, phrases = find_links(text), find_ad_phrases(text)
    if not links and not phrases:
        return None
    strong = any(p["strength"] == "strong" for p in phrases)
    contacts = list(_contacts(_fold(text or "")))
    risk = 40 if links or strong else min(10 * len(phrases), 20)
    if links and strong:
        risk = 60
    if contacts and (links or phrases):
        risk = max(risk, 70)
    evidence = {"links": links, "phrases": phrases}
    if contacts:
        evidence["contacts"] = [m["text"] for m in _without_overlaps(contacts)]
    return Signal(LINK_OR_AD, risk, evidence)


def screen_text(text):
    """Run the text-only detectors on TEXT and return their Signals."""
    found = (detect_personal_data(text), detect_abusive_language(text), detect_link_or_ad(text))
    return [s for s in found if s is not None]


# --- fingerprints ---------------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")


def text_features(text):
    """Return the weighted features of TEXT: Chinese character bigrams, English words and word pairs."""
    folded = _fold(text or "").text
    features = Counter()
    for run in _HAN.findall(folded):
        features.update(run[i:i + 2] for i in range(max(len(run) - 1, 1)))
    words = _WORD.findall(_HAN.sub(" ", folded))
    features.update(words)
    features.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    return features


def _feature_hash(feature):
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(features):
    """Return the 64-bit SimHash of weighted FEATURES (a Counter), or None when there are none."""
    if not features:
        return None
    totals = [0] * 64
    for feature, weight in features.items():
        h = _feature_hash(feature)
        for bit in range(64):
            totals[bit] += weight if h >> bit & 1 else -weight
    return sum(1 << bit for bit in range(64) if totals[bit] > 0)


def fingerprint(text):
    """Return the SimHash of TEXT as 16 hex characters (what review.fingerprint stores), or None."""
    value = simhash(text_features(text))
    return None if value is None else f"{value:016x}"


def hamming(a, b):
    """Return the number of differing bits between two hex fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def jaccard(a, b):
    """Return the overlap of two feature sets (1.0: the same features)."""
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 0.0


def compare_texts(text, other, fingerprints=None):
    """Return {similarity, hamming} when OTHER duplicates or nearly duplicates TEXT, else None."""
    key = normalised_text(text)
    if len(key) < DUPLICATE_MIN_CHARS:
        return None
    if key == normalised_text(other):
        return {"similarity": 1.0, "hamming": 0, "exact": True}
    mine, theirs = fingerprints or (fingerprint(text), fingerprint(other))
    if not mine or not theirs:
        return None
    distance = hamming(mine, theirs)
    if distance > NEAR_DUPLICATE_MAX_HAMMING:
        return None
    overlap = jaccard(text_features(text), text_features(other))
    if overlap < NEAR_DUPLICATE_MIN_JACCARD:
        return None
    return {"similarity": round(overlap, 3), "hamming": distance, "exact": False}


# --- database detectors ---------------------------------------------------------------------------------

def _created(review):
    return review.created_at or utcnow()


def _duplicate_candidates(review):
    """Return recent other reviews of the same home, author, address or device, or with the same fingerprint.

    The fingerprint (indexed) finds one template posted from different accounts and addresses about
    different homes; the other keys find edited copies. The look-back and the row cap bound the query.
    """
    from reviews.models import Review

    scope = [Review.home_id == review.home_id]
    for column, value in ((Review.author_id, review.author_id), (Review.source_ip, review.source_ip),
                          (Review.device_id, review.device_id), (Review.fingerprint, review.fingerprint)):
        if value:
            scope.append(column == value)
    stmt = (sa.select(Review.id, Review.home_id, Review.author_id, Review.text, Review.fingerprint)
            .where(Review.id != review.id, Review.is_demo.is_(False),
                   Review.created_at >= _created(review) - DUPLICATE_LOOKBACK,
                   sa.or_(*scope))
            .order_by(Review.created_at.desc(), Review.id.desc()).limit(DUPLICATE_MAX_CANDIDATES))
    return db.session.execute(stmt).all()


def detect_duplicates(review):
    """Return a duplicate_text Signal when REVIEW copies or nearly copies other recent reviews, or None."""
    mine = review.fingerprint or fingerprint(review.text)
    similar = []
    for row in _duplicate_candidates(review):
        if review.author_id and row.author_id == review.author_id and row.home_id == review.home_id:
            continue  # the author's own earlier review of this home: a rewrite, not a copy
        result = compare_texts(review.text or "", row.text or "", (mine, row.fingerprint or fingerprint(row.text)))
        if result:
            similar.append({"review_id": row.id, "home_id": row.home_id, **result})
    if not similar:
        return None
    similar.sort(key=lambda s: (-s["similarity"], s["review_id"]))
    risk = 60 if any(s["exact"] for s in similar) else 40
    risk = min(risk + (10 if len(similar) >= 3 else 0) + (10 if len({s["home_id"] for s in similar}) > 1 else 0),
               80)
    return Signal(DUPLICATE_TEXT, risk, {"similar": similar[:20], "count": len(similar),
                                         "lookback_days": DUPLICATE_LOOKBACK.days})


def _home_reviews_between(home_id, start, end):
    """Return the conditions for real reviews of HOME_ID created after START up to and including END."""
    from reviews.models import Review

    return (Review.home_id == home_id, Review.is_demo.is_(False), Review.created_at > start, Review.created_at <= end)


def detect_home_burst(review):
    """Return a burst_home Signal when REVIEW's home gets many reviews in a day against its usual rate."""
    from reviews.models import Review

    now = _created(review)
    start = now - BURST_HOME_WINDOW
    recent = db.session.scalar(sa.select(sa.func.count()).where(*_home_reviews_between(review.home_id, start, now)))
    before = db.session.scalar(sa.select(sa.func.count()).where(
        *_home_reviews_between(review.home_id, start - BURST_BASELINE, start)))
    usual = before / (BURST_BASELINE / BURST_HOME_WINDOW)
    if recent < max(BURST_HOME_MIN, BURST_HOME_RATE_FACTOR * usual):
        return None
    ids = db.session.scalars(sa.select(Review.id).where(*_home_reviews_between(review.home_id, start, now))
                             .order_by(Review.id).limit(50)).all()
    return Signal(BURST_HOME, min(30 + 5 * (recent - BURST_HOME_MIN), 70),
                  {"count": recent, "window_hours": _hours(BURST_HOME_WINDOW), "usual_per_window": round(usual, 2),
                   "baseline_days": BURST_BASELINE.days, "review_ids": ids})


def _hours(delta):
    return int(delta.total_seconds() // 3600)


def network_of(address):
    """Return the /24 (IPv4) or /64 (IPv6) network of ADDRESS as a string, or None when it is not an IP."""
    ip = _ip(address)
    if ip is None:
        return None
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _ip(address):
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def _network_prefix_pattern(ip):
    """Return a LIKE pattern that every textual form of an address in IP's network starts with."""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".%"
    first = ip.exploded.split(":")[0].lstrip("0")
    return f"{first}:%" if first else None


def _source_rows(review):
    """Return recent reviews from REVIEW's device or address network (bounded), including REVIEW."""
    from reviews.models import Review

    now = _created(review)
    scope = []
    ip = _ip(review.source_ip)
    pattern = _network_prefix_pattern(ip) if ip else None
    if pattern:
        scope.append(sa.func.lower(Review.source_ip).like(pattern))
        if ip.version == 4:
            scope.append(Review.source_ip.like(f"::ffff:{pattern}"))
    if review.device_id:
        scope.append(Review.device_id == review.device_id)
    if not scope:
        return []
    stmt = (sa.select(Review.id, Review.home_id, Review.source_ip, Review.device_id)
            .where(Review.is_demo.is_(False), Review.created_at >= now - BURST_SOURCE_WINDOW,
                   Review.created_at <= now, sa.or_(*scope))
            .order_by(Review.created_at.desc(), Review.id.desc()).limit(BURST_MAX_ROWS))
    rows = db.session.execute(stmt).all()
    if review.id not in {r.id for r in rows}:
        rows.append(_Row(review.id, review.home_id, review.source_ip, review.device_id))
    return rows


@dataclass(frozen=True)
class _Row:
    id: int
    home_id: int
    source_ip: str | None
    device_id: str | None


def _source_findings(review, rows):
    """Return the address, network and device bursts among ROWS as evidence dicts (possibly none)."""
    findings = []
    ip, network = _ip(review.source_ip), network_of(review.source_ip)
    if ip is not None:
        same_address = [r for r in rows if _ip(r.source_ip) == ip]
        same_network = [r for r in rows if network_of(r.source_ip) == network]
        if len(same_address) >= BURST_SAME_ADDRESS_MIN:
            findings.append(_finding("address", network, same_address, BURST_SAME_ADDRESS_MIN))
        if len(same_network) >= BURST_SAME_NETWORK_MIN:
            findings.append(_finding("network", network, same_network, BURST_SAME_NETWORK_MIN))
    if review.device_id:
        same_device = [r for r in rows if r.device_id == review.device_id]
        if len(same_device) >= BURST_SAME_DEVICE_MIN:
            shown = _mask(review.device_id, 4, 0) if len(review.device_id) > 4 else "****"
            findings.append(_finding("device", shown, same_device, BURST_SAME_DEVICE_MIN))
    return findings


def _finding(kind, source, rows, threshold):
    return {"kind": kind, "source": source, "count": len(rows), "threshold": threshold,
            "homes": len({r.home_id for r in rows}), "review_ids": sorted(r.id for r in rows)[:50]}


_SOURCE_RISK = {"address": 40, "network": 30, "device": 50}


def detect_source_burst(review):
    """Return a burst_source Signal when many reviews come from REVIEW's address, network or device."""
    findings = _source_findings(review, _source_rows(review))
    if not findings:
        return None
    risk = min(max(_SOURCE_RISK[f["kind"]] for f in findings) + 10 * (len(findings) - 1), 80)
    return Signal(BURST_SOURCE, risk, {"window_hours": _hours(BURST_SOURCE_WINDOW), "findings": findings})


def registrable_domain(host):
    """Return the registrable domain of HOST ("mail.x.com.cn" -> "x.com.cn"), or None."""
    labels = [label for label in (host or "").lower().strip().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    size = 3 if len(labels) >= 3 and ".".join(labels[-2:]) in _SECOND_LEVEL else 2
    return ".".join(labels[-size:])


def website_domain(website):
    """Return the registrable domain of a WEBSITE given with or without scheme, or None."""
    website = (website or "").strip()
    if not website:
        return None
    try:
        host = urlsplit(website if "//" in website else f"//{website}").hostname
    except ValueError:
        return None
    return registrable_domain(host)


def _email_domain(email):
    domain = registrable_domain(email.rsplit("@", 1)[1]) if email and "@" in email else None
    return None if domain in SHARED_DOMAINS else domain


def _provider_relations(author, home):
    """Return how a provider user AUTHOR relates to HOME: own home, competitor in its city, or staff elsewhere."""
    from marketplace.models import Home

    if home.provider_id == author.provider_id:
        return [{"relation": "own_home", "provider_id": author.provider_id, "home_id": home.id}]
    rivals = db.session.scalars(sa.select(Home.id).where(Home.provider_id == author.provider_id,
                                                         Home.city_code == home.city_code)
                                .order_by(Home.id).limit(10)).all()
    if rivals:
        return [{"relation": "competitor", "provider_id": author.provider_id, "city_code": home.city_code,
                 "competing_home_ids": rivals}]
    return [{"relation": "provider_staff", "provider_id": author.provider_id}]


def _operator_domains(home):
    """Return {domain: home_id} of the websites of HOME and of the other homes of its operator."""
    from marketplace.models import Home

    homes = [home]
    if home.provider_id:
        homes = db.session.scalars(sa.select(Home).where(Home.provider_id == home.provider_id)).all()
    domains = {website_domain(h.website): h.id for h in homes if h.website}
    provider_site = getattr(home.provider, "website", None) if home.provider_id else None
    if provider_site:
        domains.setdefault(website_domain(provider_site), home.id)
    domains.pop(None, None)
    return domains


def _domain_relations(author, home):
    """Return the links between AUTHOR's e-mail domain and the websites of HOME's operator or its rivals."""
    from marketplace.models import Home

    domain = _email_domain(author.email)
    if not domain:
        return []
    own = _operator_domains(home)
    if domain in own:
        return [{"relation": "email_domain", "domain": domain, "home_id": own[domain]}]
    rivals = db.session.scalars(sa.select(Home).where(Home.city_code == home.city_code, Home.website != "",
                                                      Home.id != home.id).limit(500)).all()
    matches = [h.id for h in rivals if (h.provider_id is None or h.provider_id != home.provider_id)
               and website_domain(h.website) == domain]
    if matches:
        return [{"relation": "competitor_email_domain", "domain": domain, "competing_home_ids": matches[:10]}]
    return []


_CONFLICT_RISK = {"own_home": 90, "email_domain": 80, "competitor": 70, "competitor_email_domain": 60,
                  "provider_staff": 30}


def detect_conflict_of_interest(review):
    """Return a conflict_of_interest Signal when REVIEW's author is linked to the home's operator or a rival."""
    from accounts.models import User
    from marketplace.models import Home

    author = db.session.get(User, review.author_id) if review.author_id else None
    home = db.session.get(Home, review.home_id)
    if author is None or home is None:
        return None
    relations = _provider_relations(author, home) if author.provider_id else []
    relations += _domain_relations(author, home)
    if not relations:
        return None
    risk = max(_CONFLICT_RISK[r["relation"]] for r in relations)
    return Signal(CONFLICT_OF_INTEREST, risk, {"reviewer_id": author.id, "reviewer_role": author.role,
                                               "relations": relations})


def screen(review):
    """Screen a flushed REVIEW: set review.fingerprint and return its Signals, highest risk first."""
    review.fingerprint = fingerprint(review.text or "")
    found = [*screen_text(review.text or ""), detect_duplicates(review), detect_home_burst(review),
             detect_source_burst(review), detect_conflict_of_interest(review)]
    return sorted((s for s in found if s is not None), key=lambda s: -s.risk)
