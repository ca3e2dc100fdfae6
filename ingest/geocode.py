"""Geocoding rows without coordinates, through geopy, only where a geocoder is configured.

INGEST_GEOCODER names a geopy service ("baiduv3", "nominatim", ...) or a class as "module:Class", or several
separated by commas (a chain: the next is asked when one has no answer);
INGEST_GEOCODER_OPTIONS gives its keyword arguments (e.g. {"api_key": ...}); INGEST_GEOCODER_CRS says which
system its answers are in (BaiduV3 answers BD-09 by default, converted here to WGS-84);
INGEST_GEOCODER_MIN_DELAY_S spaces the calls (geopy's RateLimiter). Every answer, a miss included, is cached
in ingest_geocode_cache, so an address is asked once. Without a geocoder the caller uses the district centre.
"""

import functools
import importlib
import unicodedata

from flask import current_app

from core.extensions import db
from geo import coords
from geo.distance import haversine_km
from ingest.models import GeocodeCache

_DEFAULT_CRS = {"baiduv3": "bd09", "baidu": "bd09"}
MAX_OFFSET_KM = 60  # an answer this far from the district is a wrong match: use the centre instead


def locate(address, district):
    """Return (lat, lon, precision) in WGS-84 for ADDRESS in DISTRICT (a district or city Region), or None.

    None: no geocoder, no address, no answer, or an answer far off. Cached by the normalised address.
    """
    name = current_app.config.get("INGEST_GEOCODER")
    if not name or district is None or not address:
        return None
    query = normalised_query(address, district)
    cached = db.session.get(GeocodeCache, query)
    if cached is None:
        point = _ask(name, query)
        cached = GeocodeCache(query=query, lat=point[0] if point else None, lon=point[1] if point else None,
                              precision=point[2] if point else None, provider=name[:40])
        db.session.add(cached)
    if cached.lat is None:
        return None
    if haversine_km(cached.lat, cached.lon, district.lat, district.lon) > MAX_OFFSET_KM:
        return None
    return cached.lat, cached.lon, cached.precision or "street"


def normalised_query(address, region):
    """Return the cache key and query of an address: NFKC, white space collapsed, after its region's name."""
    text = " ".join(unicodedata.normalize("NFKC", address).split())
    return (text if region.name in text else f"{region.name}{text}")[:400]


def precision_of(location):
    """Return rooftop | street | district | city for a geopy Location, from what its provider says."""
    raw = getattr(location, "raw", None) or {}
    level = str(raw.get("level") or raw.get("addresstype") or raw.get("type") or "").lower()
    if raw.get("precise") == 1 or level in ("house", "building", "门牌号", "门址", "poi"):
        return "rooftop"
    if level in ("city", "城市", "town"):
        return "city"
    if level in ("district", "county", "区县", "suburb"):
        return "district"
    return "street"


def chain(setting):
    """Return the geocoder names of INGEST_GEOCODER, in the order they are asked ("a,b": b when a has nothing)."""
    return [part.strip() for part in (setting or "").split(",") if part.strip()]


def _ask(setting, query):
    for name in chain(setting):
        point = _ask_one(name, query)
        if point is not None:
            return point
    return None


def _ask_one(name, query):
    config = current_app.config
    crs = config.get("INGEST_GEOCODER_CRS") or _DEFAULT_CRS.get(name.lower(), "wgs84")
    try:
        found = _rate_limited(name, float(config.get("INGEST_GEOCODER_MIN_DELAY_S", 1.0)))(query)
    except Exception:  # noqa: BLE001  (geopy raises many kinds; a failed lookup falls back to the centre)
        current_app.logger.warning("geocoding failed for %s", query, exc_info=True)
        return None
    if found is None:
        return None
    lat, lon = coords.to_wgs84(found.latitude, found.longitude, crs)
    return round(lat, 6), round(lon, 6), precision_of(found)


@functools.lru_cache(maxsize=4)
def _geocoder(name):
    options = current_app.config.get("INGEST_GEOCODER_OPTIONS") or {}
    if ":" in name:
        module, cls = name.split(":", 1)
        return getattr(importlib.import_module(module), cls)(**options)
    from geopy.geocoders import get_geocoder_for_service

    return get_geocoder_for_service(name)(**options)


@functools.lru_cache(maxsize=4)
def _limiter(name, delay):
    from geopy.extra.rate_limiter import RateLimiter

    return RateLimiter(_geocoder(name).geocode, min_delay_seconds=delay, max_retries=1, swallow_exceptions=False)


def _rate_limited(name, delay):
    return _limiter(name, delay)
