"""The public JSON API: search, detail, compare, regions; every bad parameter is a 400 naming the field."""

import pytest

from search import outbox
from search.backend import current_backend
from tests.factories import make_home


@pytest.fixture
def homes(app):
    made = [
        make_home("320508", name="苏州姑苏康乐护理院", grade=4, medical_insurance=True),
        make_home("341302", name="宿州埇桥福寿养老院", grade=2, fees={"self_care": (900, 300, 600)}),
        make_home("330106", name="杭州西湖颐和康养中心", name_en="Yihe Dementia Care Centre",
                  dementia_unit=True, fees={"dementia": (4000, 5000, 1200), "full": (3500, 4000, 1200)}),
        make_home("310105", name="上海长宁松鹤养老院", grade=5, ownership="public_private",
                  fees={"full": (6000, 5000, 1500)}, free={"full": 0}),
    ]
    outbox.drain(current_backend())
    return made


def _error(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_search_returns_total_items_and_facets(client, homes):
    body = client.get("/api/v1/homes").get_json()
    assert body["total"] == 4
    item = body["items"][0]
    for key in ("id", "name", "province_code", "city_code", "district_code", "lat", "lon", "grade",
                "beds_free", "monthly_price_fen"):
        assert key in item
    assert {"province", "city", "care_level", "grade", "price_band", "features"} <= set(body["facets"])
    city = {f["key"]: f for f in body["facets"]["city"]}
    assert city["320500"]["label"] == "苏州市" and city["320500"]["count"] == 1


def test_pinyin_suzhou_finds_both_cities_and_the_facets_tell_them_apart(client, homes):
    body = client.get("/api/v1/homes?q=suzhou&lang=en").get_json()
    assert {i["city_code"] for i in body["items"]} == {"320500", "341300"}
    labels = {f["key"]: f["label"] for f in body["facets"]["city"]}
    assert labels == {"320500": "Suzhou (Jiangsu)", "341300": "Suzhou (Anhui)"}


def test_price_for_the_chosen_care_level_is_bed_plus_care_plus_meals(client, homes):
    body = client.get("/api/v1/homes?care_level=dementia").get_json()
    assert [i["monthly_price_fen"] for i in body["items"]] == [(4000 + 5000 + 1200) * 100]


def test_max_price_is_in_yuan_for_the_chosen_level(client, homes):
    body = client.get("/api/v1/homes?care_level=full&max_price=9000&sort=price").get_json()
    assert all(i["monthly_price_fen"] <= 900_000 for i in body["items"])
    assert body["total"] == 2


def test_near_adds_distance_and_sorts_by_it(client, homes):
    body = client.get("/api/v1/homes?near=31.22,121.42&sort=distance&radius_km=200").get_json()
    distances = [i["distance_km"] for i in body["items"]]
    assert distances == sorted(distances) and distances[0] < 5
    assert body["items"][0]["city_code"] == "310000"


@pytest.mark.parametrize("query, field", [
    ("care_level=vip", "care_level"),
    ("min_price=cheap", "min_price"),
    ("max_price=-5", "max_price"),
    ("min_price=9000&max_price=100", "min_price"),
    ("min_grade=9", "min_grade"),
    ("has_vacancy=maybe", "has_vacancy"),
    ("ownership=state", "ownership"),
    ("features=spa", "features"),
    ("near=31.2", "near"),
    ("near=91,121", "near"),
    ("near=abc,def", "near"),
    ("near=nan,nan", "near"),
    ("radius_km=10", "near"),
    ("near=31,121&radius_km=0", "radius_km"),
    ("near=31,121&radius_km=inf", "radius_km"),
    ("sort=cheapest", "sort"),
    ("sort=distance", "near"),
    ("page=0", "page"),
    ("page=x", "page"),
    ("per_page=1000", "per_page"),
    ("page=900&per_page=100", "page"),
    ("province=999999", "province"),
    ("city=320000", "city"),
    ("district=320500", "district"),
    ("province=340000&city=320500", "city"),
    ("q=" + "养" * 101, "q"),
])
def test_every_bad_search_parameter_is_a_400_naming_the_field(client, homes, query, field):
    error = _error(client.get(f"/api/v1/homes?{query}"))
    assert error["code"] == "invalid_parameters"
    assert field in error["fields"], error


def test_unknown_home_is_a_404_in_the_one_shape(client, app):
    assert _error(client.get("/api/v1/homes/424242"), 404)["code"] == "not_found"


def test_home_detail_has_the_fee_table_vacancies_and_provenance(client, homes):
    body = client.get(f"/api/v1/homes/{homes[2].id}?care_level=dementia&from_city=310000").get_json()
    levels = {row["care_level"]: row for row in body["fees"]}
    assert levels["dementia"]["monthly_fen"] == 1_020_000
    assert levels["dementia"]["national_levels"] == [2, 3, 4]
    assert levels["dementia"]["sources"] == ["test"] and levels["dementia"]["effective_from"]
    assert body["monthly_price_fen"] == 1_020_000
    assert {v["care_level"] for v in body["vacancies"]} == {"dementia", "full"}
    assert all("confirmed_at" in v and v["stale"] is False for v in body["vacancies"])
    assert 150 < body["distance_km"] < 200  # Shanghai centre to Hangzhou Xihu


def test_stale_vacancies_are_flagged(client, app):
    home = make_home(confirmed_days_ago=20)
    body = client.get(f"/api/v1/homes/{home.id}").get_json()
    assert body["vacancy_stale"] is True and all(v["stale"] for v in body["vacancies"])


@pytest.mark.parametrize("query, field", [
    ("", "ids"), ("ids=", "ids"), ("ids=a,b", "ids"), ("ids=1,2,3,4,5", "ids"), ("ids=0", "ids"),
    ("ids=1&care_level=x", "care_level"), ("ids=1&from_city=123", "from_city"),
])
def test_bad_compare_parameters_are_400s(client, homes, query, field):
    assert field in _error(client.get(f"/api/v1/compare?{query}"))["fields"]


def test_compare_lines_homes_up_and_names_the_differing_rows(client, homes):
    ids = ",".join(str(h.id) for h in homes[:3])
    body = client.get(f"/api/v1/compare?ids={ids}&care_level=full&from_city=310000").get_json()
    assert [c["id"] for c in body["homes"]] == [h.id for h in homes[:3]]
    assert "monthly_price_fen" in body["differing_rows"] and "dementia_unit" in body["differing_rows"]
    assert body["homes"][1]["accepts_care_level"] is False


def test_compare_with_an_unknown_id_is_a_404(client, homes):
    assert "ids" in _error(client.get(f"/api/v1/compare?ids={homes[0].id},987654"), 404)["fields"]


def test_regions_list_every_province_city_and_district(client, app):
    provinces = client.get("/api/v1/regions").get_json()["provinces"]
    assert len(provinces) == 4
    cities = [c for p in provinces for c in p["cities"]]
    assert len(cities) == 41 and sum(len(c["districts"]) for c in cities) == 305


def test_openapi_spec_documents_the_search_parameters(client, app):
    spec = client.get("/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/homes"]["get"]["parameters"]}
    assert {"q", "province", "city", "district", "care_level", "min_price", "max_price", "min_grade",
            "has_vacancy", "ownership", "features", "near", "radius_km", "sort", "page", "per_page"} <= params
    assert "/api/v1/compare" in spec["paths"] and "/api/v1/regions" in spec["paths"]


def test_search_engine_down_is_a_503_and_writes_still_land(client, app, homes):
    from marketplace.models import Vacancy
    from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
    from tests.factories import make_verified_provider

    class Down:
        def search(self, query):
            raise ConnectionError("refused")

        def upsert(self, docs):
            raise ConnectionError("refused")

        def delete(self, ids):
            raise ConnectionError("refused")

    home = homes[0]
    home.provider_id = make_verified_provider().id
    api_client, secret = make_api_client(home.provider)
    token = issue_token(client, api_client, secret)
    up = current_backend()
    app.extensions["search_backend"] = Down()
    error = _error(client.get("/api/v1/homes?q=护理"), 503)
    assert error["code"] == "search_unavailable"
    write = client.put(f"/api/v1/provider/homes/{home.id}/vacancies", headers=bearer(token),
                       json={"free_beds": {"full": 4}})
    assert write.status_code == 200, write.get_json()
    from core.extensions import db

    db.session.expire_all()
    assert db.session.get(Vacancy, home.vacancy_for("full").id).beds_free == 4  # in SQL, the system of record
    assert outbox.pending_count() == 1  # kept for the drain once the engine is back
    app.extensions["search_backend"] = up
    outbox.drain(up)
    assert client.get("/api/v1/homes?q=姑苏康乐").get_json()["items"][0]["beds_free"] == 4 + 5 + 5


def test_english_error_messages_follow_the_locale(client, app):
    error = _error(client.get("/api/v1/homes?care_level=vip&lang=en"))
    assert "Must be one of" in " ".join(error["fields"]["care_level"])


def test_each_facet_count_is_the_total_that_choosing_it_gives_through_the_api(client, homes):
    base = "care_level=full&has_vacancy=true"
    facets = client.get(f"/api/v1/homes?{base}").get_json()["facets"]
    param = {"care_level": "care_level", "grade": "min_grade", "price_band": "price_band", "city": "city",
             "province": "province", "features": "features", "ownership": "ownership"}
    for name, values in facets.items():
        for value in values:
            query = f"{base}&{param.get(name, name)}={value['key']}"
            if name == "care_level":
                query = f"has_vacancy=true&care_level={value['key']}"
            assert client.get(f"/api/v1/homes?{query}").get_json()["total"] == value["count"], (name, value)


def test_price_band_narrows_the_typed_price_range(client, homes):
    body = client.get("/api/v1/homes?care_level=full&price_band=8000_12000").get_json()
    assert [i["monthly_price_fen"] for i in body["items"]] == [870_000]  # Hangzhou; Shanghai's 12,500 is above
    assert client.get("/api/v1/homes?care_level=full&price_band=8000_12000&max_price=8500").get_json()["total"] == 0
    assert client.get("/api/v1/homes?care_level=full&price_band=ge12000").get_json()["total"] == 1
    assert "price_band" in _error(client.get("/api/v1/homes?price_band=cheap"))["fields"]


@pytest.mark.parametrize("query", ["", "q=suzhou&lang=en", "city=320500&care_level=full",
                                   "near=31.2,121.4&sort=distance"])
def test_the_search_payload_is_exactly_what_the_documented_schema_describes(client, homes, query):
    from marketplace.api_schemas import SearchResponseSchema

    body = client.get(f"/api/v1/homes?{query}").get_json()
    assert SearchResponseSchema().dump(body) == body


def test_the_district_facet_appears_once_a_city_is_chosen(client, homes):
    assert "district" not in client.get("/api/v1/homes").get_json()["facets"]
    districts = client.get("/api/v1/homes?city=320500").get_json()["facets"]["district"]
    assert districts == [{"key": "320508", "label": "姑苏区", "count": 1}]


def test_search_and_detail_carry_the_quality_rating(client, homes):
    from core.extensions import db

    rated = homes[0]
    rated.quality_stars, rated.quality_warning = 2, True
    db.session.commit()
    outbox.drain(current_backend())
    items = {i["id"]: i for i in client.get("/api/v1/homes").get_json()["items"]}
    assert (items[rated.id]["quality_stars"], items[rated.id]["quality_warning"]) == (2, True)
    assert (items[homes[1].id]["quality_stars"], items[homes[1].id]["quality_warning"]) == (None, False)
    detail = client.get(f"/api/v1/homes/{rated.id}").get_json()
    assert (detail["quality_stars"], detail["quality_warning"]) == (2, True)
    assert [i["id"] for i in client.get("/api/v1/homes?min_quality=2").get_json()["items"]] == [rated.id]


def test_compare_shows_the_quality_rating_and_marks_it_when_homes_differ(client, homes):
    from core.extensions import db

    homes[0].quality_stars = 4
    db.session.commit()
    ids = f"{homes[0].id},{homes[1].id}"
    body = client.get(f"/api/v1/compare?ids={ids}").get_json()
    assert [c["quality_stars"] for c in body["homes"]] == [4, None]
    assert "quality_stars" in body["differing_rows"]
    page = client.get(f"/compare?ids={ids}&lang=en").get_data(as_text=True)
    assert 'class="differs" data-row="quality_stars"' in page and "Quality rating 4 of 5 stars" in page


def test_a_word_that_matches_nothing_is_dropped_and_named_in_chinese(client, homes):
    body = client.get("/api/v1/homes?q=杭州 失智 老人&lang=zh_CN").get_json()
    assert body["total"] == 1 and body["items"][0]["city_code"] == "330100"
    assert body["understanding"]["dropped"] == ["老人"]
    assert body["understanding"]["notice"] == "没有找到'老人'，已显示其余条件的结果"


def test_a_word_that_matches_nothing_is_dropped_and_named_in_english(client, homes):
    body = client.get("/api/v1/homes?q=hangzhou dementia qwertz&lang=en").get_json()
    assert body["total"] == 1
    assert body["understanding"]["notice"] == "No match for 'qwertz'; showing results for the rest of your search."


def test_nonsense_finds_nothing_and_the_api_suggests_the_closest_places(client, homes):
    body = client.get("/api/v1/homes?q=xyzzy&lang=zh_CN").get_json()
    assert body["total"] == 0 and body["items"] == []
    assert body["understanding"]["notice"] == "没有找到与'xyzzy'相符的机构。"
    body = client.get("/api/v1/homes?q=suzhuoo&lang=zh_CN").get_json()
    assert body["total"] == 0
    assert body["understanding"]["notice"] == "没有找到与'suzhuoo'相符的机构。 您是不是要找：苏州市、宿州市"
    body = client.get("/api/v1/homes?q=suzhuoo&lang=en").get_json()
    assert body["understanding"]["notice"] == ("Nothing matches 'suzhuoo'. "
                                               "Did you mean: Suzhou (Jiangsu), Suzhou (Anhui)")


def test_a_city_and_district_written_together_find_the_districts_homes(client, homes):
    body = client.get("/api/v1/homes?q=杭州西湖").get_json()
    assert [i["district_code"] for i in body["items"]] == ["330106"]
    assert body["understanding"]["recognised"] == ["杭州市", "西湖区"]


# -- the cursor ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", ["per_page=1", "per_page=1&sort=price", "per_page=1&sort=grade",
                                    "per_page=2&q=养老院", "per_page=1&near=31.2,121.4&sort=distance"])
def test_walking_by_cursor_gives_the_same_pages_as_page_numbers(client, homes, params):
    first = client.get(f"/api/v1/homes?{params}").get_json()
    by_number = [first] + [client.get(f"/api/v1/homes?{params}&page={p}").get_json()
                           for p in range(2, first["pages"] + 1)]
    by_cursor, body = [first], first
    while body["next_cursor"]:
        body = client.get(f"/api/v1/homes?{params}&cursor={body['next_cursor']}").get_json()
        by_cursor.append(body)
    assert [(b["page"], [i["id"] for i in b["items"]]) for b in by_cursor] == \
        [(b["page"], [i["id"] for i in b["items"]]) for b in by_number]
    assert by_cursor[-1]["next_cursor"] is None and len(by_cursor) == first["pages"] > 1
    assert all(b["total"] == first["total"] and b["facets"] == first["facets"] for b in by_cursor)


def test_a_cursor_reaches_past_the_result_window(client, app, homes):
    from dataclasses import replace

    from marketplace.schemas import HomeSearchArgs
    from search.cursor import encode_cursor
    from search.query import MAX_RESULT_WINDOW
    from search.service import run_search

    with app.test_request_context():
        query = HomeSearchArgs().load({"per_page": "20", "sort": "price"})
        first = run_search(replace(query, per_page=1))
        deep = replace(query, page=MAX_RESULT_WINDOW // 20 + 5)  # far past what page= may ask for
        cursor = encode_cursor(deep, first.last_key, app.config["SECRET_KEY"], app.config["SEARCH_BACKEND"])
    body = client.get(f"/api/v1/homes?per_page=20&sort=price&cursor={cursor}").get_json()
    expected = client.get("/api/v1/homes?per_page=20&sort=price").get_json()["items"][1:]
    assert body["page"] == deep.page + 1 and body["items"] == expected


@pytest.mark.parametrize("cursor", ["nonsense", "eyJmIjoiMCJ9.forged", "x" * 2000])
def test_a_bad_cursor_is_a_400_naming_it(client, homes, cursor):
    error = _error(client.get(f"/api/v1/homes?per_page=1&cursor={cursor}"))
    assert set(error["fields"]) == {"cursor"}


def test_a_cursor_of_another_search_is_a_400(client, homes):
    cursor = client.get("/api/v1/homes?per_page=1&sort=price").get_json()["next_cursor"]
    for other in ("per_page=1&sort=grade", "per_page=2&sort=price", "per_page=1&sort=price&care_level=full"):
        assert "cursor" in _error(client.get(f"/api/v1/homes?{other}&cursor={cursor}"))["fields"], other


def test_the_cursor_is_documented_in_the_openapi_spec(client):
    spec = client.get("/openapi.json").get_json()
    search = spec["paths"]["/api/v1/homes"]["get"]
    assert "cursor" in {p["name"] for p in search["parameters"]}
    assert "next_cursor" in str(spec["components"]["schemas"])


@pytest.mark.parametrize("query", ["", "?lang=en", "?care_level=full&from_city=320500"])
def test_the_home_payload_is_exactly_what_the_documented_schema_describes(client, homes, query):
    from marketplace.api_schemas import HomeDetailSchema

    body = client.get(f"/api/v1/homes/{homes[2].id}{query}").get_json()
    assert body["fees"] and HomeDetailSchema().dump(body) == body


def test_json_responses_are_utf8_and_keep_their_values(client, homes):
    response = client.get(f"/api/v1/homes/{homes[0].id}")
    assert response.mimetype == "application/json"
    name = "苏州姑苏康乐护理院"
    assert name in response.get_data(as_text=True) and response.get_json()["name"] == name
