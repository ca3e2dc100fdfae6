"""What every detector shares: the signal codes, the Signal, and text folding that keeps the way back."""

import unicodedata
from dataclasses import dataclass
from pathlib import Path

WORDLISTS = Path(__file__).resolve().parent.parent / "wordlists"

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


@dataclass(frozen=True)
class Signal:
    """One screening finding: a stable code, its risk contribution (0..100) and the evidence behind it."""

    code: str
    risk: int
    evidence: dict



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
