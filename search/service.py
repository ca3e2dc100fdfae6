"""Running a search for a page or an API call: the one entry point above the backends.

With a Lexicon (search/understanding.py) the typed words are understood first: places and care words become
structured constraints, the rest stays text. When that finds nothing, a word that matches no home at all is
dropped and the search runs again without it (the result names the dropped words: never zero results because
of one stray word). Before a word is dropped, it is tried with one typo tolerated against the words of home
names (analysis.py: yongshuo finds Yongshou Care Home); a word that then matches is kept that way instead.
Exact words come first: a word that matches as typed is never widened to its neighbours. A query whose every
word matched nothing, and that named no place or care word, is nonsense: it finds nothing, and the result
suggests the closest names the lexicon knows.
"""

import logging
import time
from dataclasses import replace

from flask import current_app
from flask_babel import gettext as _

from core import signals
from core.errors import SearchUnavailable
from search.analysis import typo_alternatives
from search.backend import current_backend
from search.query import FACETS, SearchQuery, SearchResult
from search.understanding import suggestions, understand

log = logging.getLogger(__name__)
# words tried with typos per query: each brings about 4 x its length alternatives, and OpenSearch (Lucene 9)
# refuses a query of more than 1,024 clauses in all (three 20-letter words and nine others stay under it)
MAX_TYPO_WORDS = 3


def query_kind(query):
    """Name the kind of QUERY for metrics: near, text, filter or browse, with _deep past the first pages."""
    kind = "near" if query.near else "text" if query.text else "filter" if _has_filters(query) else "browse"
    return kind + ("_deep" if query.page > 5 else "")


def _has_filters(query):
    return any((query.province, query.city, query.district, query.care_level, query.min_price_fen,
                query.max_price_fen, query.min_grade, query.min_quality, query.has_vacancy, query.ownership,
                query.features))


def run_search(query, lexicon=None):
    """Validate QUERY, understand its text with LEXICON (if given) and run it; raise SearchUnavailable if down."""
    query.validate()
    backend, started = current_app.config["SEARCH_BACKEND"], time.perf_counter()
    try:
        if lexicon is None or not query.text.strip():
            result = current_backend().search(query)
        else:
            result = understood_search(current_backend(), query, lexicon)
    except SearchUnavailable:
        signals.search_finished.send(None, backend=backend, kind=query_kind(query), seconds=0.0, failed=True)
        raise
    except (ConnectionError, TimeoutError, OSError) as exc:
        log.warning("search engine unreachable: %s", exc)
        signals.search_finished.send(None, backend=backend, kind=query_kind(query), seconds=0.0, failed=True)
        raise SearchUnavailable(_("Search is temporarily unavailable. Please try again in a moment.")) from exc
    signals.search_finished.send(None, backend=backend, kind=query_kind(query),
                                 seconds=time.perf_counter() - started, failed=False)
    return result


def structured_query(query, understood, typo_words=()):
    """Return QUERY with its text replaced by what UNDERSTOOD read from it (TYPO_WORDS tolerating one edit)."""
    return replace(query, text=understood.text, typo_words=typo_words, places=query.places + understood.places,
                   requirements=query.requirements + understood.requirements,
                   preferences=query.preferences + understood.preferences)


def _matches_nothing(backend, word, typo=False):
    query = SearchQuery(text=word, typo_words=(word,) if typo else (), per_page=1, with_facets=False)
    return backend.search(query).total == 0


def _mistyped(backend, word):
    """Say whether WORD, which matches nothing as typed, matches a home name's word one edit away."""
    return bool(typo_alternatives(word)) and not _matches_nothing(backend, word, typo=True)


def understood_search(backend, query, lexicon):
    """Understand QUERY's text with LEXICON, run it on BACKEND, relax words that match nothing (see above)."""
    probed = {}  # word -> matches nothing: understanding and relaxing ask about the same words

    def matches_nothing(word):
        if word not in probed:
            probed[word] = _matches_nothing(backend, word)
        return probed[word]

    understood = understand(query.text, lexicon, known=lambda word: not matches_nothing(word))
    result = backend.search(structured_query(query, understood))
    result.recognised = understood.recognised
    if result.total or not understood.free_words:
        return result
    unmatched = tuple(w for w in understood.free_words if matches_nothing(w))
    if not unmatched:
        return result  # every word is known: the combination is what finds nothing
    mistyped = tuple(w for w in unmatched[:MAX_TYPO_WORDS] if _mistyped(backend, w))
    dropped = tuple(w for w in unmatched if w not in mistyped)
    if len(dropped) == len(understood.free_words) and not understood.recognised:
        return _nothing(query, dropped, suggestions(dropped, lexicon))
    kept = replace(understood, free_words=tuple(w for w in understood.free_words if w not in dropped))
    result = backend.search(structured_query(query, kept, typo_words=mistyped))
    result.recognised, result.dropped = understood.recognised, dropped
    return result


def _nothing(query, dropped, suggested):
    facets = {name: [] for name in FACETS} if query.with_facets else {}
    return SearchResult(total=0, hits=[], facets=facets, dropped=dropped, suggestions=suggested)


def understood_query(query, lexicon):
    """Return QUERY with its typed words understood with LEXICON, as run_search reads them (no words dropped)."""
    if lexicon is None or not query.text.strip():
        return query
    backend = current_backend()
    return structured_query(query, understand(query.text, lexicon,
                                              known=lambda word: not _matches_nothing(backend, word)))
