"""Each adapter on its sample files, the broken rows included; normalisation rules one by one."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from geo import coords
from ingest.adapters import FormatError, adapters, detect_encoding, get_adapter
from ingest.models import QuarantinedRow
from ingest.normalise import monthly_fen, parse_grade, parse_yuan
from marketplace.models import Home
from tests.ingest.conftest import SAMPLES, import_sample


def _home(name):
    return db.session.scalar(sa.select(Home).where(Home.name == name))


def _problems(run):
    rows = db.session.scalars(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
                              .order_by(QuarantinedRow.row_number))
    return {row.row_number: {p["code"] for p in row.problems} for row in rows}


def test_there_are_adapters_for_the_four_provinces_and_a_city():
    scopes = {a.scope for a in adapters().values()}
    assert {"310000", "320000", "330000", "340000"} <= scopes
    assert len({(a.price_unit, a.grade_scale, a.coord_system) for a in adapters().values()}) >= 4


def test_shanghai_list_imports_district_names_gcj02_points_and_monthly_fees(app):
    run = import_sample("shanghai", "shanghai_2025q1.csv")
    assert (run.status, run.inserted, run.quarantined, run.rows_done) == ("done", 3, 4, 7)
    home = _home("上海市徐汇区康乐养老院")
    assert (home.district_code, home.city_code, home.province_code) == ("310104", "310000", "310000")
    assert home.grade == 3 and home.beds_total == 120 and home.ownership == "public"
    assert abs(home.lat - 31.1850) < 1e-5 and abs(home.lon - 121.4350) < 1e-5  # GCJ-02 converted back
    assert not home.location_approximate
    fees = home.current_fees()
    assert fees["full"]["bed"].amount_fen == 250000 and fees["full"]["care"].amount_fen == 260000
    assert fees["full"]["meals"].amount_fen == 90000
    assert "dementia" not in fees  # no dementia care fee in the row: the level is not offered
    assert _home("静安区福寿老年公寓").district_code == "310106"  # 静安 (short name) resolves too


def test_shanghai_broken_rows_are_quarantined_with_their_reasons(app):
    run = import_sample("shanghai", "shanghai_2025q1.csv")
    assert _problems(run) == {5: {"impossible_price", "no_prices"}, 6: {"unknown_district"},
                              7: {"duplicate_row"}, 8: {"missing"}}


def test_jiangsu_xlsx_converts_yuan_per_day_stars_and_bd09(app):
    run = import_sample("jiangsu", "jiangsu_2025.xlsx")
    assert (run.inserted, run.quarantined) == (3, 4)
    home = _home("苏州市姑苏区沧浪颐养院")
    assert home.licence_no == "32050800001" and home.grade == 4 and home.district_code == "320508"
    assert abs(home.lat - 31.3100) < 1e-5 and abs(home.lon - 120.6150) < 1e-5  # BD-09 converted back
    fees = home.current_fees()
    assert fees["self_care"]["bed"].amount_fen == 80 * 30 * 100  # 80 yuan a day -> 2,400 yuan a month
    assert fees["full"]["care"].amount_fen == 90 * 30 * 100
    assert _home("苏州市吴中区太湖康养中心").grade == 5  # 五星级
    assert _problems(run) == {5: {"unknown_code"}, 6: {"out_of_scope"}, 7: {"bad_grade"}, 8: {"far_coordinates"}}


def test_zhejiang_gbk_csv_is_detected_and_bed_fee_includes_care(app):
    assert detect_encoding(SAMPLES / "zhejiang_2025_gbk.csv") == "gb18030"
    run = import_sample("zhejiang", "zhejiang_2025_gbk.csv")
    assert (run.inserted, run.quarantined) == (3, 2)
    home = _home("杭州市西湖区之江颐养院")
    assert home.grade == 4 and home.district_code == "330106"
    assert abs(home.lat - 30.2) < 1e-9 and abs(home.lon - 120.13) < 1e-9  # WGS-84 kept as is
    fees = home.current_fees()
    assert fees["partial"]["bed"].amount_fen == 480000 and "care" not in fees["partial"]
    assert home.monthly_price_for("partial") == 480000 + 120000
    assert _problems(run) == {5: {"impossible_price"}, 6: {"bad_grade"}}


@pytest.mark.parametrize("name", ["anhui_2025_gb18030.csv", "anhui_2025.xlsx"])
def test_anhui_rows_without_coordinates_get_the_district_centre_marked_approximate(app, name):
    run = import_sample("anhui", name)
    assert (run.inserted, run.quarantined) == (3, 2)
    home = _home("合肥市蜀山区安康养老院")
    assert home.district_code == "340104" and home.grade == 3 and home.location_approximate
    assert (home.lat, home.lon) == (31.853254, 117.255035)
    assert home.monthly_price_for("self_care") == 260000
    assert _problems(run) == {5: {"out_of_scope"}, 6: {"bad_number", "no_prices"}}


def test_a_file_without_a_required_column_is_refused_as_a_whole(app):
    with pytest.raises(ServiceError) as exc:
        import_sample("jiangsu", "jiangsu_missing_columns.xlsx")
    assert exc.value.code == "unreadable_file" and "行政区划代码" in exc.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == 0


def test_a_broken_workbook_is_refused(app):
    with pytest.raises(ServiceError):
        import_sample("jiangsu", "not_a_table.xlsx")


def test_an_unknown_source_is_refused(app):
    with pytest.raises(ServiceError) as exc:
        import_sample("beijing", "shanghai_2025q1.csv")
    assert exc.value.code == "unknown_source"


def test_header_mapping_reports_every_missing_column():
    with pytest.raises(FormatError) as exc:
        get_adapter("shanghai").header_map(["机构名称", "床位费(元/月)"])
    assert "机构地址" in str(exc.value) and "所在区" in str(exc.value)


@pytest.mark.parametrize("text, scale, grade", [
    ("★★★", "stars", 3), ("五星级", "stars", 5), ("3星", "stars", 3), ("三级", "ji", 3), ("一级", "ji", 1),
    ("AAAA", "letters", 4), ("a", "letters", 1), ("4", "number", 4), ("", "stars", None), ("未评级", "ji", None),
])
def test_grades_map_to_the_national_scale(text, scale, grade):
    assert parse_grade(text, scale) == grade


@pytest.mark.parametrize("text, scale", [("六星", "stars"), ("A+", "letters"), ("AAAAAA", "letters"),
                                         ("7", "number"), ("优秀", "ji")])
def test_unknown_grades_are_refused(text, scale):
    with pytest.raises(ValueError):
        parse_grade(text, scale)


def test_prices_become_integer_fen_per_month():
    assert parse_yuan("2,800") == Decimal("2800") and parse_yuan("¥2800.5元") == Decimal("2800.5")
    assert parse_yuan("") is None and parse_yuan("—") is None
    assert monthly_fen(Decimal("80"), "day") == 240000 and monthly_fen(Decimal("2800.555"), "month") == 280056
    with pytest.raises(ValueError):
        parse_yuan("面议")


def test_coordinate_conversions_round_trip_through_the_geo_package():
    blat, blon = coords.wgs84_to_bd09(31.31, 120.615)
    lat, lon = coords.to_wgs84(blat, blon, "bd09")
    assert abs(lat - 31.31) < 1e-5 and abs(lon - 120.615) < 1e-5  # BD-09 keeps about 0.1 m
