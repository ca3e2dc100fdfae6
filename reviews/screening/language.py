"""Abusive language: word lists (reviews/wordlists) matched through leetspeak, separators and suffixes."""

import functools
import re
import unicodedata
from dataclasses import dataclass

from reviews.screening.base import ABUSIVE_LANGUAGE, WORDLISTS, Signal, _compact, _fold
from reviews.screening.personal_data import _without_overlaps

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
