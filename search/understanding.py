"""Query understanding: the words a family types -> places, care requirements and the words left to match.

Where it lives, and why. `search/` imports no domain package, yet reading 南京鼓楼 needs the gazetteer and
reading 失智 needs the care vocabulary. So this module knows words and nothing else: it is handed a Lexicon,
plain data (each place's codes and written forms; each care word's forms and the requirement it stands for),
built once per process by the packages that own that data (marketplace/search_terms.py, which may import geo
and core.vocab) and registered at app start (search.service.register_lexicon). The output is a structured
SearchQuery (places, requirements, text), the same for every backend: no backend understands words itself.

Reading, in order:
* Han runs are cut greedily, longest first, into place names (with or without their suffix: 南京, 南京市,
  鼓楼, 鼓楼区), care words (护理院, 失智 ...) and the free characters between them (南京鼓楼护理院 ->
  南京 | 鼓楼 | 护理院), so a city and a district written together are two places, not one broken bigram.
* Latin words (tones and tone digits stripped) are read as place pinyin or English, alone or run together
  (nanjing gulou, nanjinggulou, Nán jīng), and as care words in English or pinyin (dementia, shizhi); a word of
  five letters or more also matches a form one edit away (hangzou -> hangzhou). Administrative suffix words
  after a place (district, city, qu, shi ...) are absorbed.
* Pinyin initials name places only as a prefix of at least two syllables of a place's name (nj, njs: 南京市),
  and only a city or a province alone, or a chain each link of which lies inside the one before (njgl:
  Nanjing's Gulou; jssz: 江苏's 苏州): a district's two letters alone name too many (gl: 鼓楼 twice, 广陵), and
  unrelated initials run together are key-mashing (wxyz is not 无锡 + 扬州). Home names' initials are text
  (analysis.py `ip:`); a word read as place initials is not also a name's.
* Places: a district named with its city (or province) keeps only the readings inside it (南京鼓楼 -> Nanjing's
  Gulou); a name with several readings keeps them all (鼓楼 alone: Nanjing and Xuzhou; suzhou: 苏州 and 宿州);
  a city or province that only frames a named district adds nothing more.
* Everything else is free text, matched by the backends word by word (analysis.parse_query).
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from search import analysis
from search.query import Place

SUFFIX_WORDS = frozenset("district city province county qu shi sheng xian zhen".split())
_LATIN_STOP = analysis._STOPWORDS  # the words the analysis ignores: never free, never understood
_TONE_DIGIT = re.compile(r"(?<=[a-z])[1-5]")
_MAX_JOINED_WORDS = 4
MIN_TYPO_LENGTH = analysis.MIN_TYPO_LENGTH  # words this long tolerate one edit (pinyin and English)
MAX_INITIALS_PARTS = 3  # province, city, district
FILLER = "filler"  # the key of the Concept whose forms are read and then ignored


@dataclass(frozen=True)
class PlaceEntry:
    """One region and the ways to write it: Han forms (鼓楼区, 鼓楼) and Latin forms (gulou, gulouqu)."""

    code: str
    level: str  # province | city | district
    province: str
    city: str | None
    name: str
    han: tuple[str, ...]
    latin: tuple[str, ...]
    initials: tuple[str, ...] = ()  # prefixes of 2+ letters of the full name's initials (nj, njs for 南京市)

    def reading(self):
        """Return the Place this entry names."""
        return Place(self.province, self.city, self.code if self.level == "district" else None)


@dataclass(frozen=True)
class Concept:
    """A care word and its synonyms: forms in Han and Latin, the requirement it stands for (() = no constraint)."""

    key: str
    label: str  # how the page names what was understood
    han: tuple[str, ...]
    latin: tuple[str, ...]  # word sequences written joined ("memorycare"), as Latin input is compared
    requirement: tuple = ()
    preference: tuple = ()  # clauses that favour a home without requiring it (养老院: homes named so first)


@dataclass
class Lexicon:
    """The places and care words query understanding reads (plain data, handed in: see the module docstring)."""

    places: list
    concepts: list
    han: dict = field(default_factory=dict)  # form -> [PlaceEntry | Concept]
    latin: dict = field(default_factory=dict)
    initials: dict = field(default_factory=dict)  # place initials -> [PlaceEntry]
    max_han: int = 0

    def __post_init__(self):
        for entry in list(self.places) + list(self.concepts):
            for form in entry.han:
                self.han.setdefault(form, []).append(entry)
            for form in entry.latin:
                self.latin.setdefault(form, []).append(entry)
            for form in getattr(entry, "initials", ()):
                self.initials.setdefault(form, []).append(entry)
        self.max_han = max((len(f) for f in self.han), default=0)
        self._by_length = {}
        for form in self.latin:
            self._by_length.setdefault(len(form), []).append(form)

    def names(self):
        """Return ({form: [names it reads as]}, {first character: [forms]}), built once."""
        if not hasattr(self, "_names"):
            names, by_start = {}, {}
            for form, entries in list(self.latin.items()) + list(self.han.items()):
                names.setdefault(form, []).extend(e.name if isinstance(e, PlaceEntry) else e.label for e in entries)
                by_start.setdefault(form[:1], []).append(form)
            self._names = names, by_start
        return self._names

    def near_latin(self, word):
        """Return the Latin forms one edit away from WORD (words of MIN_TYPO_LENGTH letters or more)."""
        if len(word) < MIN_TYPO_LENGTH:
            return []
        candidates = [f for n in (len(word) - 1, len(word), len(word) + 1) for f in self._by_length.get(n, ())]
        return [f for f in candidates if one_edit_apart(word, f)]


@dataclass(frozen=True)
class Understood:
    """What a query said: place readings, requirements, the free words left, and what was recognised."""

    places: tuple = ()
    requirements: tuple = ()
    preferences: tuple = ()
    free_words: tuple = ()
    recognised: tuple = ()  # the labels of the places and care words read (for the page)

    @property
    def text(self):
        """The free words as query text for the backends."""
        return " ".join(self.free_words)


def one_edit_apart(a, b):
    """Say whether A and B differ by one insertion, deletion, substitution or swap of neighbours.

    A swap counts as one edit, as in Elasticsearch's fuzzy queries (fuzzy_transpositions): shanghia -> shanghai.
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b) and a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]:
        return True
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def latin_form(text):
    """Normalise Latin text for comparison: no tones, no tone digits, no apostrophes or spaces, lower case."""
    text = unicodedata.normalize("NFKD", analysis._fold(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _TONE_DIGIT.sub("", text).replace("'", "").replace(" ", "").replace("-", "")


def _runs(text):
    text = unicodedata.normalize("NFKD", analysis._fold(text))
    text = unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))
    return analysis._RUN.findall(_TONE_DIGIT.sub("", text))


def _cut_han(run, lexicon):
    """Yield ("entries", form, [entry ...]) and ("free", chars) pieces of a Han run, longest forms first."""
    i, free = 0, ""
    while i < len(run):
        for length in range(min(lexicon.max_han, len(run) - i), 0, -1):  # one character: only 的 (a filler)
            entries = lexicon.han.get(run[i : i + length])
            if entries:
                if free:
                    yield ("free", free)
                    free = ""
                yield ("entries", run[i : i + length], entries)
                i += length
                break
        else:
            free += run[i]
            i += 1
    if free:
        yield ("free", free)


def _split_joined(word, lexicon):
    """Split a word run together (nanjinggulou) into Latin forms, longest first; None when it does not split."""
    if not word:
        return []
    for end in range(len(word), 1, -1):
        if word[:end] in lexicon.latin:
            rest = _split_joined(word[end:], lexicon)
            if rest is not None:
                return [word[:end]] + rest
    return None


def _latin_entries(words, i, lexicon, known):
    """Return (words used, [(form, entries)]) for the longest reading starting at word I, or (0, [])."""
    for j in range(min(len(words), i + _MAX_JOINED_WORDS), i, -1):
        joined = "".join(words[i:j])
        if joined in lexicon.latin:
            return j - i, [(joined, lexicon.latin[joined])]
    word = words[i]
    parts = _split_joined(word, lexicon)
    if parts and len(parts) > 1:
        return 1, [(part, lexicon.latin[part]) for part in parts]
    initials = _initials_reading(word, lexicon)
    if initials:
        return 1, initials
    near = lexicon.near_latin(word)
    if near and not known(word):  # a word the index holds (a brand: yixin) is no typo of a place (yixing)
        return 1, [(word, [e for form in near for e in lexicon.latin[form]])]
    return 0, []


_LEVEL_RANK = {"province": 0, "city": 1, "district": 2}


def _inside(entry, frame):
    if _LEVEL_RANK[entry.level] <= _LEVEL_RANK[frame.level]:
        return False
    return (entry.city if frame.level == "city" else entry.province) == frame.code


def _initials_reading(word, lexicon, frame=None, parts_left=MAX_INITIALS_PARTS):
    """Return [(initials, [PlaceEntry])] for a word of place initials (see the module docstring), or None."""
    if not word:
        return [] if frame is not None else None
    if not parts_left:
        return None
    for end in range(min(len(word), analysis.MAX_INITIALS), 1, -1):
        entries = lexicon.initials.get(word[:end], ())
        fitting = [e for e in entries
                   if (e.level != "district" if frame is None else any(_inside(e, f) for f in frame))]
        rest = _initials_reading(word[end:], lexicon, fitting, parts_left - 1) if fitting else None
        if rest is not None:
            return [(word[:end], fitting)] + rest
    return None


def _cut_latin(words, lexicon, known):
    """Yield ("entries", form, entries) and ("free", word) pieces of a run of Latin words."""
    i, after_place = 0, False
    while i < len(words):
        used, found = _latin_entries(words, i, lexicon, known)
        if used:
            for form, entries in found:
                yield ("entries", form, entries)
            after_place = any(isinstance(e, PlaceEntry) for _f, es in found for e in es)
            i += used
            continue
        if not (after_place and words[i] in SUFFIX_WORDS) and words[i] not in _LATIN_STOP:
            yield ("free", words[i])
        after_place = False
        i += 1


def _pieces(text, lexicon, known):
    runs, latin = _runs(text), []
    for run in runs + [""]:
        if run and not analysis._is_han(run):
            latin.append(latin_form(run))
            continue
        if latin:
            yield from _cut_latin(latin, lexicon, known)
            latin = []
        if run:
            yield from _cut_han(run, lexicon)


def _frames(entry, district):
    return entry.code == (district.city if entry.level == "city" else district.province)


def _narrow_levels(mentions):
    """One mention, one level: a name that frames another mention's district is that frame (Lishui Longquan:
    the city 丽水, not 溧水 district of Nanjing); a name framed by another is that district (nanjing lishui:
    溧水); otherwise a name read at several levels is its widest one (lishui alone: the city). Readings at one
    level all stay (鼓楼: Nanjing's and Xuzhou's)."""
    rank = {"province": 0, "city": 1, "district": 2}
    narrowed = []
    for i, m in enumerate(mentions):
        others = [e for j, o in enumerate(mentions) if j != i for e in o if e.level == "district"]
        framing = [e for e in m if e.level != "district" and any(_frames(e, d) for d in others)]
        framed = [e for e in m if _framed(e, mentions, i)]
        top = min(rank[e.level] for e in m)
        narrowed.append(framing or framed or [e for e in m if rank[e.level] == top])
    return narrowed


def _framed(district, mentions, own):
    return district.level == "district" and any(
        _frames(e, district) for j, m in enumerate(mentions) if j != own for e in m if e.level != "district")


def _resolve_places(mentions):
    """Return the place readings of the place mentions (lists of PlaceEntry), narrowed by one another."""
    mentions = _narrow_levels(mentions)
    cities = {e.code for m in mentions for e in m if e.level == "city"}
    provinces = {e.code for m in mentions for e in m if e.level == "province"}
    districts = []
    for m in mentions:
        named = [e for e in m if e.level == "district"]
        inside = [e for e in named if e.city in cities or e.province in provinces]
        districts += inside or named
    city_readings = []
    for m in mentions:
        named = [e for e in m if e.level == "city"]
        city_readings += [e for e in named if e.province in provinces] or named
    framed_cities = {d.city for d in districts}
    city_readings = [c for c in city_readings if c.code not in framed_cities]
    framed_provinces = {r.province for r in districts + city_readings}
    province_readings = [e for m in mentions for e in m if e.level == "province" and e.code not in framed_provinces]
    readings = [e.reading() for e in districts + city_readings + province_readings]
    return tuple(dict.fromkeys(readings))


def _unknown(_word):
    return False


def understand(text, lexicon, known=_unknown):
    """Read TEXT against LEXICON: return the Understood places, requirements and free words.

    KNOWN(word) says whether the index holds WORD as it is: such a word is never read as a typo.
    """
    place_mentions, requirements, preferences, free, recognised = [], [], [], [], []
    for piece in _pieces(text or "", lexicon, known):
        if piece[0] == "free":
            free.append(piece[1])
            continue
        _kind, form, entries = piece
        places = [e for e in entries if isinstance(e, PlaceEntry)]
        concepts = [e for e in entries if isinstance(e, Concept)]
        if places:
            place_mentions.append(places)
            recognised.append("/".join(dict.fromkeys(p.name for p in places)))
        elif concepts and concepts[0].key == FILLER:
            continue  # words that only carry the sentence (的, 附近, 推荐): neither a need nor a name
        elif concepts:
            recognised.append(concepts[0].label)
            requirements += [c.requirement for c in concepts if c.requirement]
            preferences += [c.preference for c in concepts if c.preference]
    return Understood(places=_resolve_places(place_mentions), requirements=tuple(dict.fromkeys(requirements)),
                      preferences=tuple(dict.fromkeys(preferences)),
                      free_words=tuple(dict.fromkeys(free)), recognised=tuple(dict.fromkeys(recognised)))


def suggestions(words, lexicon, limit=3):
    """Return up to LIMIT known place or care-word names closest to the unmatched WORDS (did you mean ...)."""

    names, by_start = lexicon.names()
    found = []
    for word in words:
        key = latin_form(word) if not analysis._is_han(word[:1] or "a") else word
        # a first letter is seldom mistyped: compare with the forms that share it
        for form in difflib.get_close_matches(key, by_start.get(key[:1], ()), n=limit, cutoff=0.75):
            found += names[form]
    return tuple(dict.fromkeys(found))[:limit]
