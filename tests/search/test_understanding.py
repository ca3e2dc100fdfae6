"""Query understanding: places, care words, dropped words and nonsense, on every available backend.

The words are read against the real gazetteer and care vocabulary (marketplace/search_terms.py); the searches
run on the corpus of the conformance suite, through each backend in turn.
"""

import pytest

from marketplace.search_terms import lexicon
from search.query import Place, SearchQuery
from search.service import understood_search
from search.understanding import understand
from tests.factories import make_home
from tests.search.test_conformance import SUZHOU, SUZHOU_ANHUI

NANJING_GULOU, XUZHOU_GULOU = Place("320000", "320100", "320106"), Place("320000", "320300", "320302")


def _read(text):
    return understand(text, lexicon())


@pytest.mark.parametrize("text, district", [("南京鼓楼", "320106"), ("杭州西湖", "330106"), ("宁波鄞州", "330212"),
                                            ("南通如皋", "320682"), ("南京市鼓楼区", "320106"),
                                            ("nanjing gulou", "320106"), ("nanjinggulou", "320106"),
                                            ("Nánjīng Gǔlóu", "320106"), ("Gulou District, Nanjing", "320106"),
                                            ("hangzhou xihu", "330106"), ("Ningbo Yinzhou", "330212")])
def test_a_city_and_district_together_or_apart_read_as_one_district(text, district):
    understood = _read(text)
    assert [p.district for p in understood.places] == [district] and understood.free_words == ()


def test_an_ambiguous_district_keeps_every_reading():
    assert set(_read("鼓楼").places) == {NANJING_GULOU, XUZHOU_GULOU}
    assert set(_read("鼓楼区").places) == {NANJING_GULOU, XUZHOU_GULOU}
    assert _read("徐州鼓楼").places == (XUZHOU_GULOU,)


def test_suzhou_in_pinyin_is_both_suzhous_and_in_han_only_one():
    assert {p.city for p in _read("suzhou").places} == {SUZHOU, SUZHOU_ANHUI}
    assert {p.city for p in _read("Sūzhōu").places} == {SUZHOU, SUZHOU_ANHUI}
    assert {p.city for p in _read("宿州").places} == {SUZHOU_ANHUI}


def test_a_province_alone_covers_the_province():
    assert _read("江苏").places == (Place("320000"),) == _read("jiangsu").places


@pytest.mark.parametrize("word", ["失智", "认知症", "老年痴呆", "dementia", "Alzheimer", "memory care"])
def test_dementia_synonyms_are_one_requirement(word):
    assert _read(word).requirements == ((("care_levels", "dementia"), ("features", "dementia_unit")),)


def test_medical_insurance_synonyms_are_one_requirement():
    assert _read("医保").requirements == _read("医保定点").requirements == ((("features", "medical_insurance"),),)


def test_kinds_of_home_are_name_requirements_and_care_home_is_any_home():
    nursing_home = (("tokens_name", ("护理", "理院")), ("tokens_name", ("e:home", "e:nursing")))
    assert _read("护理院").requirements == (nursing_home,)
    assert _read("老年公寓").requirements[0][0] == ("tokens_name", ("公寓",))
    generic = _read("养老院")
    assert generic.requirements == () and generic.free_words == () and generic.recognised == ("养老院",)


def test_typos_of_five_letters_or_more_are_tolerated_once():
    assert {p.city for p in _read("hangzou").places} == {"330100"}
    assert _read("dementa").requirements == _read("dementia").requirements
    assert _read("hangzhouxx").places == ()  # two edits
    assert _read("suzou").places != () and _read("wuxl").places == ()  # four letters: exact only


@pytest.mark.parametrize("text, cities", [("nj", {"320100"}), ("njs", {"320100"}), ("NJ", {"320100"}),
                                          ("sz", {SUZHOU, SUZHOU_ANHUI}), ("hf", {"340100"})])
def test_place_initials_of_two_syllables_or_more_name_a_city(text, cities):
    understood = _read(text)
    assert {p.city for p in understood.places} == cities and understood.free_words == ()


def test_place_initials_run_together_read_as_a_district_inside_its_city():
    assert _read("njgl").places == (NANJING_GULOU,) == _read("njsglq").places
    assert _read("xzgl").places == (XUZHOU_GULOU,)
    assert _read("jssz").places == (Place("320000", SUZHOU),)
    assert _read("zj").places == (Place("330000"),)  # 浙江 province over 镇江 city, as zhejiang reads


@pytest.mark.parametrize("text", ["gl", "xx yy", "wxyz", "jjjj", "n", "njx"])
def test_district_initials_alone_or_unrelated_initials_are_no_place(text):
    assert _read(text).places == ()


def test_unknown_words_stay_free_text():
    understood = _read("失智 老人")
    assert understood.free_words == ("老人",) and understood.recognised == ("失智",)


# ---------------------------------------------------------------------------------------------------------
# On the backends


HOMES = [
    ("320106", "南京鼓楼颐和护理院", {"dementia_unit": True, "description": "认知症照护"}),
    ("320106", "鼓楼区福寿养老院", {"medical_insurance": True}),
    ("320102", "玄武康乐养老院", {"fees": {"dementia": (3000, 4000, 900)}}),
    ("320302", "徐州鼓楼夕阳红护理院", {}),
    ("320311", "泉山颐养院", {"name_en": "Evergreen Retirement Home"}),
    ("330106", "杭州西湖松鹤康养中心", {"dementia_unit": True, "description": "Memory care", "description_en":
                                         "Dementia care"}),
    ("330212", "宁波鄞州老年公寓", {"ownership": "public"}),
    ("320682", "如皋长寿敬老院", {"ownership": "public"}),
    ("320508", "苏州姑苏社会福利院", {"ownership": "public", "medical_insurance": True}),
    ("341302", "宿州埇桥仁爱养老院", {}),
]


@pytest.fixture
def town(app, backend):
    from marketplace.search_documents import home_document

    homes = [make_home(code, name=name, **traits) for code, name, traits in HOMES]
    docs = [home_document(h) for h in homes]
    backend.upsert(docs)
    return backend, {d["id"]: d for d in docs}


def _search(town, text, **filters):
    backend, docs = town
    result = understood_search(backend, SearchQuery(text=text, per_page=100, **filters), lexicon())
    return result, [docs[h.id] for h in result.hits]


@pytest.mark.parametrize("text", ["南京鼓楼", "nanjing gulou", "南京市鼓楼区"])
def test_a_named_district_ranks_its_homes_first_and_its_city_follows(town, text):
    result, homes = _search(town, text)
    assert [d["district_code"] for d in homes] == ["320106", "320106", "320102"]
    assert result.total == 3


def test_each_example_place_finds_its_homes(town):
    for text, district in (("杭州西湖", "330106"), ("宁波鄞州", "330212"), ("南通如皋", "320682")):
        result, homes = _search(town, text)
        assert result.total >= 1 and homes[0]["district_code"] == district, text


def test_ambiguous_gulou_finds_both_gulous_first(town):
    _result, homes = _search(town, "鼓楼")
    assert {d["district_code"] for d in homes[:3]} == {"320106", "320302"}
    assert {d["city_code"] for d in homes} == {"320100", "320300"}


def test_a_kind_of_home_finds_homes_of_that_kind_only(town):
    result, homes = _search(town, "护理院")
    assert result.total == 2 and all("护理院" in d["name"] for d in homes)
    result, homes = _search(town, "nursing home nanjing")
    assert [d["name"] for d in homes] == ["南京鼓楼颐和护理院"]


def test_dementia_in_any_words_finds_the_same_homes(town):
    answers = {w: {d["id"] for d in _search(town, w)[1]} for w in ("失智", "认知症", "老年痴呆", "dementia")}
    assert len(set(map(frozenset, answers.values()))) == 1 and len(answers["失智"]) == 3


def test_a_word_that_matches_nothing_is_dropped_and_named(town):
    result, homes = _search(town, "失智 老人")
    assert result.dropped == ("老人",) and result.total == 3
    assert result.total == _search(town, "失智")[0].total


def test_nonsense_finds_nothing_and_suggests_close_names(town):
    for text in ("xyzzy", "zzzz", "qqqqq", "xx yy", "wxyz", "asdfgh", "bnmbnm"):
        result, _homes = _search(town, text)
        assert result.total == 0 and result.hits == [], text
    result, _homes = _search(town, "suzhuoo")
    assert result.total == 0 and {"苏州市", "宿州市"} <= set(result.suggestions)


@pytest.mark.parametrize("text, name", [("fushuo", "鼓楼区福寿养老院"), ("kangel", "玄武康乐养老院"),
                                        ("chanshou", "如皋长寿敬老院"), ("changshoy", "如皋长寿敬老院"),
                                        ("evergren", "泉山颐养院"), ("evergreeen", "泉山颐养院"),
                                        ("Evergrene retirement home", "泉山颐养院"),
                                        ("sognhe 杭州", "杭州西湖松鹤康养中心")])
def test_one_typo_in_a_home_name_word_of_five_letters_or_more_finds_the_home(town, text, name):
    result, homes = _search(town, text)
    assert [d["name"] for d in homes] == [name] and result.dropped == ()


def test_name_typos_need_five_letters_and_stop_at_one_edit(town):
    assert _search(town, "renia")[1][0]["name"] == "宿州埇桥仁爱养老院"  # five letters: renai swapped
    for text in ("fsuhuo", "changshuoo", "evrgren", "rnai"):
        assert _search(town, text)[0].total == 0, text


def test_a_word_found_as_typed_is_not_widened_to_its_neighbours(town):
    from marketplace.search_documents import home_document

    backend, docs = town
    doc = home_document(make_home("320106", name="福州路老年公寓"))  # fuzhou: one edit from fushou (福寿)
    backend.upsert([doc])
    docs[doc["id"]] = doc
    assert [d["name"] for d in _search(town, "fushou")[1]] == ["鼓楼区福寿养老院"]
    assert [d["name"] for d in _search(town, "fuzhou")[1]] == ["福州路老年公寓"]


def test_at_most_three_words_are_tried_with_typos(town):
    # each brings ~4 x its length alternatives; OpenSearch refuses more than 1,024 clauses in one query
    result, _homes = _search(town, "fushuo kangel chanshou evergren renia sognhe")
    assert set(result.dropped) == {"evergren", "renia", "sognhe"}


def test_place_initials_find_the_place_on_every_backend(town):
    result, homes = _search(town, "sz")
    assert {d["name"] for d in homes} == {"苏州姑苏社会福利院", "宿州埇桥仁爱养老院"}
    result, homes = _search(town, "njgl")
    assert {d["name"] for d in homes[:2]} == {"南京鼓楼颐和护理院", "鼓楼区福寿养老院"} and len(homes) == 3


def test_total_counts_only_homes_matching_every_word(town):
    result, homes = _search(town, "鼓楼 医保")
    assert result.total == 1 and homes[0]["name"] == "鼓楼区福寿养老院"


def test_a_name_read_at_two_levels_is_the_wider_unless_another_word_frames_it():
    lishui_city, lishui_district = Place("330000", "331100"), Place("320000", "320100", "320117")
    assert _read("lishui").places == (lishui_city,)
    assert _read("nanjing lishui").places == (lishui_district,)
    assert _read("Lishui Longquan").places == (Place("330000", "331100", "331181"),)


def test_swapped_neighbours_count_as_one_edit():
    assert {p.city for p in _read("hefie").places} == {"340100"}
    assert _read("shanghia").places == _read("shanghai").places


def test_words_that_only_carry_the_sentence_are_ignored():
    understood = _read("杭州附近的失智老人")
    assert understood.free_words == ("老人",) and understood.recognised == ("杭州市", "失智")
    assert _read("nursing home near hangzhou").free_words == ()
