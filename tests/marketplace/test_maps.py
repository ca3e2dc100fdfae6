"""Map tiles by configuration (presets, custom URL, none) and the offline base layer of place names."""

import json
import re

from geo.coords import wgs84_to_gcj02
from marketplace import maps
from tests.factories import make_home


def test_presets_and_a_custom_url():
    layers, attribution, crs = maps.tile_settings({"MAP_TILE_PROVIDER": "tianditu", "MAP_TILE_KEY": "k123"})
    assert crs == "wgs84" and len(layers) == 2 and all("tk=k123" in layer["url"] for layer in layers)
    assert "天地图" in attribution
    assert maps.tile_settings({"MAP_TILE_PROVIDER": "tianditu"}) == ([], "", "wgs84")  # no key: no tiles
    layers, attribution, crs = maps.tile_settings({"MAP_TILE_PROVIDER": "amap"})
    assert crs == "gcj02" and "autonavi" in layers[0]["url"] and "AMap" in attribution
    layers, attribution, crs = maps.tile_settings({"MAP_TILE_PROVIDER": "osm"})
    assert crs == "wgs84" and "openstreetmap" in layers[0]["url"] and "OpenStreetMap" in attribution
    custom = maps.tile_settings({"MAP_TILE_URL": "https://tiles.example/{z}/{x}/{y}.png", "MAP_TILE_CRS": "gcj02",
                                 "MAP_TILE_PROVIDER": "osm"})
    assert custom[0][0]["url"].startswith("https://tiles.example") and custom[2] == "gcj02"
    assert maps.tile_settings({}) == ([], "", "wgs84")


def test_without_tiles_the_page_carries_city_and_province_names(app, client):
    page = client.get("/ratings").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="app-config">(.*?)</script>', page, re.S)[1])
    places = config["map"]["places"]
    assert config["map"]["tiles"] == []
    assert sum(p["kind"] == "city" for p in places) == 41
    assert {p["name"] for p in places if p["kind"] == "province"} == {"江苏省", "浙江省", "安徽省"}  # 上海市 once


def test_amap_tiles_get_gcj02_markers(app, client):
    app.config["MAP_TILE_PROVIDER"] = "amap"
    home = make_home("320508", location_approximate=True)
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    markers = json.loads(re.search(r"data-markers='(.*?)'", page)[1])
    lat, lon = wgs84_to_gcj02(home.lat, home.lon)
    assert (markers[0]["lat"], markers[0]["lon"]) == (lat, lon) and markers[0]["approximate"] is True
    assert json.loads(re.search(r'id="app-config">(.*?)</script>', page, re.S)[1])["map"]["places"] == []
