"""Text fingerprints (SimHash over bigrams and shingles) and how close two texts are."""

import hashlib
import re
from collections import Counter

from reviews.screening.base import _fold, normalised_text

# Short texts ("很好", "服务不错") repeat honestly; only texts with this many letters/digits can be copies.
DUPLICATE_MIN_CHARS = 15
# SimHash over bigrams/shingles: copies with a few words changed stay within ~12 of 64 bits, unrelated
# reviews of the same home sit at 16..38 (measured on the examples in tests/reviews/test_screening.py).
# The feature-set overlap (Jaccard) confirms a near match so that short texts with a few shared
# stock phrases are not reported.
NEAR_DUPLICATE_MAX_HAMMING = 14
NEAR_DUPLICATE_MIN_JACCARD = 0.5


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
