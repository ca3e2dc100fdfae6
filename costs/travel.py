"""A travel-time estimate from the straight-line distance: road, or rail between rail-served cities.

It is an estimate, never a timetable: the factors live in costs/data/rail.json and every result says so.
Both modes grow linearly with distance and the estimate is the faster of the two, so it never decreases as
the distance grows.
"""

from costs.rules import citation, rules
from geo.distance import haversine_km

ROUND_MINUTES = 5


def _minutes(km, mode):
    factors = rules("rail")[mode]
    return km * factors["detour_factor"] / factors["speed_kmh"] * 60 + factors["overhead_minutes"]


def rail_served(city_code):
    """Say whether CITY_CODE has a passenger rail station (rail.json)."""
    return city_code in rules("rail")["rail_served_city_codes"]


def estimate_minutes(km, from_city, to_city):
    """Return (minutes rounded up to ROUND_MINUTES, mode) for KM straight-line km between two cities."""
    best, mode = _minutes(km, "road"), "road"
    if from_city != to_city and rail_served(from_city) and rail_served(to_city):
        by_rail = _minutes(km, "rail")
        if by_rail < best:
            best, mode = by_rail, "rail"
    return -(-int(round(best)) // ROUND_MINUTES) * ROUND_MINUTES, mode


def travel(origin, lat, lon, city_code):
    """Return distance and estimated travel time from ORIGIN (a gazetteer region) to a point in CITY_CODE."""
    km = haversine_km(origin.lat, origin.lon, lat, lon)
    minutes, mode = estimate_minutes(km, origin.city_code, city_code)
    return {"distance_km": round(km, 1), "minutes": minutes, "mode": mode, "is_estimate": True,
            "basis": "straight_line", "rule": citation("rail", confirmed=False)}
