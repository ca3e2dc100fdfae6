"""The conformance suite: every backend gives the reference's answers (search/query.py's semantics).

Backend-neutral: only the backend interface is used, on the empty index the `backend` fixture makes, so the
same tests run on OpenSearch / Elasticsearch when a node is configured. Writes are expected to be visible to
the next search (a backend that refreshes lazily must do so before returning from upsert / delete / reindex).
"""

import json
import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.distance import haversine_km
from geo.gazetteer import gazetteer
from marketplace.search_documents import home_document
from search.query import CARE_LEVELS, FEATURES, OWNERSHIPS, PRICE_BANDS, SORTS, Place, SearchQuery
from tests.factories import make_home
from tests.search.reference import reference_search

SUZHOU, SUZHOU_ANHUI, HANGZHOU, SHANGHAI = "320500", "341300", "330100", "310000"
# (lat, lon) query points: city centres, and one off-centre point
NEAR = {"suzhou": (31.299582, 120.581547), "hangzhou": (30.24934, 120.20524),
        "suzhou_anhui": (33.648886, 116.95883), "changning": (31.21, 121.40)}
RADII = (3.0, 12.0, 40.0, 150.0)
BOUNDARY_MARGIN_KM = 0.05  # no home this close to a tested circle: engines' float rounding may differ there

DEMENTIA_FEES = {"full": (2500, 3000, 900), "dementia": (3000, 4200, 1000)}
CHEAP_FEES = {"self_care": (1200, 300, 600), "partial": (1200, 800, 600)}
DEAR_FEES = {"self_care": (6000, 1500, 2000), "full": (7000, 4000, 2000), "dementia": (8000, 5000, 2000)}

# One row per home: district, name, traits. Fixed and varied: every filter value and facet key appears.
HOMES = [
    ("320508", "姑苏区社会福利院", {"grade": 5, "ownership": "public", "medical_insurance": True, "ltci": True,
                                  "description": "公办养老机构，专业护理", "review_score": 4.6, "review_count": 40}),
    ("320508", "姑苏颐和护理院", {"grade": 4, "medical_insurance": True, "integrated_medical": True,
                                  "description": "医养结合护理院", "review_score": 4.6, "review_count": 12}),
    ("320506", "吴中康乐养老院", {"grade": 3, "fees": CHEAP_FEES, "description": "价格实惠的养老院",
                                  "review_score": 3.9, "review_count": 7}),
    ("320505", "苏州高新区认知症照护中心", {"grade": 4, "dementia_unit": True, "fees": DEMENTIA_FEES,
                                       "description": "认知症照护专区", "description_en": "Dementia care unit"}),
    ("320507", "相城区夕阳红老年公寓", {"grade": None, "ownership": "public_private", "free": {"self_care": 0},
                                    "description": "老年公寓"}),
    ("320509", "吴江松鹤养老中心", {"grade": 2, "medical_insurance": True, "cross_province_settlement": True,
                                  "description": "医保定点，异地就医直接结算"}),
    ("320581", "常熟市第二护理院", {"grade": 3, "ownership": "public", "fees": DEAR_FEES, "free": {"full": 0},
                                  "description": "全护理 24小时护理", "review_score": 4.1, "review_count": 3}),
    ("320582", "张家港颐养中心", {"grade": 1, "free": {"self_care": 0, "partial": 0, "full": 0},
                                 "description": "Nursing home by the river", "description_en": "Nursing home"}),
    ("320583", "昆山市福寿养老院", {"grade": None, "ltci": True, "description": "长护险定点"}),
    ("320585", "太仓安康护理院", {"grade": 5, "integrated_medical": True, "fees": DEAR_FEES,
                                 "description": "高端护理", "review_score": 4.9, "review_count": 88}),
    ("320508", "苏州市姑苏区仁爱养老院", {"grade": 3, "ownership": "private", "medical_insurance": True,
                                      "description": "苏州老城区养老", "review_score": 3.9, "review_count": 7}),
    ("341302", "宿州市社会福利中心", {"grade": 4, "ownership": "public", "medical_insurance": True,
                                   "description": "宿州公办养老", "review_score": 4.2, "review_count": 15}),
    ("341302", "埇桥区夕阳红护理院", {"grade": 2, "fees": CHEAP_FEES, "description": "护理型养老机构"}),
    ("341321", "砀山县敬老院", {"grade": None, "ownership": "public", "fees": CHEAP_FEES, "free": {"partial": 0},
                                "description": "农村敬老院"}),
    ("341322", "萧县康养中心", {"grade": 1, "description": "康复 养老", "review_score": 2.5, "review_count": 2}),
    ("341323", "灵璧县认知症照护之家", {"grade": 3, "dementia_unit": True, "fees": DEMENTIA_FEES,
                                    "description": "认知症照护", "description_en": "dementia care home"}),
    ("341324", "泗县医养结合中心", {"grade": 2, "integrated_medical": True, "medical_insurance": True,
                                  "description": "医保定点 医养结合"}),
    ("330106", "西湖区颐养院", {"grade": 5, "dementia_unit": True, "fees": DEMENTIA_FEES, "review_score": 4.8,
                                "review_count": 30, "description": "认知症照护专区",
                                "description_en": "Hangzhou dementia and memory care"}),
    ("330102", "上城区长青护理院", {"grade": 4, "dementia_unit": True, "description": "护理院",
                                  "description_en": "Nursing and dementia care in Hangzhou"}),
    ("330105", "拱墅区福利院", {"grade": 3, "ownership": "public", "medical_insurance": True, "ltci": True,
                               "description": "公办福利院", "description_en": "Public welfare home"}),
    ("330108", "滨江金色年华养老公寓", {"grade": None, "ownership": "private", "fees": DEAR_FEES,
                                    "description": "高端养老公寓", "description_en": "Senior apartments"}),
    ("330109", "萧山区失智老人照护中心", {"grade": 2, "dementia_unit": True, "fees": DEMENTIA_FEES,
                                      "free": {"dementia": 0}, "description": "失智照护",
                                      "description_en": "dementia nursing"}),
    ("330110", "余杭阳光养老院", {"grade": 1, "fees": CHEAP_FEES, "description": "养老院",
                                 "review_score": 3.0, "review_count": 1}),
    ("330127", "淳安千岛湖康养中心", {"grade": 3, "ownership": "public_private", "description": "湖边康养",
                                    "description_en": "Lakeside care home"}),
    ("310105", "上海长宁养老院", {"grade": 4, "ownership": "public", "medical_insurance": True,
                                 "cross_province_settlement": True, "description": "长宁区公办养老",
                                 "review_score": 4.4, "review_count": 20}),
    ("310105", "长宁区护理院", {"grade": 5, "integrated_medical": True, "fees": DEAR_FEES,
                                "description": "上海护理院", "review_score": 4.4, "review_count": 25}),
    ("310104", "徐汇颐和苑", {"grade": 3, "description": "社区养老服务", "review_score": 4.0, "review_count": 5}),
    ("310101", "黄浦区认知障碍照护中心", {"grade": None, "dementia_unit": True, "fees": DEMENTIA_FEES,
                                      "description": "认知障碍照护", "description_en": "memory care"}),
    ("310106", "静安寺养老院", {"grade": 2, "ownership": "public_private", "fees": CHEAP_FEES,
                                "description": "市中心养老"}),
    ("341502", "六安市金安区养老院", {"grade": 2, "ownership": "public", "description": "六安养老",
                                   "review_score": 3.5, "review_count": 4}),
    ("341503", "裕安区护理院", {"grade": 1, "fees": CHEAP_FEES, "free": {"self_care": 0, "partial": 0},
                                "description": "护理"}),
    ("320102", "玄武区颐养中心", {"grade": 4, "ltci": True, "description": "南京养老",
                                 "description_en": "Nanjing elderly care"}),
    ("320508", "Gusu Garden Senior Living", {"grade": None, "name_en": "Gusu Garden Senior Living",
                                                  "description_en": "English-only listing with nursing",
                                                  "fees": {"self_care": (4000, 500, 1200)}}),
    ("330106", "West Lake Dementia House", {"grade": 4, "dementia_unit": True, "fees": DEMENTIA_FEES,
                                                 "name_en": "West Lake Dementia House",
                                                 "description_en": "Dementia care in Hangzhou"}),
    ("320506", "吴中区太湖护理院", {"grade": 3, "ltci": True, "fees": {"full": (3000, 3500, 900)},
                                  "description": "专业护理", "review_score": 4.1, "review_count": 3}),
    ("341302", "宿州埇桥养老护理中心", {"grade": 3, "fees": DEAR_FEES, "description": "养老护理",
                                     "review_score": 4.1, "review_count": 9}),
    ("320583", "昆山花桥养老社区", {"grade": 4, "cross_province_settlement": True, "medical_insurance": True,
                                  "description": "沪苏同城 异地医保", "review_score": 4.3, "review_count": 11}),
    ("330102", "杭州市第一社会福利院", {"grade": 5, "ownership": "public", "dementia_unit": True,
                                     "description": "杭州公办养老 认知症专区", "review_score": 4.7,
                                     "review_count": 60}),
    ("320505", "虎丘区老年护理中心", {"grade": 2, "fees": {"partial": (1800, 1500, 800)},
                                   "description": "护理", "free": {"partial": 0}}),
    ("341302", "宿州市颐养园", {"grade": None, "description": "宿州养老 医保定点", "medical_insurance": True}),
    # directories: homes without published fees, bed counts or ownership (unknown stays unknown)
    ("320508", "姑苏区名录养老院", {"grade": 3, "fees": {}, "ownership": None, "beds_total": None,
                                 "description": "收费未公布"}),
    ("330106", "西湖区名录护理院", {"grade": None, "fees": {}, "free": {"full": 2}, "description": "护理"}),
    ("341302", "宿州名录敬老院", {"grade": 2, "fees": {}, "ownership": None, "description": "敬老院"}),
]

# quality ratings (quality/rules.py) of some homes, by index in HOMES: (stars, warning); the rest have none
QUALITY = {0: (5, False), 1: (4, False), 2: (3, True), 3: (4, False), 5: (2, True), 6: (3, False), 9: (5, False),
           10: (2, False), 11: (4, False), 14: (1, False), 17: (5, False), 18: (3, False), 22: (1, True),
           24: (4, False), 25: (2, True), 30: (3, False), 34: (4, False), 36: (5, False), 37: (2, False)}


def _location(rnd, district_code, index):
    district = gazetteer().district(district_code)
    if index % 5 == 0:  # some homes sit exactly on the district centre: distance ties, broken by id
        return district.lat, district.lon
    return district.lat + rnd.uniform(-0.08, 0.08), district.lon + rnd.uniform(-0.08, 0.08)


def _assert_no_home_on_a_tested_boundary(docs):
    for lat, lon in NEAR.values():
        for doc in docs:
            distance = haversine_km(lat, lon, doc["location"]["lat"], doc["location"]["lon"])
            assert min(abs(distance - r) for r in RADII) > BOUNDARY_MARGIN_KM, doc["id"]


def build_corpus():
    """Create the fixed corpus of homes and return their search documents."""
    rnd = random.Random(20240601)
    homes = []
    for index, (district_code, name, traits) in enumerate(HOMES):
        lat, lon = _location(rnd, district_code, index)
        stars, warning = QUALITY.get(index, (None, False))
        homes.append(make_home(district_code, name=name, lat=lat, lon=lon, commit=False, quality_stars=stars,
                               quality_warning=warning, **traits))
    from core.extensions import db

    db.session.commit()
    docs = [home_document(home) for home in homes]
    _assert_no_home_on_a_tested_boundary(docs)
    return docs


@pytest.fixture
def corpus(app):
    """The corpus's documents (rows in the app's database)."""
    return build_corpus()


@pytest.fixture
def loaded(backend, corpus):
    """The backend with the corpus indexed; returns (backend, docs)."""
    backend.upsert(corpus)
    return backend, corpus


def assert_same_answer(got, expected, query):
    """Assert that GOT equals the reference's EXPECTED (distances within 1e-3 km)."""
    assert got.total == expected.total, query
    assert got.unpriced_excluded == expected.unpriced_excluded, query
    assert [h.id for h in got.hits] == [h.id for h in expected.hits], query
    assert got.facets == expected.facets, query
    for mine, theirs in zip(got.hits, expected.hits):
        assert mine.doc == theirs.doc
        if query.sort == "relevance":
            assert mine.score == theirs.score, query
        if query.near is None:
            assert mine.distance_km is None
        else:
            assert mine.distance_km == pytest.approx(theirs.distance_km, abs=1e-3), query


def check(backend, docs, query):
    """Run QUERY on BACKEND and on the reference; assert the answers are the same; return the backend's."""
    got = backend.search(query)
    assert_same_answer(got, reference_search(docs, query), query)
    return got


Q = SearchQuery
DEMENTIA = (("care_levels", "dementia"), ("features", "dementia_unit"))
NURSING_HOME = (("tokens_name", ("护理", "理院")), ("tokens_name", ("e:home", "e:nursing")))
QUERIES = {
    "everything": Q(),
    "everything_without_facets": Q(with_facets=False),
    "province": Q(province="320000"),
    "city": Q(city=SUZHOU),
    "district": Q(district="320508"),
    "unknown_district": Q(district="999999"),
    **{f"care_level_{level}": Q(care_level=level) for level in CARE_LEVELS},
    "min_price": Q(min_price_fen=500_000),
    "max_price": Q(max_price_fen=450_000),
    "price_range": Q(min_price_fen=300_000, max_price_fen=800_000),
    "price_range_for_full_care": Q(care_level="full", min_price_fen=600_000, max_price_fen=1_300_000),
    "exact_price_bounds": Q(min_price_fen=340_000, max_price_fen=340_000),
    **{f"min_grade_{n}": Q(min_grade=n) for n in (1, 3, 5)},
    **{f"min_quality_{n}": Q(min_quality=n) for n in (1, 3, 5)},
    "min_quality_sorted_by_quality_ties_by_id": Q(min_quality=2, sort="quality", per_page=50),
    "min_quality_with_care_level_and_grade": Q(min_quality=3, care_level="full", min_grade=3),
    "text_yanglao_sorted_by_quality": Q(text="养老", sort="quality", per_page=50),
    "has_vacancy": Q(has_vacancy=True),
    "has_vacancy_for_full_care": Q(has_vacancy=True, care_level="full"),
    "has_vacancy_for_dementia_care": Q(has_vacancy=True, care_level="dementia"),
    **{f"ownership_{o}": Q(ownership=o) for o in OWNERSHIPS},
    **{f"feature_{f}": Q(features=(f,)) for f in FEATURES},
    "two_features": Q(features=("medical_insurance", "ltci")),
    "near_without_radius": Q(near=NEAR["suzhou"]),
    **{f"near_suzhou_within_{r:g}km": Q(near=NEAR["suzhou"], radius_km=r) for r in RADII},
    "near_changning_within_12km": Q(near=NEAR["changning"], radius_km=12.0, sort="distance"),
    **{f"sort_{s}": Q(sort=s, near=NEAR["hangzhou"] if s == "distance" else None) for s in SORTS},
    "sort_price_for_dementia_care": Q(sort="price", care_level="dementia"),
    "sort_rating_ties_by_review_count": Q(sort="rating", per_page=50),
    "sort_distance_within_radius": Q(sort="distance", near=NEAR["suzhou_anhui"], radius_km=150.0),
    "page_2": Q(page=2, per_page=7),
    "last_page": Q(page=6, per_page=7),
    "past_the_last_page": Q(page=9, per_page=7),
    "one_per_page": Q(page=3, per_page=1, sort="price"),
    "text_huli": Q(text="护理"),
    "text_yanglao": Q(text="养老"),
    "text_renzhizheng": Q(text="认知症"),
    "text_suzhou_yibao": Q(text="苏州 医保"),
    "text_suzhou_pinyin": Q(text="suzhou"),
    "text_initials_shcn": Q(text="shcn"),  # a name prefix: 上海长宁养老院
    "text_initials_not_a_prefix_no_match": Q(text="shyl"),
    "text_hangzhou_dementia": Q(text="Hangzhou dementia"),
    "text_changning_pinyin": Q(text="changning"),
    "text_luan_pinyin": Q(text="luan"),
    "text_nursing": Q(text="nursing homes"),
    "text_full_width": Q(text="ＮＵＲＳＩＮＧ"),
    "text_single_character": Q(text="护"),
    "text_only_stopwords": Q(text="the of"),
    "text_no_match": Q(text="zzzzqx"),
    "text_huli_in_suzhou_with_vacancy": Q(text="护理", city=SUZHOU, has_vacancy=True, sort="price"),
    "text_yanglao_public_graded": Q(text="养老", ownership="public", min_grade=3, sort="grade"),
    "text_dementia_near_hangzhou": Q(text="认知症", near=NEAR["hangzhou"], radius_km=40.0, sort="distance"),
    "text_suzhou_with_insurance_sorted_by_rating": Q(text="suzhou", features=("medical_insurance",),
                                                      sort="rating"),
    "places_a_district_and_its_city": Q(places=(Place("320000", SUZHOU, "320508"),), per_page=50),
    "places_two_readings": Q(places=(Place("320000", SUZHOU, "320508"), Place("340000", SUZHOU_ANHUI, "341302")),
                             per_page=50),
    "places_a_province_alone": Q(places=(Place("340000"),), per_page=50),
    "places_a_city_with_text_sorted_by_price": Q(text="护理", places=(Place("320000", SUZHOU),), sort="price"),
    "places_district_with_a_filter": Q(places=(Place("320000", SUZHOU, "320505"),), has_vacancy=True),
    "requirement_dementia": Q(requirements=(DEMENTIA,), per_page=50),
    "requirement_nursing_home_by_name": Q(requirements=(NURSING_HOME,), per_page=50),
    "requirement_public_and_insured_in_a_district": Q(
        requirements=((("ownership", "public"), ("ownership", "public_private")), (("features", "medical_insurance"),)),
        places=(Place("320000", SUZHOU, "320508"),)),
    "requirement_with_text_and_facets": Q(text="苏州", requirements=(NURSING_HOME, DEMENTIA)),
    "preference_for_homes_named_so": Q(preferences=((("tokens_name", ("养老", "老院")),),), per_page=50),
    "preference_with_a_place_and_text": Q(text="护理", places=(Place("320000", SUZHOU, "320508"),),
                                          preferences=(NURSING_HOME, (("features", "ltci"),))),
    "everything_at_once": Q(text="护理", province="320000", care_level="full", min_price_fen=300_000,
                            max_price_fen=1_500_000, min_grade=2, has_vacancy=True, ownership="private",
                            near=NEAR["suzhou"], radius_km=150.0, sort="relevance"),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_backend_answers_like_the_reference(loaded, name):
    backend, docs = loaded
    check(backend, docs, QUERIES[name])


def test_corpus_exercises_every_filter_value(corpus):
    for name, query in QUERIES.items():
        if name.startswith(("care_level_", "ownership_", "feature_", "min_grade_", "min_quality_", "text_", "places_",
                            "requirement_", "preference_")) \
                and "no_match" not in name:
            assert reference_search(corpus, query).total > 0, name


def test_suzhou_in_pinyin_finds_both_suzhous(loaded):
    backend, docs = loaded
    result = check(backend, docs, Q(text="suzhou", per_page=100))
    cities = dict(result.facets["city"])
    assert SUZHOU in cities and SUZHOU_ANHUI in cities
    assert {d["city_code"] for d in docs if d["id"] in {h.id for h in result.hits}} >= {SUZHOU, SUZHOU_ANHUI}


def test_hangzhou_dementia_finds_hangzhou_homes_with_dementia_care(loaded):
    backend, docs = loaded
    result = check(backend, docs, Q(text="Hangzhou dementia", per_page=100))
    assert result.total > 0
    assert {h.doc["city_code"] for h in result.hits} == {HANGZHOU}


def test_two_character_word_matches_names_before_descriptions(loaded):
    backend, docs = loaded
    result = check(backend, docs, Q(text="护理", per_page=100))
    scores = [int(h.score) for h in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] == 4 and scores[-1] == 1


def test_pages_together_list_every_match_once(loaded):
    backend, docs = loaded
    total = backend.search(Q(per_page=7)).total
    ids = []
    for page in range(1, total // 7 + 2):
        ids += [h.id for h in check(backend, docs, Q(page=page, per_page=7, sort="grade")).hits]
    assert sorted(ids) == sorted(d["id"] for d in docs) and len(ids) == total


def test_distance_is_reported_when_near_is_given(loaded):
    backend, docs = loaded
    result = check(backend, docs, Q(near=NEAR["suzhou"], radius_km=40.0, sort="distance", per_page=100))
    distances = [h.distance_km for h in result.hits]
    assert distances == sorted(distances) and distances[-1] <= 40.0


BASES = (Q(), Q(text="养老"), Q(text="护理", has_vacancy=True), Q(care_level="full", max_price_fen=900_000),
         Q(has_vacancy=True, min_price_fen=300_000), Q(min_grade=3, city="320500"), Q(features=("ltci",)),
         Q(min_quality=3), Q(text="护理", min_quality=2, care_level="full"))
CHOICES = {"province": "province", "city": "city", "district": "district", "care_level": "care_level",
           "ownership": "ownership", "features": "features", "grade": "min_grade", "price_band": None}


def _choose(base, facet, key):
    if facet == "features":
        return replace(base, features=tuple(sorted(set(base.features) | {key})))
    if facet == "grade":
        return replace(base, min_grade=int(key))
    if facet == "price_band":
        low, high = next((lo, hi) for k, lo, hi in PRICE_BANDS if k == key)
        return replace(base, min_price_fen=max(low, base.min_price_fen or 0),
                       max_price_fen=high - 1 if high else base.max_price_fen)
    return replace(base, **{CHOICES[facet]: key})


@pytest.mark.parametrize("base", BASES, ids=range(len(BASES)))
@pytest.mark.parametrize("facet", list(CHOICES))
def test_facet_count_equals_the_total_that_choosing_it_gives(loaded, base, facet):
    backend, docs = loaded
    values = backend.search(base).facets[facet]
    for key, count in values:
        chosen = _choose(base, facet, key)
        if facet == "price_band" and base.max_price_fen is not None and chosen.max_price_fen > base.max_price_fen:
            chosen = replace(chosen, max_price_fen=base.max_price_fen)
        assert check(backend, docs, chosen).total == count, (facet, key)


def test_upsert_of_an_older_version_is_ignored(loaded):
    backend, docs = loaded
    doc = docs[0]
    newer = dict(doc, version=doc["version"] + 1, grade=1)
    backend.upsert([newer])
    backend.upsert([dict(doc, grade=5)])  # a stale, replayed write
    backend.upsert([dict(doc, version=doc["version"] - 1, grade=3)])
    assert backend.versions()[doc["id"]] == doc["version"] + 1
    hit = next(h for h in backend.search(Q(per_page=100)).hits if h.id == doc["id"])
    assert hit.doc["grade"] == 1
    check(backend, [newer if d["id"] == doc["id"] else d for d in docs], Q(sort="grade", per_page=100))


def test_upsert_of_a_newer_version_changes_what_search_finds(loaded):
    backend, docs = loaded
    changed = dict(docs[3], version=docs[3]["version"] + 5, ownership="public", grade=None)
    backend.upsert([changed])
    updated = [changed if d["id"] == changed["id"] else d for d in docs]
    check(backend, updated, Q(ownership="public", per_page=100))
    check(backend, updated, Q())


def test_deleted_homes_are_no_longer_found(loaded):
    backend, docs = loaded
    gone = {docs[0]["id"], docs[5]["id"], 10_000_000}  # an unknown id is fine
    backend.delete(sorted(gone))
    remaining = [d for d in docs if d["id"] not in gone]
    check(backend, remaining, Q(per_page=100))
    check(backend, remaining, Q(text="护理"))
    assert set(backend.versions()) == {d["id"] for d in remaining}


def test_versions_lists_every_indexed_document(loaded):
    backend, docs = loaded
    assert backend.versions() == {d["id"]: d["version"] for d in docs}


def test_health_reports_the_backend_and_how_many_documents_it_holds(loaded):
    backend, docs = loaded
    health = backend.health()
    count = health["docs"] if health["backend"] == "embedded" else health["documents"]
    assert health["backend"] in ("embedded", "elasticsearch", "opensearch") and count == len(docs)


def test_reindex_replaces_the_content(loaded):
    backend, docs = loaded
    kept = [dict(d, version=d["version"] + 1) for d in docs[:20]]
    assert backend.reindex(iter(kept)) == 20
    check(backend, kept, Q(per_page=100))
    check(backend, kept, Q(text="护理"))
    assert backend.versions() == {d["id"]: d["version"] for d in kept}


def test_search_keeps_answering_while_a_reindex_is_built(loaded):
    backend, docs = loaded
    kept = docs[10:30]

    def docs_while_searching():
        for i, doc in enumerate(kept):
            if i % 5 == 0:  # the old content still answers, in full, between builds
                check(backend, docs, Q(text="养老"))
            yield doc

    assert backend.reindex(docs_while_searching()) == len(kept)
    check(backend, kept, Q(text="养老"))


def test_empty_index_answers_with_nothing(backend):
    result = backend.search(Q(text="护理"))
    assert result.total == 0 and result.hits == []
    assert result.facets and all(values == [] for values in result.facets.values())


PLACE_CHOICES = ((), (Place("320000", SUZHOU, "320508"),), (Place("340000"),),
                 (Place("320000", SUZHOU, "320506"), Place("340000", SUZHOU_ANHUI, "341302")))
REQUIREMENT_CHOICES = (DEMENTIA, NURSING_HOME, (("ownership", "public"),), (("features", "ltci"),),
                       (("care_levels", "self_care"), ("tokens_body", ("公寓",))))


def _queries():
    """Draw random query combinations (every filter, sort, text, page)."""
    texts = st.sampled_from(["", "护理", "养老", "认知症", "苏州 医保", "suzhou", "shyl", "Hangzhou dementia",
                             "nursing", "长宁", "lu an", "社会福利", "颐养", "care home", "公办 养老"])
    def optional(values):
        return st.one_of(st.none(), st.sampled_from(values))

    near = st.one_of(st.none(), st.sampled_from(list(NEAR.values())))

    @st.composite
    def build(draw):
        point = draw(near)
        sort = draw(st.sampled_from([s for s in SORTS if point is not None or s != "distance"]))
        return Q(text=draw(texts), province=draw(optional(["320000", "330000", "340000", "310000"])),
                 city=draw(optional([SUZHOU, SUZHOU_ANHUI, HANGZHOU, SHANGHAI])),
                 care_level=draw(optional(CARE_LEVELS)),
                 min_price_fen=draw(optional([200_000, 350_000, 500_000])),
                 max_price_fen=draw(optional([400_000, 600_000, 1_000_000])),
                 min_grade=draw(optional([1, 2, 3, 4, 5])), min_quality=draw(optional([1, 2, 3, 4, 5])),
                 has_vacancy=draw(st.booleans()),
                 ownership=draw(optional(OWNERSHIPS)),
                 features=tuple(draw(st.lists(st.sampled_from(FEATURES), max_size=2, unique=True))),
                 near=point, radius_km=draw(optional(RADII)) if point else None, sort=sort,
                 page=draw(st.integers(1, 4)), per_page=draw(st.sampled_from([1, 5, 10, 20])),
                 with_facets=draw(st.booleans()), places=draw(st.sampled_from(PLACE_CHOICES)),
                 requirements=tuple(draw(st.lists(st.sampled_from(REQUIREMENT_CHOICES), max_size=2, unique=True))),
                 preferences=tuple(draw(st.lists(st.sampled_from(REQUIREMENT_CHOICES), max_size=2, unique=True))))

    return build()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_queries())
def test_random_queries_answer_like_the_reference(loaded, query):
    backend, docs = loaded
    check(backend, docs, query)


def test_price_filter_and_price_sort_leave_out_homes_without_fees_and_count_them(loaded):
    backend, docs = loaded
    unpriced = {d["id"] for d in docs if d["price_min"] is None}
    assert len(unpriced) >= 3
    for query in (Q(max_price_fen=2_000_000), Q(sort="price", per_page=100), Q(text="名录", sort="price")):
        got = check(backend, docs, query)
        assert not unpriced & {h.id for h in got.hits}, query
        assert got.unpriced_excluded == len([d for d in docs if d["id"] in unpriced
                                             and (not query.text or "名录" in d["name"])]), query
    everything = check(backend, docs, Q(text="名录"))
    assert unpriced <= {h.id for h in everything.hits} and everything.unpriced_excluded == 0


def test_homes_a_centimetre_apart_tie_on_the_metre_and_sort_by_id(backend, corpus):
    point, far = NEAR["suzhou"], dict(corpus[0], id=9000, version=1)
    lat = point[0] + 0.01
    while not 0.2 < (haversine_km(point[0], point[1], lat, point[1]) * 1000) % 1 < 0.8:
        lat += 0.000003  # keep clear of a half metre, where the engines' centimetre rounding could differ
    far["location"] = {"lat": lat, "lon": point[1]}
    near = dict(far, id=9001, location={"lat": lat - 0.00000009, "lon": point[1]})  # 1 cm closer, larger id
    backend.upsert([far, near])
    result = backend.search(Q(near=point, radius_km=3.0, sort="distance", per_page=2))
    assert [h.id for h in result.hits] == [9000, 9001]
    assert result.hits[0].distance_km > result.hits[1].distance_km


# -- the cursor: the sort key of a page's last hit leads to exactly the next page ----------------------------

CURSOR_WALKS = {
    **{f"sort_{s}": Q(sort=s, per_page=7, near=NEAR["hangzhou"] if s == "distance" else None) for s in SORTS},
    "text_relevance_ties": Q(text="护理", per_page=5),
    "price_for_full_care_with_vacancy": Q(sort="price", care_level="full", has_vacancy=True, per_page=4),
    "rating_with_text_and_a_place": Q(text="养老", sort="rating", places=(Place("320000", SUZHOU, "320508"),),
                                      per_page=3),
    "distance_within_radius": Q(sort="distance", near=NEAR["suzhou"], radius_km=150.0, per_page=6),
    "quality_with_preferences": Q(sort="quality", preferences=(NURSING_HOME,), per_page=9),
}


def _as_sent(key):
    """The cursor's key as a client sends it back: through JSON."""
    return tuple(json.loads(json.dumps(list(key)))) if key is not None else None


@pytest.mark.parametrize("name", list(CURSOR_WALKS))
def test_pages_by_cursor_equal_pages_by_number(loaded, name):
    backend, docs = loaded
    query, after, page, seen = CURSOR_WALKS[name], None, 1, []
    while True:
        by_number = backend.search(replace(query, page=page))
        by_cursor = backend.search(replace(query, page=page, after=after))
        assert [(h.id, h.score, h.distance_km, h.doc) for h in by_cursor.hits] == \
            [(h.id, h.score, h.distance_km, h.doc) for h in by_number.hits], (name, page)
        assert (by_cursor.total, by_cursor.facets, by_cursor.unpriced_excluded) == \
            (by_number.total, by_number.facets, by_number.unpriced_excluded)
        if not by_cursor.hits:
            assert by_cursor.last_key is None
            break
        seen += [h.id for h in by_cursor.hits]
        after, page = _as_sent(by_cursor.last_key), page + 1
    assert len(seen) == len(set(seen)) == by_number.total and page > 2, name


def test_a_cursor_of_another_sort_is_refused(loaded):
    backend, _docs = loaded
    key = _as_sent(backend.search(Q(sort="rating", per_page=3)).last_key)
    with pytest.raises(ValueError, match="cursor"):
        backend.search(Q(sort="distance", near=NEAR["suzhou"], per_page=3, after=key[:1]))


SPLIT_QUERIES = ("everything", "province", "max_price", "sort_price", "has_vacancy_for_full_care", "text_huli",
                 "everything_at_once", "places_a_district_and_its_city", "everything_without_facets", "page_2")


@pytest.mark.parametrize("name", SPLIT_QUERIES)
def test_facets_through_the_request_cache_answer_the_same(loaded, name):
    backend, docs = loaded
    if not hasattr(backend, "facet_request_cache"):
        pytest.skip("only the OpenSearch/Elasticsearch backend counts facets in a request of their own")
    backend.facet_request_cache = True
    try:
        for _twice in range(2):  # the second answer comes from the node's request cache
            check(backend, docs, QUERIES[name])
        assert backend.search(replace(QUERIES[name], page=2)).facets == backend.search(QUERIES[name]).facets
    finally:
        backend.facet_request_cache = False
