"""Links and advertising in a review's text."""

import re

from reviews.screening.base import LINK_OR_AD, Signal, _fold, _match
from reviews.screening.language import _find_terms, _terms
from reviews.screening.personal_data import _contacts, _without_overlaps

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
