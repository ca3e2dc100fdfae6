"""The family-facing HTML pages: search, a home, compare, the language switch; zh-CN and English."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core import time
from search.backend import current_backend
from search.outbox import drain
from tests.factories import make_home

ROOT = Path(__file__).resolve().parents[2]

def _index():
    drain(current_backend())


@pytest.fixture
def homes(app):
    """Three homes in three cities: a graded demo home in Suzhou, a public one in Shanghai, one in Hangzhou."""
    suzhou = make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", grade=4, is_demo=True,
                       medical_insurance=True, ltci=True, source="苏州市民政局公示", grade_source="苏州市民政局 2024",
                       grade_valid_until=time.today() + timedelta(days=300), phone="0512-12345678",
                       visiting_hours="09:00–17:00", services=["rehabilitation"], included=["three_meals"])
    shanghai = make_home("310104", name="徐汇颐养院", name_en="Xuhui Elderly Home", grade=5, ownership="public",
                         fees={"self_care": (3000, 500, 1000), "full": (3500, 4000, 1000)})
    hangzhou = make_home("330106", name="西湖护理院", name_en="West Lake Nursing Home",
                         fees={"full": (2000, 3000, 900)}, confirmed_days_ago=40)
    _index()
    return suzhou, shanghai, hangzhou


def _text(response):
    return response.get_data(as_text=True)


# --- search page -------------------------------------------------------------------------------------


def test_search_page_is_chinese_by_default(client, homes):
    response = client.get("/")
    html = _text(response)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "查找养老机构" in html and "长三角养老比选" in html
    assert "找到 3 家养老机构" in html
    assert "姑苏康复养老院" in html


def test_search_page_in_english_from_the_lang_parameter(client, homes):
    html = _text(client.get("/?lang=en"))
    assert '<html lang="en">' in html
    assert "Find a care home" in html and "3 homes found" in html
    assert "Gusu Rehab Care Home" in html
    assert "查找养老机构" not in html


def test_search_page_in_english_from_accept_language(client, homes):
    html = _text(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Find a care home" in html


def test_care_level_filter_shows_the_price_for_that_level(client, homes):
    html = _text(client.get("/?care_level=full&lang=en"))
    assert "3 homes found" in html
    assert "¥5,900" in html  # Suzhou: 2200 + 2800 + 900 yuan for fully dependent care
    assert "¥8,500" in html  # Shanghai
    assert "national level 3–4" in html


def test_filters_narrow_the_results(client, homes):
    html = _text(client.get("/?province=310000&lang=en"))
    assert "1 homes found" in html
    assert "Xuhui Elderly Home" in html and "Gusu Rehab Care Home" not in html


def test_checkbox_features_are_combined(client, homes):
    html = _text(client.get("/?features=medical_insurance&features=ltci&lang=en"))
    assert "1 homes found" in html and "Gusu Rehab Care Home" in html


def test_facets_show_counts_and_link_to_the_filter(client, homes):
    html = _text(client.get("/?lang=en"))
    assert re.search(r'href="/\?[^"]*province=320000[^"]*"[^>]*>Jiangsu</a>\s*<span class="count">1</span>', html)


def test_bad_price_gives_400_with_a_form_error(client, homes):
    response = client.get("/?min_price=cheap&lang=en")
    html = _text(response)
    assert response.status_code == 400
    assert 'id="min_price-error"' in html and "Not a valid integer" in html
    assert 'aria-invalid="true"' in html
    assert "Please check the search form" in html


def test_min_price_above_max_price_is_a_form_error(client, homes):
    response = client.get("/?min_price=9000&max_price=1000")
    assert response.status_code == 400
    assert "最低价格不能高于最高价格。" in _text(response)


def test_unknown_region_is_a_form_error_not_a_500(client, homes):
    response = client.get("/?city=999999&lang=en")
    assert response.status_code == 400
    assert "Unknown region code 999999." in _text(response)


def test_sorting_by_distance_without_a_place_is_a_form_error(client, homes):
    assert client.get("/?sort=distance").status_code == 400


def test_a_place_name_gives_distances(client, homes):
    response = client.get("/?place=昆山&sort=distance&lang=en")
    html = _text(response)
    assert response.status_code == 200
    assert "Showing distances from" in html and "km away" in html
    assert html.index("Gusu Rehab Care Home") < html.index("Xuhui Elderly Home") < html.index("West Lake")


def test_an_ambiguous_place_lets_the_family_choose(client, homes):
    html = _text(client.get("/?place=suzhou&lang=en"))
    assert "Several places are called" in html
    assert "place_code=320500" in html and "place_code=341300" in html  # 苏州 (Jiangsu), 宿州 (Anhui)


def test_a_chosen_place_code_resolves_the_place(client, homes):
    html = _text(client.get("/?place=suzhou&place_code=341300&lang=en"))
    assert "Several places are called" not in html and "km away" in html


def test_an_unknown_place_is_a_form_error(client, homes):
    response = client.get("/?place=Atlantis&lang=en")
    assert response.status_code == 400
    assert "We could not find the place" in _text(response)


def test_demo_homes_carry_a_demo_badge(client, homes):
    html = _text(client.get("/"))
    assert html.count('class="badge demo"') == 1
    assert "演示数据" in html


def test_stale_vacancies_are_flagged(client, homes):
    html = _text(client.get("/?city=330100&lang=en"))
    assert "May be out of date" in html


def test_search_engine_down_gives_a_503_page(client, homes, monkeypatch):
    def down(query):
        raise ConnectionError("engine unreachable")

    monkeypatch.setattr(current_backend(), "search", down)
    response = client.get("/?lang=en")
    assert response.status_code == 503
    assert "Search temporarily unavailable" in _text(response)


def test_map_markers_are_converted_to_gcj02_for_amap_tiles(app, client, homes):
    # the conversion follows the tiles: without tiles the offline base layer is drawn in WGS-84 (docs/maps.md)
    app.config["MAP_TILE_URL"] = "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    app.config["MAP_TILE_CRS"] = "gcj02"
    from geo.coords import wgs84_to_gcj02

    suzhou = homes[0]
    lat, _ = wgs84_to_gcj02(suzhou.lat, suzhou.lon)
    html = _text(client.get("/?province=320000"))
    assert f'"lat": {lat}' in html.replace("&#34;", '"')


# --- home page ---------------------------------------------------------------------------------------


def test_home_page_shows_fees_vacancies_grade_and_provenance(client, homes):
    suzhou = homes[0]
    response = client.get(f"/homes/{suzhou.id}?lang=en")
    html = _text(response)
    assert response.status_code == 200
    assert "Gusu Rehab Care Home" in html
    assert "¥5,900" in html and "¥10,000" in html  # fully dependent monthly total; deposit
    assert "Level 3: severely impaired" in html
    assert "Free beds" in html and "Last confirmed" in html
    assert "valid until" in html and "苏州市民政局 2024" in html
    assert "Medical-insurance designated clinic" in html
    assert "Where these figures come from" in html and "苏州市民政局公示" in html
    assert "this home and every figure on this page are made up" in html


def test_home_page_in_chinese(client, homes):
    html = _text(client.get(f"/homes/{homes[1].id}"))
    assert "徐汇颐养院" in html and "各护理等级收费" in html and "演示数据" not in html


def test_expired_grade_is_flagged(client, app):
    home = make_home(grade=3, grade_valid_until=time.today() - timedelta(days=1))
    assert "Grade expired" in _text(client.get(f"/homes/{home.id}?lang=en"))


def test_unknown_home_is_a_404(client, homes):
    response = client.get("/homes/999999?lang=en")
    assert response.status_code == 404
    assert "Page not found" in _text(response)


def test_home_page_with_a_bad_care_level_is_a_400(client, homes):
    assert client.get(f"/homes/{homes[0].id}?care_level=luxury").status_code == 400


# --- compare -----------------------------------------------------------------------------------------


def test_compare_shows_homes_side_by_side_with_differences_marked(client, homes):
    ids = ",".join(str(h.id) for h in homes)
    response = client.get(f"/compare?ids={ids}&care_level=full&from_city=310000&lang=en")
    html = _text(response)
    assert response.status_code == 200
    assert html.count('class="home-col"') == 3
    assert re.search(r'<tr class="differs" data-row="monthly_price_fen">', html)
    assert re.search(r'<tr class="" data-row="deposit_fen">', html)  # every home asks ¥10,000
    assert "¥5,900" in html and "¥8,500" in html and "¥5,900" in html
    assert 'value="full" selected' in html


def test_compare_more_than_the_maximum_is_a_400(client, homes):
    response = client.get("/compare?ids=1,2,3,4,5&lang=en")
    assert response.status_code == 400
    assert "Give between 1 and 4 home ids." in _text(response)


def test_compare_with_bad_ids_is_a_400(client, homes):
    assert client.get("/compare?ids=a,b").status_code == 400


def test_compare_an_unknown_home_is_a_404(client, homes):
    assert client.get(f"/compare?ids={homes[0].id},999999").status_code == 404


def test_compare_without_homes_explains_what_to_do(client, homes):
    response = client.get("/compare?lang=en")
    assert response.status_code == 200
    assert "Add homes to your compare list" in _text(response)


# --- language switch ---------------------------------------------------------------------------------


def test_language_switch_sets_the_cookie_and_returns(client, homes):
    response = client.get("/lang/en?next=/compare")
    assert response.status_code == 302
    assert response.headers["Location"] == "/compare"
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Compare homes" in _text(client.get("/compare"))
    client.get("/lang/zh_CN?next=/")
    assert "比较养老机构" in _text(client.get("/compare"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_a_400(client):
    assert client.get("/lang/xx").status_code == 400


def test_every_message_has_a_chinese_translation():
    with open(ROOT / "translations/zh_CN/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == []
    assert not catalog.fuzzy


def test_api_docs_load_swagger_ui_from_our_own_static_files(client):
    html = _text(client.get("/api/docs"))
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert client.get(f"/static/vendor/swagger-ui/{name}").status_code == 200


def test_leaflet_is_vendored_with_its_licence(client):
    for name in ("leaflet.js", "leaflet.css", "images/marker-icon.png", "LICENSE"):
        assert client.get(f"/static/vendor/leaflet/{name}").status_code == 200


def test_the_language_link_returns_to_the_same_page_without_the_lang_parameter(client, homes):
    html = _text(client.get("/?lang=en&province=320000"))
    assert 'href="/lang/zh_CN?next=/?province%3D320000"' in html


def _next_link(html):
    found = re.search(r'<a rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_next_link_follows_the_cursor_and_other_links_carry_none(client, homes):
    first = _text(client.get("/?sort=grade&per_page=1"))
    link, pages = _next_link(first), [first]
    while link:
        assert "cursor=" in link and "page=" in link
        pages.append(_text(client.get(link)))
        link = _next_link(pages[-1])
    assert len(pages) == 3
    assert all(f'aria-current="page" class="current">{n}<' in html for n, html in enumerate(pages, 1))
    shown = [next(name for name in ("徐汇颐养院", "姑苏康复养老院", "西湖护理院") if f">{name}<" in html)
             for html in pages]
    assert shown == ["徐汇颐养院", "姑苏康复养老院", "西湖护理院"]  # grade 5, 4, none
    links = re.findall(r'href="(/\?[^"]+)"', pages[1])
    assert len(links) > 5 and [h for h in links if "cursor=" in h] == [re.search(
        r'<a rel="next" href="([^"]+)"', pages[1]).group(1)]  # facets, sorts and page numbers start afresh


def test_a_bad_cursor_on_the_search_page_shows_the_first_page(client, homes):
    response = client.get("/?sort=grade&per_page=1&page=2&cursor=forged")
    assert response.status_code == 200
    assert 'aria-current="page" class="current">1<' in _text(response)
