"""Distances. Search uses the haversine great circle on the mean earth radius, as Elasticsearch does."""

import math

EARTH_RADIUS_KM = 6371.0087714  # Elasticsearch's GeoUtils.EARTH_MEAN_RADIUS


def haversine_km(lat1, lon1, lat2, lon2):
    """Return the great-circle distance in km between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat, lon, radius_km):
    """Return (min_lat, min_lon, max_lat, max_lon) enclosing the circle, for a cheap prefilter.

    The east-west half-width is asin(sin(d) / cos(lat)) (the circle's widest point lies poleward of its
    centre), not d / cos(lat), which is too narrow by up to tens of metres at a few hundred km.
    """
    d = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(d)
    ratio = math.sin(d) / max(math.cos(math.radians(lat)), 1e-12)
    dlon = 180.0 if ratio >= 1 else math.degrees(math.asin(ratio))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon
