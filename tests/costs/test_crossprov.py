"""Cross-province rules for every (family province -> home province) pair in costs/data/crossprov.json."""

import itertools

import pytest

from costs import crossprov
from costs.crossprov import HomePlace
from costs.location import place_region
from costs.rules import rules

PROVINCES = ("310000", "320000", "330000", "340000")
CAPITALS = {"310000": "310000", "320000": "320100", "330000": "330100", "340000": "340100"}
HOME_DISTRICTS = {"310000": "310104", "320000": "320102", "330000": "330106", "340000": "340104"}


def _home(province, ownership="private", settlement=False, ltci=True, medical=False, district=None):
    d = place_region(district or HOME_DISTRICTS[province])
    return HomePlace(1, d.province_code, d.city_code, d.code, ownership, d.lat, d.lon, ltci, settlement, medical)


def test_the_data_has_all_16_pairs():
    assert set(rules("crossprov")["pairs"]) == {f"{a}->{b}" for a, b in itertools.product(PROVINCES, PROVINCES)}


@pytest.mark.parametrize(("family", "home"), list(itertools.product(PROVINCES, PROVINCES)))
def test_each_pair(app, family, home):
    region = place_region(CAPITALS[family])
    same = family == home
    private, public = _home(home), _home(home, "public")
    # admission: private homes take everyone; public homes elsewhere give local residents priority
    assert crossprov.accepts_residents(region, private) == ("yes", same)
    assert crossprov.accepts_residents(region, public)[0] == ("yes" if same else "local_priority")
    # settlement: across provinces only where the home's clinic is connected; within, any designated clinic
    connected = crossprov.settlement(region, _home(home, settlement=True))
    assert connected["inpatient"] and connected["outpatient"]
    assert connected["needs_registration"] is (not same)
    designated_only = crossprov.settlement(region, _home(home, medical=True))
    assert designated_only["inpatient"] is same
    assert crossprov.settlement(region, _home(home))["inpatient"] is False
    # LTCI follows only within the insuring city (the capitals' homes are in the capital)
    follows, reason, _pilot = crossprov.ltci_follows(region, private)
    assert follows is same
    assert reason == ("same_city" if same else "pilot_only")
    decision = crossprov.decision(region, private)
    assert decision["cross_province"] is (not same)
    assert decision["travel"]["is_estimate"] is True


def test_ltci_does_not_follow_to_another_city_of_the_same_province(app):
    follows, reason, _ = crossprov.ltci_follows(place_region("320500"), _home("320000"))  # Suzhou -> Nanjing
    assert (follows, reason) == (False, "same_city_only")


@pytest.mark.parametrize(("family", "home", "follows"), [
    ("310118", "330421", True), ("320509", "310118", True), ("330421", "320509", True),
    ("310000", "330421", False), ("310104", "320509", False), ("310118", "330402", False)])
def test_demonstration_zone_pilot(app, family, home, follows):
    region, place = place_region(family), _home(None, district=home)
    assert crossprov.ltci_follows(region, place)[0] is follows
    subsidies = crossprov.demozone_subsidies(region, place)
    assert bool(subsidies) is follows  # both in the zone: the zone's subsidies apply
    assert all(s["confirmed"] is False for s in subsidies)


def test_search_items_and_home_details_give_the_same_place(app):
    item = {"id": 3, "province_code": "330000", "city_code": "330400", "district_code": "330421",
            "ownership": "public", "lat": 30.8, "lon": 120.9, "features": ["ltci", "cross_province_settlement"]}
    detail = {**item, "features": [{"code": "ltci", "present": True}, {"code": "cross_province_settlement",
                                                                        "present": True},
                                   {"code": "medical_insurance", "present": False}]}
    assert HomePlace.of(item) == HomePlace.of(detail)
    assert HomePlace.of(item).ltci and HomePlace.of(item).cross_province_settlement
