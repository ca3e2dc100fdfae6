"""The generic `directory` source: real-looking name + address lists import on the first try, nothing invented.

Every file here is built by the test (realistic shapes, not copies of a real list): minimal lists, lists across
the four provinces, renamed and split districts, duplicates with small differences, GBK and XLSX, JSON, extra
columns, rows outside the YRD.
"""

import csv
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from core.extensions import db
from ingest import services
from ingest.models import QuarantinedRow
from marketplace.models import Home
from opendata.export import home_rows

HEADER = ["机构名称", "地址", "省份"]
MINIMAL = [
    ["杭州市西湖区紫荆花护理院", "杭州市西湖区紫荆花路1号", "浙江省"],
    ["静安区共和新路养老院", "上海市闸北区共和新路100号", "上海市"],
    ["打浦桥敬老院", "卢湾区打浦路1号", "上海"],
    ["惠南镇福利院", "上海市南汇区惠南镇人民东路5号", "上海市"],
    ["环城北路颐养院", "杭州市下城区环城北路1号", "浙江省"],
    ["人民路老年公寓", "苏州市沧浪区人民路1号", "江苏省"],
    ["干将东路护理院", "苏州市平江区干将东路2号", "江苏省"],
    ["松陵颐养中心", "吴江市松陵镇开平路8号", "江苏省"],
    ["九堡康养中心", "杭州市江干区九堡镇九环路3号", "浙江省"],
    ["江干某路养老院", "杭州市江干区某某路9号", "浙江省"],
    ["南京城南养老院", "南京市中华路5号", "江苏省"],
    ["蜀山区长江西路养老院", "合肥市蜀山区长江西路20号", "安徽省"],
    ["天河区养老院", "广州市天河区天河路1号", "广东省"],
    ["", "杭州市西湖区某路2号", "浙江省"],
    ["无处可寻养老院", "人民路1号", ""],
]
EXPECTED = {  # name -> (district code or None, city code, former district name)
    "杭州市西湖区紫荆花护理院": ("330106", "330100", None),
    "静安区共和新路养老院": ("310106", "310000", "闸北区"),
    "打浦桥敬老院": ("310101", "310000", "卢湾区"),
    "惠南镇福利院": ("310115", "310000", "南汇区"),
    "环城北路颐养院": ("330105", "330100", "下城区"),
    "人民路老年公寓": ("320508", "320500", "沧浪区"),
    "干将东路护理院": ("320508", "320500", "平江区"),
    "松陵颐养中心": ("320509", "320500", "吴江市"),
    "九堡康养中心": ("330102", "330100", "江干区"),
    "江干某路养老院": (None, "330100", "江干区"),
    "南京城南养老院": (None, "320100", None),
    "蜀山区长江西路养老院": ("340104", "340100", None),
}


def write_csv(path, header, rows, encoding="utf-8"):
    """Write a CSV list in ENCODING (utf-8-sig gives the BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, header, rows):
    """Write an XLSX list, the first sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def run_file(path, source="directory"):
    """Import PATH through SOURCE, then bring the search index up to it (as the CLI does); return the run."""
    from search import outbox
    from search.backend import current_backend

    with open(path, "rb") as fh:
        run, _created = services.import_file(source, fh, path.name)
    outbox.drain(current_backend())
    return run


def _home(name):
    return db.session.scalar(sa.select(Home).where(Home.name == name))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_minimal_name_address_province_list_imports_with_todays_codes(app, tmp_path, encoding):
    run = run_file(write_csv(tmp_path / f"list-{encoding}.csv", HEADER, MINIMAL, encoding))
    assert run.status == "done"
    assert run.inserted == len(EXPECTED)
    assert run.outside_region == 1
    assert run.city_level == 2
    problems = {r.data.get("address"): r.problems[0]["code"] for r in db.session.scalars(sa.select(QuarantinedRow))}
    assert problems == {"杭州市西湖区某路2号": "missing", "人民路1号": "no_place"}
    for name, (district, city, former) in EXPECTED.items():
        home = _home(name)
        assert (home.district_code, home.city_code, home.former_district_name) == (district, city, former), name
        assert home.location_approximate and home.lat is not None


def test_nothing_is_invented_in_sql_api_open_data_and_page(app, client, tmp_path):
    run_file(write_csv(tmp_path / "list.csv", HEADER, MINIMAL[:1]))
    home = _home("杭州市西湖区紫荆花护理院")
    row = db.session.execute(sa.text("SELECT beds_total, ownership, phone, grade FROM homes WHERE id = :id"),
                             {"id": home.id}).one()
    assert tuple(row) == (None, None, None, None)
    assert home.fee_items == [] and home.beds_free is None
    detail = client.get(f"/api/v1/homes/{home.id}").get_json()
    for key in ("beds_total", "beds_free", "ownership", "monthly_price_fen", "grade"):
        assert detail[key] is None, key
    assert detail["contact"]["phone"] is None
    exported = next(r for r in home_rows() if r["id"] == home.id)
    assert exported["beds_total"] is None and exported["ownership"] is None and exported["beds_free"] is None
    page = client.get(f"/homes/{home.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "收费未公布" in page and "床位数未公布" in page
    assert "私营" not in page and "民办" not in page


def test_a_home_without_fees_is_found_by_name_and_left_out_of_price_filters_with_the_count(app, client, tmp_path):
    run_file(write_csv(tmp_path / "list.csv", HEADER, MINIMAL[:1]))
    found = client.get("/api/v1/homes?q=紫荆花").get_json()
    assert [i["name"] for i in found["items"]] == ["杭州市西湖区紫荆花护理院"]
    assert found["items"][0]["monthly_price_fen"] is None
    filtered = client.get("/api/v1/homes?q=紫荆花&max_price=20000").get_json()
    assert filtered["total"] == 0 and filtered["unpriced_excluded"] == 1
    page = client.get("/?q=紫荆花&sort=price", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "有 1 家机构未公布收费" in page


def test_re_importing_a_directory_is_idempotent(app, tmp_path):
    first = run_file(write_csv(tmp_path / "a.csv", HEADER, MINIMAL))
    homes = db.session.scalar(sa.select(sa.func.count()).select_from(Home))
    again = run_file(write_csv(tmp_path / "b.csv", HEADER, MINIMAL, "gbk"))  # the same rows, other bytes
    assert again.id != first.id
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(EXPECTED))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == homes


def test_xlsx_with_english_headers_extra_columns_and_duplicates_in_one_file(app, tmp_path):
    header = ["name", "address", "province", "city", "beds", "phone", "ownership", "opening year", "website"]
    rows = [
        ["Sunny Garden Care Home", "西湖区文三路10号", "浙江省", "杭州市", 120, "0571-1234567", "民办", 2008, "x.cn"],
        ["Sunny Garden Care Home", "西湖区文三路10号", "浙江省", "杭州市", None, None, None, 2008, None],
        ["Riverside Home", "鼓楼区中山路1号", "江苏省", "南京市", None, None, "公办", None, None],
    ]
    run = run_file(write_xlsx(tmp_path / "list.xlsx", header, rows))
    assert (run.inserted, run.merged, run.quarantined) == (2, 1, 0)
    sunny = _home("Sunny Garden Care Home")
    assert (sunny.district_code, sunny.beds_total, sunny.phone, sunny.ownership) == ("330106", 120, "0571-1234567",
                                                                                      "private")
    riverside = _home("Riverside Home")
    assert riverside.district_code == "320106" and riverside.beds_total is None and riverside.ownership == "public"


def test_a_json_list_spanning_provinces_takes_each_rows_own_province(app, tmp_path):
    items = [{"名称": "宿州养老中心", "详细地址": "宿州市埇桥区淮海路1号", "所在省份": "安徽省", "备注": "新建"},
             {"名称": "嘉兴颐养院", "详细地址": "嘉兴市南湖区中山路2号", "所在省份": "浙江省"},
             {"名称": "朝阳养老院", "详细地址": "北京市朝阳区建国路3号", "所在省份": "北京市"}]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    run = run_file(path)
    assert (run.inserted, run.outside_region, run.quarantined) == (2, 1, 0)
    assert _home("宿州养老中心").province_code == "340000"
    assert _home("嘉兴颐养院").district_code == "330402"


def test_contradictory_region_columns_and_address_are_quarantined(app, tmp_path):
    rows = [["苏州错位养老院", "杭州市西湖区某路1号", "江苏省", "苏州市"]]
    run = run_file(write_csv(tmp_path / "list.csv", ["机构名称", "地址", "省份", "城市"], rows))
    assert run.quarantined == 1 and run.inserted == 0
    row = db.session.scalar(sa.select(QuarantinedRow))
    assert row.problems[0]["code"] == "contradictory_place"


def test_the_run_report_counts_by_reason_and_the_problem_rows_download_in_the_users_language(app, client,
                                                                                             tmp_path):
    from tests.factories import login_as, make_user

    run = run_file(write_csv(tmp_path / "list.csv", HEADER, MINIMAL))
    login_as(client, make_user("admin"))
    page = client.get(f"/regulator/imports/runs/{run.id}", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="count-city-level">2<' in html and 'id="count-outside-region">1<' in html
    assert "无法定位到长三角" in html and "缺少必填项" in html
    zh = client.get(f"/regulator/imports/runs/{run.id}/problems.csv", headers={"Accept-Language": "zh-CN"})
    rows = list(csv.reader(io.StringIO(zh.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["行", "名称", "地址", "状态", "原因"] and len(rows) == 3
    assert "长三角" in rows[2][4] and not any(c.isascii() and c.isalpha() for c in rows[2][4])
    en = client.get(f"/regulator/imports/runs/{run.id}/problems.csv?lang=en", headers={"Accept-Language": "en"})
    text = en.get_data(as_text=True)
    assert "Nothing in the row places the home" in text and "无法定位" not in text


def test_the_geocoder_chain_asks_the_next_when_one_has_nothing_and_keeps_the_precision(app, tmp_path):
    from geopy.geocoders import Nominatim

    from ingest import geocode
    from tests.ingest import fake_geocoder

    app.config.update(INGEST_GEOCODER="tests.ingest.fake_geocoder:Silent, tests.ingest.fake_geocoder:BaiduLike",
                      INGEST_GEOCODER_CRS="bd09", INGEST_GEOCODER_MIN_DELAY_S=0,
                      INGEST_GEOCODER_OPTIONS={"user_agent": "yrd-tests"})
    fake_geocoder.CALLS.clear()
    rows = [["长江西路养老院", "合肥市蜀山区长江西路 500 号", "安徽省"],
            ["无名路养老院", "合肥市蜀山区无名路1号", "安徽省"]]
    run_file(write_csv(tmp_path / "list.csv", HEADER, rows))
    found, centre = _home("长江西路养老院"), _home("无名路养老院")
    assert (round(found.lat, 4), round(found.lon, 4)) == (31.86, 117.25)
    assert (found.location_approximate, found.location_precision) == (False, "street")
    assert (centre.location_approximate, centre.location_precision) == (True, "district")
    assert [c for c in fake_geocoder.CALLS if isinstance(c, tuple)] == [("silent", "合肥市蜀山区长江西路 500 号"),
                                                                       ("silent", "合肥市蜀山区无名路1号")]
    # the configured service names build real geopy classes (never called here: no network in tests)
    assert isinstance(geocode._geocoder("nominatim"), Nominatim)
    assert geocode.chain("nominatim, baiduv3") == ["nominatim", "baiduv3"]


def test_an_operator_or_regulator_corrects_an_approximate_pin_which_marks_it_verified(app, client, tmp_path):
    from marketplace.models import ListingChange, Provider
    from tests.factories import login_as, make_user

    run_file(write_csv(tmp_path / "list.csv", HEADER, MINIMAL[:1]))
    home = _home("杭州市西湖区紫荆花护理院")
    assert home.location_approximate and home.location_precision == "district"
    page = client.get(f"/homes/{home.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "地图上的位置为大致位置" in page
    provider = Provider(name="紫荆花运营")
    db.session.add(provider)
    db.session.commit()
    home.provider_id = provider.id
    db.session.commit()
    staff = make_user("provider", provider=provider)
    login_as(client, staff)
    form = client.get(f"/homes/{home.id}/pin").get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    far = client.post(f"/homes/{home.id}/pin", data={"csrf_token": token, "lat": "39.9", "lon": "116.4"})
    assert far.status_code == 400 and db.session.get(Home, home.id).location_verified is False
    moved = client.post(f"/homes/{home.id}/pin", data={"csrf_token": token, "lat": "30.2801", "lon": "120.1102"})
    assert moved.status_code == 302
    db.session.expire_all()
    home = db.session.get(Home, home.id)
    assert (home.lat, home.lon, home.location_approximate, home.location_verified) == (30.2801, 120.1102, False,
                                                                                          True)
    change = db.session.scalar(sa.select(ListingChange).where(ListingChange.home_id == home.id,
                                                              ListingChange.channel == "portal"))
    assert change.changes["location"][1] == [30.2801, 120.1102]
    other = make_user("regulator", jurisdiction="320000")
    login_as(client, other)
    assert client.get(f"/homes/{home.id}/pin").status_code == 403


def test_a_quarantined_directory_row_is_fixed_on_its_page_and_imported(app, client, tmp_path):
    from tests.factories import login_as, make_user

    run_file(write_csv(tmp_path / "list.csv", HEADER, MINIMAL))
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.problems[0]["code"].as_string()
                                                            == "no_place"))
    login_as(client, make_user("admin"))
    url = f"/regulator/imports/quarantine/{row.id}"
    page = client.get(url)
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    fixed = client.post(url, data={"csrf_token": token, "action": "reimport", "name": "无处可寻养老院",
                                   "address": "嘉兴市南湖区人民路1号"})
    assert fixed.status_code == 302, fixed.get_data(as_text=True)[:2000]
    assert _home("无处可寻养老院").district_code == "330402"
