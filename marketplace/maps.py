"""Map tiles by configuration: a preset (Tianditu, AMap, OpenStreetMap), a custom URL, or none at all.

Coordinates are WGS-84 in the database. Tianditu's CGCS2000 differs from WGS-84 by centimetres, so its tiles take
WGS-84 markers as they are; AMap's tiles are drawn in GCJ-02, so markers are converted at the edge (views._markers).
With no tiles configured the map draws an offline base layer: the 41 city names and the 4 province names, placed
from the gazetteer, so a family still sees where a pin is. Licences and attribution: docs/maps.md.
"""

from flask import current_app

from geo.gazetteer import gazetteer
from marketplace import presenters

_TIANDITU = "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default" \
            "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
PRESETS = {
    "tianditu": {"crs": "wgs84", "subdomains": "01234567", "needs_key": True,
                 "layers": ("vec", "cva"),  # the road map and its Chinese labels
                 "attribution": "© 天地图 Tianditu, National Platform for Common Geospatial Information Services"},
    "amap": {"crs": "gcj02", "subdomains": "1234", "needs_key": False,
             "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
             "attribution": "© 高德地图 AMap (GS(2021)6375号)"},
    "osm": {"crs": "wgs84", "subdomains": "", "needs_key": False,
            "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "attribution": "© OpenStreetMap contributors (ODbL)"},
}


def _preset_layers(name, key):
    preset = PRESETS[name]
    if name == "tianditu":
        return [{"url": _TIANDITU % (layer, layer, key), "subdomains": preset["subdomains"]}
                for layer in preset["layers"]]
    return [{"url": preset["url"], "subdomains": preset["subdomains"]}]


def tile_settings(config=None):
    """Return (layers, attribution, crs) from config: a custom MAP_TILE_URL, a usable preset, or ([], "", wgs84)."""
    config = current_app.config if config is None else config
    if config.get("MAP_TILE_URL"):
        return ([{"url": config["MAP_TILE_URL"], "subdomains": "abc"}], config.get("MAP_TILE_ATTRIBUTION") or "",
                config.get("MAP_TILE_CRS") or "wgs84")
    name, key = (config.get("MAP_TILE_PROVIDER") or "").lower(), config.get("MAP_TILE_KEY") or ""
    preset = PRESETS.get(name)
    if preset is None or (preset["needs_key"] and not key):
        return [], "", "wgs84"
    return _preset_layers(name, key), preset["attribution"], preset["crs"]


def tile_crs():
    """Return the coordinate system markers must be drawn in: gcj02 for AMap-style tiles, else wgs84."""
    return tile_settings()[2]


def offline_places():
    """Return the offline base layer: every city and province name (current language) at its WGS-84 centre."""
    gz, english = gazetteer(), presenters.is_english()
    cities = [{"name": presenters.region_label(c.code, "city", english), "lat": c.lat, "lon": c.lon,
               "kind": "city"} for c in gz.cities]
    city_names = {c["name"] for c in cities}
    provinces = [{"name": presenters.region_label(p.code, "province", english), "lat": p.lat, "lon": p.lon,
                  "kind": "province"} for p in gz.provinces]
    # Shanghai is a province and a city of the same name: one label is enough
    return [p for p in provinces if p["name"] not in city_names] + cities


def map_config():
    """Return what the page's map script needs: tile layers, attribution, and the offline names without tiles."""
    layers, attribution, crs = tile_settings()
    return {"tiles": layers, "attribution": attribution, "crs": crs,
            "places": [] if layers else offline_places()}
