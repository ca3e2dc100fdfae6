"""Cross-province answers for every (family province -> home province) pair, from the shipped policy facts."""

import itertools

import pytest

from costs import crossprov
from costs.crossprov import HomePlace
from costs.location import place_region

PROVINCES = ("310000", "320000", "330000", "340000")
CAPITALS = {"310000": "310000", "320000": "320100", "330000": "330100", "340000": "340100"}
HOME_DISTRICTS = {"310000": "310104", "320000": "320102", "330000": "330106", "340000": "340104"}


def _home(province, ownership="private", settlement=False, ltci=True, medical=False, district=None):
    d = place_region(district or HOME_DISTRICTS[province])
    return HomePlace(1, d.province_code, d.city_code, d.code, ownership, d.lat, d.lon, ltci, settlement, medical)


@pytest.mark.parametrize(("family", "home"), list(itertools.product(PROVINCES, PROVINCES)))
def test_each_pair(app, family, home):
    region = place_region(CAPITALS[family])
    same = family == home
    private, public = _home(home), _home(home, "public")
    # admission: private homes take everyone; that public homes elsewhere give local residents priority has no
    # source: it is said, to be confirmed
    assert crossprov.accepts_residents(region, private)[:2] == ("yes", True)
    assert crossprov.accepts_residents(region, public)[:2] == (("yes", True) if same else ("local_priority", False))
    # settlement: across provinces only where the home's clinic is connected; within, any designated clinic
    connected = crossprov.settlement(region, _home(home, settlement=True))
    assert connected["inpatient"] and connected["outpatient"]
    assert connected["needs_registration"] is (not same)
    designated_only = crossprov.settlement(region, _home(home, medical=True))
    assert designated_only["inpatient"] is same
    assert crossprov.settlement(region, _home(home))["inpatient"] is False
    # LTCI follows within the insuring city (the capitals' homes are in the capital), and Shanghai's LTCI to
    # providers designated for it elsewhere in the Yangtze River Delta (announced January 2021)
    follows, reason, fact = crossprov.ltci_follows(region, private)
    assert follows is (same or family == "310000")
    assert reason == ("same_city" if same else "follows_rule" if family == "310000" else "no_rule")
    assert (fact is not None) is (reason == "follows_rule")
    decision = crossprov.decision(region, private)
    assert decision["cross_province"] is (not same)
    assert decision["travel"]["is_estimate"] is True


def test_ltci_does_not_follow_to_another_city_of_the_same_province(app):
    follows, reason, _ = crossprov.ltci_follows(place_region("320500"), _home("320000"))  # Suzhou -> Nanjing
    assert (follows, reason) == (False, "same_city_only")


@pytest.mark.parametrize(("family", "home", "follows", "confirmed"), [
    ("310118", "330421", True, True),     # Qingpu is insured in Shanghai: Shanghai's YRD rule (secondary source)
    ("320509", "310118", True, False),    # the zone pilot: no source, to be confirmed
    ("330421", "320509", True, False),
    ("310000", "330421", True, True), ("320500", "310118", False, None), ("330402", "310118", False, None)])
def test_ltci_portability_in_and_around_the_demonstration_zone(app, family, home, follows, confirmed):
    region, place = place_region(family), _home(None, district=home)
    answer, _reason, fact = crossprov.ltci_follows(region, place)
    assert answer is follows
    assert (fact.confirmed if fact else None) is confirmed


def test_zone_subsidies_are_said_only_as_to_be_confirmed(app):
    subsidies = crossprov.demozone_subsidies(place_region("310118"), _home(None, district="330421"))
    assert [s["code"] for s in subsidies] == ["equal_operating_subsidy"]
    assert subsidies[0]["confirmed"] is False and subsidies[0]["fact"]["reason"]
    assert crossprov.demozone_subsidies(place_region("310104"), _home(None, district="330421")) == []


def test_search_items_and_home_details_give_the_same_place(app):
    item = {"id": 3, "province_code": "330000", "city_code": "330400", "district_code": "330421",
            "ownership": "public", "lat": 30.8, "lon": 120.9, "features": ["ltci", "cross_province_settlement"]}
    detail = {**item, "features": [{"code": "ltci", "present": True}, {"code": "cross_province_settlement",
                                                                        "present": True},
                                   {"code": "medical_insurance", "present": False}]}
    assert HomePlace.of(item) == HomePlace.of(detail)
    assert HomePlace.of(item).ltci and HomePlace.of(item).cross_province_settlement
