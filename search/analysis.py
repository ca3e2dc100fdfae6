"""Text analysis shared by every search backend: one document or query -> the same tokens everywhere.

Chinese text becomes overlapping CJK bigrams, as Elasticsearch's built-in `cjk` analyzer makes them (an
isolated Han character stays a unigram), so two-character words such as 护理 or 养老 match. Each bigram also
yields its toneless pinyin (`p:suzhou`); place names take their readings from the gazetteer, so 长宁 reads
chang-ning and 六安 lu-an. Latin words become `e:` tokens (lower case, a light plural strip). Short fields
(name, place) also keep unigrams so one-character and one-syllable queries work.

Pinyin initials match names only, and only as a prefix of at least MIN_INITIALS syllables (`ip:jly` for
金陵颐养院): initials anywhere in any field (the old `i:` bigrams) made `xyzzy` or `sz` match most homes.
Two letters name too many homes to mean anything, so they match no name; a place's initials are read by
understanding.py instead (sz: the cities 苏州 and 宿州; njgl: Nanjing's 鼓楼), where the gazetteer says what
they can be.

Typos in home names: a typed Latin word of MIN_TYPO_LENGTH letters or more may match a word of a home's name
one edit away (an insertion, a deletion, a substitution or a swap of neighbours, as understanding.py reads
place names). A name's words are its Latin words (the English name: yongshou, wellness) and the pinyin of each
Han bigram (向阳: xiangyang). The name field carries, per word, the word itself (`t:xiangyang`) and each
one-letter deletion with its position (`t8:xiangyan`, for words of MIN_TYPO_LENGTH letters or more); a query
word then needs only single-token alternatives (its own deletions, swaps and positioned forms: typo_alternatives),
so both backends match typos with the same exact token lookups as everything else. A query asks for it per word
(parse_query's TYPO_WORDS): search/service.py does for a word that matches nothing as typed.

A query is a list of groups, one per query word; a group is a list of alternatives; an alternative is a tuple
of tokens that must all occur in one field. A document matches when every group matches; its text score is
the sum over groups of the best field weight. Both backends implement exactly that (see query.py).
"""

import functools
import json
import os
import re
import sys
import unicodedata
from importlib import resources


def _import_pypinyin():
    """Import pypinyin told not to copy its two dictionaries (the copies only keep the originals untouched by a
    program's own load_phrases_dict: ~3 MiB per process) and not to load its phrase dictionary, which
    _load_phrases below loads with shared readings instead (~20 MiB less, the same entries).

    The environment is restored at once, so a process this one starts that imports pypinyin by itself still
    gets its phrases. This module is the one place the app imports pypinyin from.
    """
    told = {"PYPINYIN_NO_DICT_COPY": "1", "PYPINYIN_NO_PHRASES": "1"}
    before = {name: os.environ.get(name) for name in told}
    os.environ.update(told)
    try:
        import pypinyin.core  # noqa: F401
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_import_pypinyin()

from pypinyin import Style, lazy_pinyin, load_phrases_dict  # noqa: E402  (after _import_pypinyin)
from pypinyin.seg import mmseg  # noqa: E402

FIELD_WEIGHTS = {"tokens_name": 4, "tokens_place": 3, "tokens_body": 1}
SHORT_FIELDS = ("tokens_name", "tokens_place")
MAX_QUERY_GROUPS = 12
MIN_INITIALS, MAX_INITIALS = 3, 12  # the shortest and longest name prefix that initials may spell
MIN_TYPO_LENGTH = 5  # a typed word this long tolerates one edit (pinyin and English)
MAX_TYPO_LENGTH = 20  # longer words get no typo keys (bounds the tokens a name carries)

_SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai can cang cao
ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun
chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de den deng di dian diao die din ding diu dong dou du
duan dui dun duo e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng
gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan
huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke ken
keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie
lin ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming
miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun nuo
nv nve ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin
qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang
sao se sen seng sha shai shan shang shao she shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si
song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa
wai wan wang wei wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang
yao ye yi yin ying yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe
zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())
_MAX_SYLLABLE = max(len(s) for s in _SYLLABLES)
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_HAN}]+|[a-z0-9]+(?:'[a-z]+)*")
_STOPWORDS = frozenset("a an and are as at be by for from in into is it of on or the to with".split())
_VOWELS = frozenset("aeiouv")


def _load_phrases():
    """Load pypinyin's own phrase dictionary (47,000 phrases, what it loads without PYPINYIN_NO_PHRASES), each
    distinct reading once.

    pypinyin's loader parses it into one list of one-syllable lists per phrase: 144,000 lists and as many
    strings for 1,247 distinct syllables, kept for the life of the process. pypinyin reads an entry only
    through deepcopy and replaces whole entries, never changing one in place, so identical readings can be one
    object; the parsed duplicates are freed together as soon as the file is read. load_phrases_dict fills the
    same dictionary pypinyin uses and retrains its segmenter on it, as its own import does.
    """
    syllable_lists, readings_lists = {}, {}

    def shared(readings):
        key = tuple(map(tuple, readings))
        found = readings_lists.get(key)
        if found is None:
            found = readings_lists[key] = [
                syllable_lists.setdefault(syllables, [sys.intern(s) for s in syllables]) for syllables in key]
        return found

    text = (resources.files("pypinyin") / "phrases_dict.json").read_text(encoding="utf-8")
    load_phrases_dict(json.loads(text, object_pairs_hook=lambda pairs: {k: shared(v) for k, v in pairs}))


_load_phrases()


def _fold(text):
    """Full-width to half-width, lower case (what cjk_width + lowercase do)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_han(run):
    return "\u3400" <= run[0] <= "\ufaff"


def _stem(word):
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.cache
def _place_readings():
    """Return (pattern, {place name: readings}) from the gazetteer (长宁 chang-ning, 六安 lu-an)."""
    from geo.gazetteer import gazetteer

    gz = gazetteer()
    readings = {}
    for region in gz.provinces + gz.cities + gz.districts:
        syllables = [s for part in region.pinyin.lower().split("'") for s in segment_pinyin(part)]
        short = region.short_name
        if syllables and len(syllables) == len(short):
            readings[short] = syllables
            suffix = region.name[len(short):]
            readings[region.name] = syllables + lazy_pinyin(suffix, style=Style.NORMAL)
    load_phrases_dict({name: [[s] for s in syl] for name, syl in readings.items()})
    names = sorted(readings, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))), readings


def han_pinyin(run):
    """Return the toneless pinyin of each character of a Han run, place names read as the gazetteer says.

    Place names are cut out first, so that a dictionary phrase across a boundary (上海市|长宁 -> 市长) does
    not steal their characters.
    """
    pattern, readings = _place_readings()
    out, pos = [], 0
    for match in pattern.finditer(run):
        out += _plain_pinyin(run[pos : match.start()]) + readings[match.group()]
        pos = match.end()
    return out + _plain_pinyin(run[pos:])


def _plain_pinyin(run):
    # pypinyin's own phrase segmentation, with each word's reading cached: the same output, ~9x faster
    return [syllable for word in mmseg.seg.cut(run) for syllable in _word_pinyin(word)] if run else []


@functools.lru_cache(maxsize=200_000)
def _word_pinyin(word):
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors=lambda chars: ["?"] * len(chars)))


@functools.lru_cache(maxsize=200_000)
def _han_tokens(run, unigrams):
    # cached per run: templated descriptions repeat their clauses across thousands of homes
    readings = han_pinyin(run)
    if len(run) == 1:
        return (run, "p:" + readings[0]) if readings[0] != "?" else (run,)
    tokens = []
    for i in range(len(run) - 1):
        a, b = readings[i], readings[i + 1]
        tokens += [run[i : i + 2], "p:" + a + b]
    if unigrams:
        tokens += list(run) + ["p:" + r for r in readings]
    return tuple(t for t in tokens if "?" not in t)  # characters without a reading give no pinyin tokens


def _latin_tokens(word):
    word = word.replace("'", "")
    return [] if word in _STOPWORDS else ["e:" + _stem(word)]


def analyze(text, unigrams=False):
    """Return the sorted, de-duplicated index tokens of TEXT."""
    return tuple(sorted(_token_set(text, unigrams)))


@functools.lru_cache(maxsize=4096)
def _token_set(text, unigrams):
    # a small cache for the short texts that repeat (place names, keywords); long unique texts rely on the
    # per-clause cache of _han_tokens. Sorting waits until a whole field is collected.
    tokens = set()
    for run in _RUN.findall(_fold(text)):
        tokens.update(_han_tokens(run, unigrams) if _is_han(run) else _latin_tokens(run))
    return frozenset(tokens)


def analyze_fields(name_texts, place_texts, body_texts):
    """Return {field: tokens} for a document's name, place and body texts."""
    fields = {}
    for field, texts in (("tokens_name", name_texts), ("tokens_place", place_texts), ("tokens_body", body_texts)):
        tokens = set()
        for text in texts:
            tokens.update(_token_set(text or "", field in SHORT_FIELDS))
            if field == "tokens_name":
                tokens.update(name_initials(text))
                tokens.update(name_typo_keys(text))
        fields[field] = sorted(tokens)
    return fields


@functools.lru_cache(maxsize=4096)
def name_initials(text):
    """Return the `ip:` tokens of a name: the initials of its leading Han run, as prefixes of 3 to 12 letters."""
    runs = [run for run in _RUN.findall(_fold(text)) if _is_han(run)]
    if not runs:
        return frozenset()
    initials = "".join(r[0] for r in han_pinyin(runs[0]) if r != "?")
    return frozenset("ip:" + initials[:n] for n in range(MIN_INITIALS, min(len(initials), MAX_INITIALS) + 1))


@functools.lru_cache(maxsize=4096)
def name_typo_keys(text):
    """Return the `t:` tokens of a name's words: each word and its positioned one-letter deletions."""
    keys = set()
    for word in _name_words(text):
        keys.add("t:" + word)
        if len(word) >= MIN_TYPO_LENGTH:
            keys.update(f"t{i}:{word[:i]}{word[i + 1:]}" for i in range(len(word)))
    return frozenset(keys)


def _name_words(text):
    # a doc word one letter shorter than the shortest typed word that tolerates a typo can still be its match
    words = set()
    for run in _RUN.findall(_fold(text)):
        if _is_han(run):
            readings = han_pinyin(run)
            words.update(a + b for a, b in zip(readings, readings[1:]) if "?" not in a + b)
        elif run.replace("'", "").isalpha():
            words.add(_stem(run.replace("'", "")))
    return {w for w in words if MIN_TYPO_LENGTH - 1 <= len(w) <= MAX_TYPO_LENGTH}


def typo_alternatives(word):
    """Return the single-token alternatives by which WORD matches a name word one edit away (see above)."""
    word = _stem(word.replace("'", ""))
    if not (word.isalpha() and MIN_TYPO_LENGTH <= len(word) <= MAX_TYPO_LENGTH):
        return []
    n, keys = len(word), set()
    for i in range(n):
        shorter = word[:i] + word[i + 1:]
        keys.add("t:" + shorter)  # the name word lacks the letter the family typed too many
        keys.add(f"t{i}:{shorter}")  # one letter substituted: the same deletion on both sides
    keys.update(f"t{i}:{word}" for i in range(n + 1))  # the family left a letter out
    keys.update("t:" + word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(n - 1))  # a swap
    return [(key,) for key in sorted(keys)]


def segment_pinyin(word):
    """Split a run of toneless pinyin into syllables (fewest syllables, longer first); [] if it is not pinyin."""
    n = len(word)
    best = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + _MAX_SYLLABLE), i, -1):
            rest = best[j]
            if rest is not None and word[i:j] in _SYLLABLES and (best[i] is None or len(rest) + 1 < len(best[i])):
                best[i] = [word[i:j]] + rest
    return best[0] or []


def _latin_alternatives(word):
    word = word.replace("'", "")
    alternatives = [] if word in _STOPWORDS else [("e:" + _stem(word),)]
    syllables = segment_pinyin(word) if word.isalpha() else []
    if len(syllables) == 1:
        alternatives.append(("p:" + syllables[0],))
    elif syllables:
        alternatives.append(tuple("p:" + a + b for a, b in zip(syllables, syllables[1:])))
    if word.isalpha() and MIN_INITIALS <= len(word) <= MAX_INITIALS and not (_VOWELS & set(word)):
        alternatives.append(("ip:" + word,))
    return alternatives


def _han_alternatives(run):
    if len(run) == 1:
        return [(run,)]
    return [tuple(run[i : i + 2] for i in range(len(run) - 1))]


def parse_query(text, typo_words=()):
    """Return the query's groups: [[alternative, ...], ...], each alternative a tuple of tokens.

    A Latin word among TYPO_WORDS also matches a home name's word one edit away (typo_alternatives).
    """
    groups, typos = [], {_fold(w).replace("'", "") for w in typo_words}
    for run in _RUN.findall(_fold(text)):
        alternatives = _han_alternatives(run) if _is_han(run) else _latin_alternatives(run)
        if typos and run.replace("'", "") in typos:
            alternatives += typo_alternatives(run)
        alternatives = [tuple(sorted(set(a))) for a in alternatives if a]
        if alternatives and alternatives not in groups:
            groups.append(alternatives)
    return groups[:MAX_QUERY_GROUPS]


def text_score(groups, doc_fields):
    """Return the text score of a document ({field: token set}) for the query groups; 0 when it does not match.

    The reference implementation of the matching rule; backends compute the same thing their own way.
    """
    total = 0
    for alternatives in groups:
        best = 0
        for field, weight in FIELD_WEIGHTS.items():
            tokens = doc_fields.get(field, ())
            if weight > best and any(all(t in tokens for t in alt) for alt in alternatives):
                best = weight
        if best == 0:
            return 0
        total += best
    return total
