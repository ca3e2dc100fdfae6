"""The words search understands, as data for search/understanding.py: the gazetteer's places and the care words.

The one vocabulary of care words both backends are queried with: kinds of home, care levels, designations,
ownership and services, each with its synonyms in Chinese, pinyin and English, and the requirement (document
fields and codes from core.vocab, or name / body tokens from search.analysis) it stands for. It lives with the
marketplace, beside the home -> document mapping those fields come from; search itself imports no domain package.
"""

import functools

from geo.gazetteer import gazetteer
from search import analysis
from search.understanding import FILLER, Concept, Lexicon, PlaceEntry, latin_form


def _name_tokens(*phrases):
    """A requirement: the home's name holds one of PHRASES (every token of its analysis)."""
    return tuple(("tokens_name", tuple(sorted(set(analysis.analyze(p)) - _pinyin_noise(p)))) for p in phrases)


def _body_tokens(*phrases):
    """A requirement: the home's description or keywords hold one of PHRASES."""
    return tuple(("tokens_body", tuple(sorted(set(analysis.analyze(p)) - _pinyin_noise(p)))) for p in phrases)


def _pinyin_noise(phrase):
    # a Han phrase is matched by its characters; its pinyin tokens add nothing (and pinyin homophones)
    return {t for t in analysis.analyze(phrase) if t.startswith("p:")}


DEMENTIA = (("care_levels", "dementia"), ("features", "dementia_unit"))
# key, Han forms (the first is the label), English forms, requirement (() = understood, no constraint)
CARE_WORDS = (
    ("generic_home", ("养老院", "养老机构", "养老", "老人院", "养老中心"),
     ("care home", "elderly care", "old people's home", "retirement"), ()),
    ("nursing_home", ("护理院", "护理型养老院"), ("nursing home",), _name_tokens("护理院", "nursing home")),
    ("welfare_home", ("福利院", "社会福利院", "福利中心"), ("welfare home", "social welfare", "social welfare home"),
     _name_tokens("福利院", "福利中心", "welfare")),
    ("rural_home", ("敬老院",), (), _name_tokens("敬老院", "福利院", "福利中心")),
    ("wellness_centre", ("康养中心", "康养"), ("wellness centre", "wellness center", "wellness"),
     _name_tokens("康养", "wellness")),
    ("senior_apartments", ("老年公寓", "公寓"), ("senior apartments", "apartment"), _name_tokens("公寓", "apartment")),
    ("retirement_home", ("颐养院",), ("retirement home",), _name_tokens("颐养院", "retirement home")),
    ("self_care", ("自理", "能自理", "生活自理"), ("self care", "self-care", "independent living"),
     (("care_levels", "self_care"),)),
    ("partial", ("半失能", "介助", "半自理"), ("partly dependent", "assisted living"), (("care_levels", "partial"),)),
    ("full", ("失能", "全护理", "全失能", "卧床", "瘫痪", "护理"), ("fully dependent", "bedridden", "nursing care"),
     (("care_levels", "full"),)),
    ("dementia", ("失智", "认知症", "老年痴呆", "痴呆", "认知障碍", "阿尔茨海默", "老年痴呆症", "失智症"),
     ("dementia", "alzheimer", "alzheimers", "memory care"), DEMENTIA),
    ("medical_insurance", ("医保", "医保定点", "医保报销", "医保定点机构"), ("medical insurance",),
     (("features", "medical_insurance"),)),
    ("ltci", ("长护险", "长期护理保险", "长护"), ("ltci", "long-term care insurance"), (("features", "ltci"),)),
    ("cross_province", ("异地医保", "异地结算", "异地就医", "异地就医直接结算"), ("cross-province",),
     (("features", "cross_province_settlement"),)),
    ("integrated_medical", ("医养结合", "医养"), ("integrated medical",), (("features", "integrated_medical"),)),
    ("public", ("公办", "公立", "国营"), ("public",), (("ownership", "public"), ("ownership", "public_private"))),
    ("private", ("民营", "私立", "民办"), ("private",), (("ownership", "private"),)),
    ("public_private", ("公建民营",), ("public-built",), (("ownership", "public_private"),)),
    ("rehabilitation", ("康复",), ("rehabilitation", "rehab"), _body_tokens("康复", "rehabilitation")),
    ("hospice", ("安宁疗护", "临终关怀"), ("hospice",), _body_tokens("安宁疗护", "hospice")),
    ("respite", ("喘息服务", "短期托养", "短住"), ("respite",), _body_tokens("喘息服务", "respite")),
    ("day_care", ("日间照料", "日托"), ("day care",), _body_tokens("日间照料", "day care")),
    ("tcm", ("中医",), ("tcm", "chinese medicine"), _body_tokens("中医", "tcm")),
    ("dental", ("口腔", "牙科"), ("dental",), _body_tokens("口腔", "dental")),
    # words that carry the sentence, not the need: read and ignored (老人 is not one: it asks nothing we know)
    (FILLER, ("的", "附近", "周边", "周围", "哪里", "哪家", "哪个", "推荐", "请问", "想找", "一下", "有没有"),
     ("near", "nearby", "around", "best", "good"), ()),
)


def _latin_of_han(form):
    return "".join(analysis.han_pinyin(form))


def _concept(key, han, english, requirement):
    latin = {latin_form(e) for e in english}
    latin |= {_latin_of_han(h) for h in han if len(h) >= 3}  # 2-syllable pinyin (huli, yibao) is too homophonous
    # a word that asks for any home still favours homes named so (a name copied from a leaflet: ...养老院)
    preference = () if requirement else _name_tokens(*[h for h in han if len(h) >= 3], *english)
    return Concept(key=key, label=han[0], han=han, latin=tuple(sorted(latin)), requirement=requirement,
                   preference=preference)


def _place(region):
    short, pinyin = region.short_name, latin_form(region.pinyin)
    han = tuple(dict.fromkeys([region.name, short]))
    suffix_pinyin = "".join(analysis.han_pinyin(region.name[len(short):])) if region.name != short else ""
    latin = tuple(dict.fromkeys(f for f in (pinyin, pinyin + suffix_pinyin) if f))
    initials = "".join(syllable[0] for syllable in analysis.han_pinyin(region.name) if syllable != "?")
    return PlaceEntry(code=region.code, level=region.level, province=region.province_code,
                      city=region.city_code if region.level != "province" else None, name=region.name,
                      han=han, latin=latin,
                      initials=tuple(initials[:n] for n in range(2, min(len(initials), analysis.MAX_INITIALS) + 1)))


@functools.cache
def lexicon():
    """Return the process-wide Lexicon: every YRD province, city and district, and CARE_WORDS."""
    gz = gazetteer()
    places = [_place(r) for r in gz.provinces + gz.cities + gz.districts]
    concepts = [_concept(*row) for row in CARE_WORDS]
    return Lexicon(places=places, concepts=concepts)
