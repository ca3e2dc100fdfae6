import csv

import pytest
from geopy.distance import geodesic

from geo import coords
from geo.distance import bounding_box, haversine_km
from geo.gazetteer import DATA, gazetteer


def _vectors():
    with open(DATA / "coord_conversion_testvectors.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _vectors(), ids=lambda r: r["label"])
def test_conversions_match_published_test_vectors(row):
    wgs = float(row["wgs84_lat"]), float(row["wgs84_lon"])
    gcj = float(row["gcj02_lat"]), float(row["gcj02_lon"])
    bd = float(row["bd09_lat"]), float(row["bd09_lon"])
    assert coords.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-6)
    assert coords.gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-6)
    assert coords.wgs84_to_bd09(*wgs) == pytest.approx(bd, abs=2e-6)
    assert coords.gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-6)
    assert coords.bd09_to_wgs84(*bd) == pytest.approx(wgs, abs=2e-6)


def test_points_outside_china_are_not_shifted():
    assert coords.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert coords.to_wgs84(51.5, -0.12, "bd09") != (51.5, -0.12)  # BD-09's own offset still applies


def test_to_wgs84_dispatches_on_the_named_system():
    gcj = coords.wgs84_to_gcj02(31.2, 121.4)
    assert coords.to_wgs84(*gcj, "gcj02") == pytest.approx((31.2, 121.4), abs=1e-7)
    assert coords.to_wgs84(31.2, 121.4, "wgs84") == (31.2, 121.4)


def test_gazetteer_holds_the_whole_region():
    gz = gazetteer()
    assert len(gz.provinces) == 4 and len(gz.cities) == 41 and len(gz.districts) == 305
    counts = {p.name: len(gz.cities_of(p.code)) for p in gz.provinces}
    assert counts == {"上海市": 1, "江苏省": 13, "浙江省": 11, "安徽省": 16}
    assert all(gz.city(d.city_code) for d in gz.districts)


def test_ambiguous_pinyin_finds_both_cities():
    found = {r.code for r in gazetteer().find("suzhou")}
    assert found == {"320500", "341300"}
    assert {r.code for r in gazetteer().find("Taizhou")} == {"321200", "331000"}
    assert [r.code for r in gazetteer().find("苏州")] == ["320500"]
    assert [r.code for r in gazetteer().find("Lu'an")] == ["341500"]


def test_short_names_drop_the_suffix_only_when_two_characters_remain():
    gz = gazetteer()
    assert gz.city("320500").short_name == "苏州"
    assert gz.district("310105").short_name == "长宁"
    assert gz.district("320508").short_name == "姑苏"


def test_haversine_agrees_with_the_shipped_geodesic_distances():
    gz = gazetteer()
    for (a, b), km in list(gz.distances.items())[:200]:
        ca, cb = gz.city(a), gz.city(b)
        assert haversine_km(ca.lat, ca.lon, cb.lat, cb.lon) == pytest.approx(km, rel=0.005)
        assert geodesic((ca.lat, ca.lon), (cb.lat, cb.lon)).km == pytest.approx(km, abs=0.1)


def test_bounding_box_encloses_the_circle():
    lat, lon, r = 31.23, 121.47, 30
    min_lat, min_lon, max_lat, max_lon = bounding_box(lat, lon, r)
    for dlat, dlon in ((max_lat, lon), (min_lat, lon), (lat, max_lon), (lat, min_lon)):
        assert haversine_km(lat, lon, dlat, dlon) == pytest.approx(r, rel=0.01)


@pytest.mark.parametrize("lat", [0, 23.5, 31.23, 45, 60])
@pytest.mark.parametrize("radius", [1, 30, 64, 300, 500])
def test_every_point_of_the_circle_lies_inside_the_box(lat, radius):
    import math

    lon = 121.47
    min_lat, min_lon, max_lat, max_lon = bounding_box(lat, lon, radius)
    d = radius / 6371.0087714
    for step in range(360):
        bearing = math.radians(step)
        p1, l1 = math.radians(lat), math.radians(lon)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
        l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
        assert min_lat - 1e-9 <= math.degrees(p2) <= max_lat + 1e-9
        assert min_lon - 1e-9 <= math.degrees(l2) <= max_lon + 1e-9
