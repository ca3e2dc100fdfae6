"""The dashboard page and its CSV export: who sees what, the jurisdiction, and the export round-trip."""

import csv
import io
import re
from datetime import date, timedelta

import pytest

from core.db import utcnow
from core.extensions import db
from dashboard import queries, tables
from reviews.models import Review
from tests.factories import login_as, make_home, make_user

SUZHOU, NANJING = "320500", "320100"


@pytest.fixture
def world(app):
    """Jiangsu homes (Suzhou, Nanjing demo), Zhejiang homes with distinctive names, a pending review."""
    w = {
        "suzhou": make_home("320508", name="姑苏测试院", beds_total=120, fees={"full": (2000, 2100, 900)},
                            free={"full": 3}, quality_stars=4),
        "wuzhong": make_home("320506", name="吴中测试院", beds_total=80, fees={"full": (2500, 2600, 900)},
                             free={"full": 0}, confirmed_days_ago=20),
        "nanjing": make_home("320102", name="玄武演示院", beds_total=60, fees={"full": (1800, 1400, 800)},
                             free={"full": 2}, is_demo=True),
        "hangzhou": make_home("330106", name="西湖机密院", beds_total=300, fees={"full": (4000, 4000, 1000)},
                              free={"full": 9}, confirmed_days_ago=40),
    }
    db.session.add(Review(home_id=w["wuzhong"].id, relationship="family", period_start=date(2026, 1, 1),
                          period_end=date(2026, 3, 1), overall=2, status="pending",
                          created_at=utcnow() - timedelta(days=4)))
    db.session.commit()
    return w


def _get(client, user, url, **kwargs):
    login_as(client, user)
    return client.get(url, **kwargs)


def _parse_csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _page_cells(html, table, city):
    """Return {data-key: text} of the row of CITY in TABLE on the page (text without tags)."""
    section = html[html.index(f'id="table-{table}"'):]
    section = section[:section.index("</table>")]
    row = re.search(rf'<tr[^>]*data-city="{city}"[^>]*>(.*?)</tr>', section, re.S).group(1)
    return {key: re.sub(r"<[^>]+>", "", text).strip()
            for key, text in re.findall(r'data-key="(\w+)"[^>]*>(.*?)</t[hd]>', row, re.S)}


def test_a_regulator_sees_the_figures_of_their_province(client, world):
    html = _get(client, make_user("regulator", jurisdiction="320000"), "/regulator/dashboard?lang=en") \
        .get_data(as_text=True)
    assert "Jurisdiction: Jiangsu." in html
    assert _page_cells(html, "capacity", SUZHOU) == {"city": "Suzhou (Jiangsu)", "homes": "2", "demo_homes": "0",
                                                     "beds": "200", "free_beds": "3"}
    assert _page_cells(html, "capacity", "")["homes"] == "3"
    assert _page_cells(html, "prices", SUZHOU)["full_median"] == "¥5,500"  # median of 5000 and 6000
    assert _page_cells(html, "backlog", SUZHOU)["pending"] == "1"
    assert _page_cells(html, "backlog", SUZHOU)["oldest_days"] == "4"
    assert 'id="chart-capacity"' in html and 'id="dashboard-charts"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_a_zhejiang_regulator_never_sees_jiangsu_homes(client, world):
    user = make_user("regulator", jurisdiction="330000")
    html = _get(client, user, "/regulator/dashboard").get_data(as_text=True)
    assert "西湖机密院" in html  # its own stale listing
    for name in ("姑苏测试院", "吴中测试院", "玄武演示院"):
        assert name not in html
    assert 'data-city="320500"' not in html and 'data-city="330100"' in html
    assert _page_cells(html, "capacity", "")["homes"] == "1"
    assert "dashboard-demo-notice" not in html  # no demo home in Zhejiang
    for name in tables.TABLES:
        text = "\n".join(",".join(r) for r in _parse_csv(client.get(f"/regulator/dashboard/{name}.csv")))
        assert "姑苏" not in text and "苏州" not in text and "吴中" not in text and "南京" not in text


def test_demo_homes_are_labelled_as_demo(client, world):
    html = _get(client, make_user("regulator", jurisdiction="320000"), "/regulator/dashboard?lang=en") \
        .get_data(as_text=True)
    notice = html[html.index('id="dashboard-demo-notice"'):]
    assert "Made-up demonstration homes: 1 of the 3 homes here." in notice[:600]
    assert 'class="badge demo"' in notice[:600]


def test_csv_export_round_trips_to_the_same_figures(client, world):
    login_as(client, make_user("regulator", jurisdiction="320000"))
    html = client.get("/regulator/dashboard?lang=en").get_data(as_text=True)
    board = tables.build_dashboard("320000")
    capacity = queries.capacity_by_city("320000")
    medians = queries.price_medians(queries.monthly_prices_by_city("320000"))
    for name in tables.TABLES:
        rows = _parse_csv(client.get(f"/regulator/dashboard/{name}.csv?lang=en"))
        table = board.tables[name]
        assert rows[0] == [label for _k, label, _kind in table.columns]
        assert len(rows) - 1 == len(table.all_rows())
        by_key = [dict(zip([k for k, _l, _t in table.columns], r)) for r in rows[1:]]
        if name == "capacity":
            for row, raw in zip(by_key, table.rows):
                figures = capacity.get(raw["city_code"], {"homes": 0, "beds": 0, "free_beds": 0, "demo_homes": 0})
                assert {k: int(row[k]) for k in figures} == figures
                page = _page_cells(html, "capacity", raw["city_code"])
                assert {k: page[k] for k in figures} == {k: row[k] for k in figures}
            assert int(by_key[-1]["homes"]) == 3 and by_key[-1]["city"] == "All cities"
        if name == "prices":
            suzhou = next(r for r, raw in zip(by_key, table.rows) if raw["city_code"] == SUZHOU)
            assert round(float(suzhou["full_median"]) * 100) == medians[SUZHOU]["full"]["median_fen"] == 550000
            assert int(suzhou["full_homes"]) == 2 and suzhou["dementia_median"] == ""
        if name == "stale_homes":
            assert [int(r["home_id"]) for r in by_key] == [world["wuzhong"].id]
            assert int(by_key[0]["days"]) == 20
        if name == "backlog":
            assert by_key[-1]["pending"] == "1" and by_key[-1]["oldest_days"] == "4"


def test_format_csv_gives_the_same_export(client, world):
    login_as(client, make_user("regulator", jurisdiction="320000"))
    a = client.get("/regulator/dashboard?format=csv&table=ratings")
    b = client.get("/regulator/dashboard/ratings.csv")
    assert a.status_code == b.status_code == 200
    assert a.mimetype == "text/csv" and "attachment" in a.headers["Content-Disposition"]
    assert _parse_csv(a) == _parse_csv(b)


def test_the_csv_is_in_chinese_by_default(client, world):
    rows = _parse_csv(_get(client, make_user("regulator", jurisdiction="320000"), "/regulator/dashboard/capacity.csv"))
    assert rows[0][0] == "城市" and rows[5][0] == "苏州市" and rows[-1][0] == "全部城市"


def test_an_admin_sees_every_province(client, world):
    html = _get(client, make_user("admin"), "/regulator/dashboard").get_data(as_text=True)
    assert _page_cells(html, "capacity", "")["homes"] == "4"
    assert 'data-city="330100"' in html and 'data-city="320500"' in html


@pytest.mark.parametrize("url, status", [
    ("/regulator/dashboard?format=xml", 400),
    ("/regulator/dashboard?format=csv", 400),
    ("/regulator/dashboard?format=csv&table=nope", 404),
    ("/regulator/dashboard/nope.csv", 404),
])
def test_bad_requests_get_a_clear_4xx(client, world, url, status):
    response = _get(client, make_user("regulator", jurisdiction="320000"), url)
    assert response.status_code == status


def test_a_regulator_without_a_jurisdiction_is_refused(client, world):
    assert _get(client, make_user("regulator"), "/regulator/dashboard").status_code == 403
    assert client.get("/regulator/dashboard/capacity.csv").status_code == 403


def test_families_and_providers_are_refused(client, world):
    assert client.get("/regulator/dashboard").status_code == 302  # anonymous: to the login page
    assert _get(client, make_user("family"), "/regulator/dashboard").status_code == 403
    assert client.get("/regulator/dashboard/capacity.csv").status_code == 403
