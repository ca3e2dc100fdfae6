"""A travel-time estimate from the straight-line distance: road, or rail between rail-served cities.

It is an estimate, never a timetable: the factors live in costs/data/rail.json and every result says so.
Both modes grow linearly with distance and the estimate is the faster of the two, so it never decreases as
the distance grows. Where a policy fact gives the fastest train of a corridor (rail.fastest_train_minutes,
e.g. 上海—南通 66 min on the 沪苏通 line with its detour), that time replaces the speed factor's guess.
"""

from costs.facts import citation, current_facts
from costs.rules import citation as rules_citation
from costs.rules import rules
from geo.distance import haversine_km

ROUND_MINUTES = 5


def _minutes(km, mode):
    factors = rules("rail")[mode]
    return km * factors["detour_factor"] / factors["speed_kmh"] * 60 + factors["overhead_minutes"]


def rail_served(city_code):
    """Say whether CITY_CODE has a passenger rail station (rail.json)."""
    return city_code in rules("rail")["rail_served_city_codes"]


def corridor_fact(from_city, to_city, facts=None):
    """Return the fastest-train fact between two cities (either direction), or None."""
    facts = facts or current_facts()
    return facts.find("rail.fastest_train_minutes", (from_city,), (to_city,)) or \
        facts.find("rail.fastest_train_minutes", (to_city,), (from_city,))


def _rail_minutes(km, from_city, to_city, facts):
    fact = corridor_fact(from_city, to_city, facts)
    if fact is None:
        return _minutes(km, "rail"), None
    return fact.value + rules("rail")["rail"]["overhead_minutes"], fact


def _round(minutes):
    return -(-int(round(minutes)) // ROUND_MINUTES) * ROUND_MINUTES


def estimate_trip(km, from_city, to_city, facts=None):
    """Return (minutes rounded up to ROUND_MINUTES, mode, corridor fact or None) between two cities."""
    best, mode, used = _minutes(km, "road"), "road", None
    if from_city != to_city and rail_served(from_city) and rail_served(to_city):
        by_rail, fact = _rail_minutes(km, from_city, to_city, facts)
        used = fact
        if by_rail < best:
            best, mode = by_rail, "rail"
    return _round(best), mode, used


def estimate_minutes(km, from_city, to_city, facts=None):
    """Return (minutes rounded up to ROUND_MINUTES, mode) for KM straight-line km between two cities."""
    minutes, mode, _fact = estimate_trip(km, from_city, to_city, facts)
    return minutes, mode


def travel(origin, lat, lon, city_code, facts=None):
    """Return distance and estimated travel time from ORIGIN (a gazetteer region) to a point in CITY_CODE."""
    facts = facts or current_facts()
    km = haversine_km(origin.lat, origin.lon, lat, lon)
    minutes, mode, fact = estimate_trip(km, origin.city_code, city_code, facts)
    return {"distance_km": round(km, 1), "minutes": minutes, "mode": mode, "is_estimate": True,
            "basis": "straight_line", "fastest_train_minutes": fact.value if fact else None,
            "rule": rules_citation("rail", confirmed=False),
            "facts": citation(facts, [fact]) if fact else None}
