"""Automatic screening every review passes before anyone sees it (see docs/review-screening.md).

`screen(review)` runs the detectors on a flushed Review and returns one Signal per detector that fired, each
with a risk contribution (0..100) and JSON-serialisable evidence for the moderation queue. One module per
concern: the text detectors (personal_data, language, links) are pure functions of the text; fingerprints
says how close two texts are; the others (duplicates, bursts, conflicts of interest) read the database with
bounded queries and never write. base holds the codes, the Signal and text folding. Every public name
stays importable from `reviews.screening`.
"""

from reviews.screening.base import (  # noqa: F401
    ABUSIVE_LANGUAGE,
    BURST_HOME,
    BURST_SOURCE,
    CODES,
    CONFLICT_OF_INTEREST,
    DUPLICATE_TEXT,
    LINK_OR_AD,
    PERSONAL_DATA,
    WORDLISTS,
    Signal,
    normalised_text,
)
from reviews.screening.bursts import (  # noqa: F401
    BURST_BASELINE,
    BURST_HOME_MIN,
    BURST_HOME_RATE_FACTOR,
    BURST_HOME_WINDOW,
    BURST_MAX_ROWS,
    BURST_SAME_ADDRESS_MIN,
    BURST_SAME_DEVICE_MIN,
    BURST_SAME_NETWORK_MIN,
    BURST_SOURCE_WINDOW,
    detect_home_burst,
    detect_source_burst,
    network_of,
)
from reviews.screening.conflicts import (  # noqa: F401
    SHARED_DOMAINS,
    detect_conflict_of_interest,
    registrable_domain,
    website_domain,
)
from reviews.screening.duplicates import DUPLICATE_LOOKBACK, DUPLICATE_MAX_CANDIDATES, detect_duplicates  # noqa: F401
from reviews.screening.fingerprints import (  # noqa: F401
    DUPLICATE_MIN_CHARS,
    NEAR_DUPLICATE_MAX_HAMMING,
    NEAR_DUPLICATE_MIN_JACCARD,
    compare_texts,
    fingerprint,
    hamming,
    jaccard,
    simhash,
    text_features,
)
from reviews.screening.language import _read_list, detect_abusive_language, find_abusive_language  # noqa: F401
from reviews.screening.links import detect_link_or_ad, find_ad_phrases, find_links  # noqa: F401
from reviews.screening.personal_data import detect_personal_data, find_personal_data, resident_id_valid  # noqa: F401


def screen_text(text):
    """Run the text-only detectors on TEXT and return their Signals."""
    found = (detect_personal_data(text), detect_abusive_language(text), detect_link_or_ad(text))
    return [s for s in found if s is not None]


def screen(review):
    """Screen a flushed REVIEW: set review.fingerprint and return its Signals, highest risk first."""
    review.fingerprint = fingerprint(review.text or "")
    found = [*screen_text(review.text or ""), detect_duplicates(review), detect_home_burst(review),
             detect_source_burst(review), detect_conflict_of_interest(review)]
    return sorted((s for s in found if s is not None), key=lambda s: -s.risk)
