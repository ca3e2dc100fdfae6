"""The travel-time estimate: labelled an estimate, never shrinking with distance, rail faster where served."""

import pytest

from costs import travel
from costs.location import place_region
from costs.rules import rules


@pytest.mark.parametrize(("a", "b"), [("310000", "330400"), ("310000", "330900"), ("310000", "310000")])
def test_estimate_never_decreases_with_distance(a, b):
    times = [travel.estimate_minutes(km, a, b)[0] for km in range(0, 600, 3)]
    assert times == sorted(times)
    assert times[-1] > times[0]


def test_rail_served_pairs_are_faster_over_long_distances():
    # 200 km: road 200 x 1.3 / 60 h + 10 min = 270 min; rail 200 x 1.15 / 200 h + 75 min = 144 -> 145 min
    assert travel.estimate_minutes(200, "310000", "330100") == (145, "rail")
    assert travel.estimate_minutes(200, "310000", "330900") == (270, "road")  # Zhoushan has no station
    assert travel.estimate_minutes(20, "310000", "330100") == (40, "road")  # short: the road is faster


def test_same_city_trips_go_by_road():
    assert travel.estimate_minutes(60, "310000", "310000")[1] == "road"


def test_travel_is_labelled_an_estimate_with_its_rules():
    trip = travel.travel(place_region("310000"), 30.7461, 120.7555, "330400")  # to Jiaxing
    assert trip["is_estimate"] is True and trip["basis"] == "straight_line"
    assert trip["rule"]["file"] == "costs/data/rail.json" and trip["rule"]["confirmed"] is False
    assert trip["rule"]["version"] == rules("rail")["version"]
    assert trip["facts"] is None  # no corridor fact for Shanghai-Jiaxing: the speed factors alone
    assert 80 < trip["distance_km"] < 95


def test_zhoushan_is_the_only_city_without_rail():
    from geo.gazetteer import gazetteer

    assert [c.code for c in gazetteer().cities if not travel.rail_served(c.code)] == ["330900"]
