"""The estimator against worked examples written down from the shipped policy facts (costs/data/facts.json).

Facts used below (seed 2026-12-06.1; today is after 2025-09-01):
  Shanghai (310000): daily standard by grade 2:25.00, 3:25.00, 4:35.00, 5:45.00, 6:45.00 yuan (secondary
  source); fund share 85% (unverified: so Shanghai's LTCI is shown beside the total, to be confirmed, and
  never subtracted from it); eligible grades 2-6; LTCI is capped at the home's care fee.
  Suzhou (320500): fixed daily amount, moderate (grades 2-3) 20.00, severe (grades 4-6) 26.00 yuan (unverified).
  Conventions (ltci.json): days_per_month 30; assumed grade by care level: self_care 1, partial 3, full 5,
  dementia 4; by national level 0:1 1:2 2:3 3:5 4:6.
  Limits: deposit <= 12 x monthly bed fee; prepayment <= 12 months (secondary source: the 2024 guidance).
"""

from datetime import timedelta

import pytest

from core import time
from core.extensions import db
from costs import estimator, services
from costs.facts import current_facts
from costs.location import place_region
from costs.rules import rules
from marketplace.models import FeeItem
from tests.factories import make_home

SHANGHAI, SUZHOU, NANTONG, QINGPU = (place_region(c) for c in ("310000", "320500", "320600", "310118"))
DEMENTIA = {"dementia": (3000, 4000, 900)}  # bed, care, meals in yuan


def _estimate(home, level="dementia", **kwargs):
    db.session.refresh(home)
    return estimator.estimate(home, level, **kwargs)


def test_the_seed_matches_the_worked_examples_below(app):
    facts = current_facts()
    shanghai = {g: facts.find("ltci.daily_standard_fen", ("310000",), grade=g).value for g in range(2, 7)}
    assert shanghai == {2: 2500, 3: 2500, 4: 3500, 5: 4500, 6: 4500}
    assert facts.find("ltci.fund_share_pct", ("310000",)).value == 85
    assert facts.find("ltci.fund_share_pct", ("310000",)).status == "unverified"
    assert rules("ltci")["days_per_month"] == 30
    assert facts.find("limits.deposit_max_months").value == 12 == facts.find("limits.prepayment_max_months").value


def test_shanghai_grade_4_in_a_designated_shanghai_home(app):
    # bill: 3000 + 4000 + 900 = 7900 yuan = 790000 fen
    # LTCI: 35.00 yuan/day x 30 days = 1050.00; x 85% = 892.50 yuan = 89250 fen (below the 4000 care fee)
    # the 85% share is unverified: the family's total stays 790000, beside it "if confirmed" 700750 fen
    home = make_home("310104", fees=DEMENTIA, ltci=True)
    e = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    assert e["monthly_fen"] == 790000
    assert [line["kind"] for line in e["lines"]] == ["bed", "care", "meals"]
    assert e["ltci"]["outcome"] == "applies" and e["ltci"]["monthly_fen"] == 89250
    assert e["ltci"]["to_be_confirmed"] is True and e["ltci"]["counted_fen"] == 0
    assert e["family_share_fen"] == 790000 and e["family_share_if_confirmed_fen"] == 700750
    assert e["ltci"]["grade_basis"] == "given"
    pending = e["ltci"]["rule"]["to_be_confirmed"]
    assert [p["code"] for p in pending] == ["ltci.fund_share_pct/310000/*/*"] and pending[0]["reason"]
    assert e["ltci"]["rule"]["confirmed"] is False
    assert e["facts_version_label"] == current_facts().label
    assert e["lines"][0]["source"] == {"type": "fee_item", "source": "test",
                                       "effective_from": (time.today() - timedelta(days=30)).isoformat(),
                                       "recorded_at": e["lines"][0]["source"]["recorded_at"]}


def test_grade_assumed_from_the_care_level_or_national_level_says_so(app):
    # full care, no grade: assumed grade 5 -> 45.00 x 30 x 85% = 1147.50 yuan = 114750 fen
    home = make_home("310104", fees={"full": (2200, 2800, 900), "dementia": (3000, 4000, 900)}, ltci=True)
    e = _estimate(home, "full", insured_region=SHANGHAI)
    assert (e["ltci"]["grade"], e["ltci"]["grade_basis"], e["ltci"]["monthly_fen"]) == (5, "assumed_from_care_level",
                                                                                       114750)
    # national level 1 -> grade 2 -> 25.00 x 30 x 85% = 637.50 yuan = 63750 fen
    e = _estimate(home, "dementia", insured_region=SHANGHAI, national_level=1)
    assert (e["ltci"]["grade"], e["ltci"]["grade_basis"], e["ltci"]["monthly_fen"]) == (2, "from_national_level", 63750)
    # a given grade wins over the national level
    e = _estimate(home, "dementia", insured_region=SHANGHAI, national_level=1, ltci_grade=6)
    assert e["ltci"]["monthly_fen"] == 114750


def test_ltci_is_capped_at_the_care_fee(app):
    # grade 6: 45.00 x 30 x 85% = 1147.50 yuan, but the care fee is 500 yuan: LTCI would pay 50000 fen
    home = make_home("310104", fees={"dementia": (3000, 500, 900)}, ltci=True)
    e = _estimate(home, insured_region=SHANGHAI, ltci_grade=6)
    assert e["ltci"]["monthly_fen"] == 50000 and e["family_share_if_confirmed_fen"] == 440000 - 50000
    assert e["family_share_fen"] == 440000  # the share it rests on is unverified


def test_suzhou_pays_a_fixed_daily_amount_by_severity(app):
    # grade 5 -> severe -> 26.00 x 30 = 780.00 yuan = 78000 fen; grade 2 -> moderate -> 20.00 x 30 = 60000 fen
    home = make_home("320508", fees=DEMENTIA, ltci=True)
    assert _estimate(home, insured_region=SUZHOU, ltci_grade=5)["ltci"]["monthly_fen"] == 78000
    e = _estimate(home, insured_region=SUZHOU, ltci_grade=2)
    assert e["ltci"]["monthly_fen"] == 60000
    # Suzhou's figures have no source: never in the total, shown beside it
    assert e["family_share_fen"] == 790000 and e["family_share_if_confirmed_fen"] == 730000


@pytest.mark.parametrize(("home_district", "designated", "insured", "grade", "outcome"), [
    ("310104", True, "310000", 1, "grade_not_eligible"),      # grade 1 is below the eligible 2-6
    ("310104", False, "310000", 4, "home_not_designated"),
    ("330402", True, "310000", 4, "home_not_designated"),     # Jiaxing home designated for Jiaxing's scheme only
    ("320612", True, "320600", 4, "no_figures"),              # Nantong runs LTCI, no figures in the facts
    ("341802", True, "341800", 4, "city_no_ltci"),            # Xuancheng: no fact says it runs LTCI
    ("320508", True, "320600", 4, "does_not_follow"),         # Nantong insurance, Suzhou home
])
def test_ltci_pays_nothing_with_the_reason(app, home_district, designated, insured, grade, outcome):
    home = make_home(home_district, fees=DEMENTIA, ltci=designated)
    e = _estimate(home, insured_region=place_region(insured), ltci_grade=grade)
    assert e["ltci"]["outcome"] == outcome
    assert e["family_share_fen"] == 790000
    assert e["ltci"]["monthly_fen"] in (0, None)


def test_without_an_insurance_place_ltci_is_not_estimated(app):
    home = make_home("310104", fees=DEMENTIA, ltci=True)
    e = _estimate(home, ltci_grade=4)
    assert e["ltci"]["outcome"] == "no_insurance_city" and e["ltci"]["monthly_fen"] is None
    assert e["family_share_fen"] == e["monthly_fen"]


def test_ltci_follows_within_the_demonstration_zone_pilot_only_as_to_be_confirmed(app):
    # Wujiang-insured (Suzhou scheme) parent in a Qingpu home designated for Suzhou's scheme: the zone pilot has
    # no source, so grade 5 (severe: 26.00 x 30 = 780.00 yuan) is shown, to be confirmed, not in the total
    home = make_home("310118", fees=DEMENTIA, ltci=True)
    services.record_designation(home, "ltci", "test list", scheme_region="320500")
    e = _estimate(home, insured_region=place_region("320509"), ltci_grade=5)
    assert e["ltci"]["outcome"] == "applies" and e["ltci"]["monthly_fen"] == 78000
    assert e["ltci"]["to_be_confirmed"] is True and e["family_share_fen"] == 790000
    assert "ltci.follows/320509/310118/*" in [p["code"] for p in e["ltci"]["rule"]["to_be_confirmed"]]
    # insured in the rest of Suzhou: no fact says the scheme follows to Qingpu
    assert _estimate(home, insured_region=SUZHOU, ltci_grade=5)["ltci"]["outcome"] == "does_not_follow"


def test_chosen_extras_are_added_and_others_ignored(app):
    # 7900 + 800 (single room) = 8700 yuan; the 300 laundry extra is not chosen; an unknown extra is ignored
    home = make_home("310104", fees=DEMENTIA)
    start = time.today() - timedelta(days=30)
    for kind, yuan in (("extra_single_room", 800), ("extra_laundry", 300)):
        db.session.add(FeeItem(home_id=home.id, care_level="dementia", kind=kind, amount_fen=yuan * 100,
                               effective_from=start, source="price list 2026"))
    db.session.commit()
    e = _estimate(home, extras=("extra_single_room", "extra_nonexistent"))
    assert e["extras_available"] == ["extra_single_room", "extra_laundry"]  # vocabulary order
    assert e["extras_chosen"] == ["extra_single_room"]
    assert e["monthly_fen"] == 870000
    assert e["lines"][-1] == {"kind": "extra_single_room", "amount_fen": 80000,
                              "source": {**e["lines"][-1]["source"], "source": "price list 2026"}}


@pytest.mark.parametrize(("deposit_yuan", "over"), [(36000, False), (36001, True), (0, False)])
def test_deposit_over_12_months_of_bed_fee_is_flagged(app, deposit_yuan, over):
    # bed 3000 yuan -> limit 12 x 3000 = 36000 yuan = 3600000 fen
    home = make_home("310104", fees=DEMENTIA, deposit_yuan=deposit_yuan)
    deposit = _estimate(home)["deposit"]
    assert deposit["limit_fen"] == 3600000 and deposit["amount_fen"] == deposit_yuan * 100
    assert deposit["over_limit"] is over
    assert [f["key"] for f in deposit["rule"]["facts"]] == ["limits.deposit_max_months"]
    assert deposit["rule"]["confirmed"] is True  # a secondary source counts; it is labelled so


@pytest.mark.parametrize(("months", "amount", "over"), [(12, 12 * 790000, False), (13, 13 * 790000, True),
                                                       (None, None, False)])
def test_prepayment_over_12_months_is_flagged(app, months, amount, over):
    home = make_home("310104", fees=DEMENTIA)
    prepayment = _estimate(home, prepay_months=months)["prepayment"]
    assert (prepayment["amount_fen"], prepayment["over_limit"], prepayment["limit_months"]) == (amount, over, 12)


def test_a_scheduled_price_change_shows_the_future_bill(app):
    # bed 3000 -> 3300 yuan from in 20 days: the bill goes 7900 -> 8200 yuan (+300)
    home = make_home("310104", fees=DEMENTIA)
    day = time.today() + timedelta(days=20)
    db.session.add(FeeItem(home_id=home.id, care_level="dementia", kind="bed", amount_fen=330000,
                           effective_from=day, source="announced"))
    db.session.commit()
    e = _estimate(home)
    assert e["monthly_fen"] == 790000
    assert e["upcoming"] == [{"effective_from": day.isoformat(), "monthly_fen": 820000, "change_fen": 30000}]


def test_a_level_the_home_does_not_offer_is_said_so(app):
    home = make_home("310104", fees=DEMENTIA)
    assert _estimate(home, "self_care") == {"home_id": home.id, "care_level": "self_care", "accepts_care_level": False,
                                            "facts_version": None, "facts_version_label": current_facts().label}


def _publish_extras(home, level="dementia", **yuan):
    start = time.today() - timedelta(days=30)
    for kind, amount in yuan.items():
        db.session.add(FeeItem(home_id=home.id, care_level=level, kind=f"extra_{kind}", amount_fen=amount * 100,
                               effective_from=start, source="price list 2026"))
    db.session.commit()


def test_worked_example_with_two_chosen_extras_of_three_published(app):
    # bed 3000 + care 4000 + meals 900 = 7900 yuan; extras published: incontinence 450, rehab 600, laundry 120;
    # chosen: incontinence and laundry -> 7900 + 450 + 120 = 8470 yuan a month. The all-in price stays 7900.
    home = make_home("310104", fees=DEMENTIA)
    _publish_extras(home, incontinence=450, rehab=600, laundry=120)
    e = _estimate(home, extras=("extra_laundry", "extra_incontinence"))
    assert e["extras_available"] == ["extra_incontinence", "extra_rehab", "extra_laundry"]
    assert e["monthly_fen"] == 847000 and e["family_share_fen"] == 847000
    assert [line["kind"] for line in e["lines"]] == ["bed", "care", "meals", "extra_laundry", "extra_incontinence"]
    assert home.monthly_price_for("dementia") == 790000
    # 3 months paid in advance of that bill: 3 x 8470 = 25410 yuan
    assert _estimate(home, extras=("extra_laundry", "extra_incontinence"), prepay_months=3)["prepayment"][
        "amount_fen"] == 3 * 847000


def test_extras_of_another_care_level_are_not_offered(app):
    home = make_home("310104", fees={**DEMENTIA, "full": (2800, 3500, 900)})
    _publish_extras(home, level="full", single_room=900)
    e = _estimate(home, extras=("extra_single_room",))
    assert e["extras_available"] == [] and e["extras_chosen"] == [] and e["monthly_fen"] == 790000


@pytest.mark.parametrize(("required", "months", "over", "required_over"), [
    (6, 6, False, False), (12, 12, False, False), (13, 13, True, True), (None, None, False, False)])
def test_the_homes_prepayment_requirement_is_used_and_flagged_over_12_months(app, required, months, over,
                                                                             required_over):
    home = make_home("310104", fees=DEMENTIA, prepayment_months=required)
    prepayment = _estimate(home)["prepayment"]
    assert (prepayment["months"], prepayment["over_limit"], prepayment["required_over_limit"]) == \
        (months, over, required_over)
    assert prepayment["basis"] == ("home" if required is not None else None)
    assert prepayment["amount_fen"] == (months * 790000 if months is not None else None)


def test_the_familys_prepayment_figure_wins_but_the_homes_requirement_stays_flagged(app):
    home = make_home("310104", fees=DEMENTIA, prepayment_months=24)
    prepayment = _estimate(home, prepay_months=3)["prepayment"]
    assert (prepayment["months"], prepayment["basis"], prepayment["over_limit"]) == (3, "family", False)
    assert (prepayment["required_months"], prepayment["required_over_limit"]) == (24, True)
