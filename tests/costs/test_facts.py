"""Policy facts: the corrected cases of issue 19, versions, reproducing an estimate, the seed loader."""

from datetime import date

import pytest

from app import create_app  # noqa: F401  (the CLI runner below needs the app's commands)
from core.extensions import db
from costs import crossprov, estimator, services, travel
from costs.crossprov import HomePlace
from costs.facts import current_facts, facts_version
from costs.location import place_region
from costs.models import FactVersion
from tests.factories import make_home, make_user

DEMENTIA = {"dementia": (3000, 4000, 900)}
SHANGHAI, QINGPU, NANTONG = (place_region(c) for c in ("310000", "310118", "320600"))


def _estimate(home, **kwargs):
    db.session.refresh(home)
    return estimator.estimate(home, "dementia", **kwargs)


def _evidence(fact, **changes):
    """The editor's fields for FACT with CHANGES (what a person types in the form)."""
    data = {"key": fact.key, "origin_region": fact.origin_region, "home_region": fact.home_region,
            "grade": fact.grade, "value": str(fact.value).lower() if isinstance(fact.value, bool) else str(fact.value),
            "effective_from": fact.effective_from, "effective_to": fact.effective_to,
            "doc_title": fact.document["title"], "doc_number": fact.document["number"],
            "doc_issuer": fact.document["issuer"], "doc_date": fact.document["date"], "doc_url": fact.document["url"],
            "quote": fact.quote, "verified_on": fact.verified_on, "verified_by": fact.verified_by,
            "status": fact.status, "reason": fact.reason, "note": fact.note}
    return {**data, **changes}


VERIFIED_SHARE = {"status": "verified", "doc_title": "《上海市长期护理保险办法》", "doc_url": "https://example.gov.cn/ltci/2026.html",
                  "quote": "养老机构照护的费用，由长期护理保险基金支付85%", "verified_on": date(2026, 12, 1),
                  "verified_by": "policy desk", "reason": None}


# --- the corrected cases ----------------------------------------------------------------------------------


def test_a_shanghai_insured_family_at_a_jiaxing_home_designated_for_shanghai_ltci(app):
    # Shanghai's LTCI pays at providers designated for it in other YRD cities (announced January 2021):
    # grade 4 at Shanghai's standard, 35.00 x 30 x 85% = 892.50 yuan (the 85% still to be confirmed)
    home = make_home("330402", fees=DEMENTIA, ltci=True, cross_province_settlement=True)
    assert _estimate(home, insured_region=SHANGHAI, ltci_grade=4)["ltci"]["outcome"] == "home_not_designated"
    services.record_designation(home, "ltci", "上海市医保局 designated providers list (test)",
                                source_date=date(2026, 3, 1), scheme_region="310000")
    e = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    assert e["ltci"]["outcome"] == "applies" and e["ltci"]["monthly_fen"] == 89250
    assert e["ltci"]["follows_by"] == "follows_rule"
    follows = next(f for f in e["ltci"]["rule"]["facts"] if f["key"] == "ltci.follows")
    assert follows["status"] == "secondary" and follows["source"]["date"] == "2021-01"
    decision = crossprov.decision(SHANGHAI, home)
    assert decision["ltci_follows"] is True and decision["ltci_home_designated"] is True
    assert decision["ltci_confirmed"] is True and decision["settlement"]["needs_registration"] is True


def test_a_qingpu_insured_family_needs_no_registration_at_a_zone_hospital(app):
    zone_hospital = make_home("320509", fees=DEMENTIA, cross_province_settlement=True)  # Wujiang, connected
    elsewhere = make_home("320508", fees=DEMENTIA, cross_province_settlement=True)  # Suzhou city, connected
    at_zone = crossprov.settlement(QINGPU, HomePlace.of(zone_hospital))
    assert at_zone["inpatient"] and at_zone["outpatient"]
    assert (at_zone["needs_registration"], at_zone["registration_exempt"]) == (False, True)
    assert "settlement.registration_exempt" in [f["key"] for f in at_zone["rule"]["facts"]]
    assert crossprov.settlement(QINGPU, HomePlace.of(elsewhere))["needs_registration"] is True
    # insured in central Shanghai, the exemption does not apply
    assert crossprov.settlement(place_region("310104"), HomePlace.of(zone_hospital))["needs_registration"] is True


def test_outpatient_settlement_covers_every_province(app):
    home = make_home("341802", fees=DEMENTIA, cross_province_settlement=True)  # Xuancheng, Anhui
    answer = crossprov.settlement(SHANGHAI, HomePlace.of(home))
    assert answer["outpatient"] is True
    outpatient = next(f for f in answer["rule"]["facts"] if f["key"] == "settlement.outpatient")
    assert "all provinces since 2021" in outpatient["note"] and "41" not in outpatient["note"]


def test_shanghai_to_nantong_counts_the_fastest_train_of_66_minutes(app):
    # 100 km apart: the speed factors alone guessed 35 min in the train (110 min door to door); the fastest
    # train takes 66 min, + 75 min to and from stations = 141 min, so the road (140 min) is as fast
    trip = travel.travel(SHANGHAI, NANTONG.lat, NANTONG.lon, NANTONG.city_code)
    assert trip["fastest_train_minutes"] == 66
    assert (trip["minutes"], trip["mode"]) == (140, "road")
    assert trip["facts"]["facts"][0]["key"] == "rail.fastest_train_minutes"
    back = travel.travel(NANTONG, SHANGHAI.lat, SHANGHAI.lon, SHANGHAI.city_code)
    assert back["fastest_train_minutes"] == 66 and back["minutes"] == 140


def test_the_2024_limits_and_the_unsourced_stricter_local_rule(app):
    home = make_home("310104", fees=DEMENTIA, prepayment_months=6)
    prepayment = _estimate(home)["prepayment"]
    assert prepayment["limit_months"] == 12 and prepayment["over_limit"] is False
    assert prepayment["local_rule"]["value"] == "3-6" and prepayment["local_rule"]["to_be_confirmed"] is True
    assert prepayment["rule"]["to_be_confirmed"][0]["code"] == "limits.local_prepayment_stricter/*/*/*"


def test_the_unsourced_benefits_are_flagged_unverified():
    facts = current_facts()
    unsourced = {"ltci.fund_share_pct": ("310000",), "admission.public_local_priority": (),
                 "demozone.equal_operating_subsidy": ()}
    for key, origin in unsourced.items():
        fact = facts.find(key, origin, ("310118", "310000"))
        assert fact.status == "unverified" and fact.reason, key
    for grade in ("moderate", "severe"):
        assert facts.find("ltci.daily_standard_fen", ("320500",), grade=grade).status == "unverified"
    assert not [f for f in facts.facts if f.key.startswith("ltci.home_care")]  # home-care hours: dropped


def test_no_fact_claims_a_document_link_or_number_it_cannot_support():
    for fact in current_facts().facts:
        assert fact.status != "verified" or (fact.document["url"] and fact.quote), fact.code
        url = fact.document["url"] or ""
        assert not url.rstrip("/").endswith((".gov.cn", ".cn", ".com")), fact.code  # never a home page


# --- unverified facts and the family's total --------------------------------------------------------------


def test_an_unverified_fact_is_never_silently_in_the_total_and_counts_once_verified(app):
    home = make_home("310104", fees=DEMENTIA, ltci=True)
    before = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    assert before["family_share_fen"] == 790000 and before["family_share_if_confirmed_fen"] == 700750
    share = current_facts().find("ltci.fund_share_pct", ("310000",))
    services.publish_fact_edit(make_user("admin"), share.code, _evidence(share, **VERIFIED_SHARE), "read the 2026 text")
    after = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    assert after["ltci"]["to_be_confirmed"] is False and after["ltci"]["counted_fen"] == 89250
    assert after["family_share_fen"] == 700750 and after["family_share_if_confirmed_fen"] is None
    assert after["facts_version"] == 2  # the seed became version 1 before the edit was published


def test_an_old_estimate_is_reproduced_by_its_facts_version(app):
    home = make_home("310104", fees=DEMENTIA, ltci=True)
    services.load_seed_facts()
    first = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    standard = current_facts().find("ltci.daily_standard_fen", ("310000",), grade=4)
    services.publish_fact_edit(make_user("admin"), standard.code, _evidence(
        standard, value="4000", verified_on=date(2026, 12, 2), verified_by="policy desk"), "2027 standard")
    current = _estimate(home, insured_region=SHANGHAI, ltci_grade=4)
    assert (first["facts_version"], current["facts_version"]) == (1, 2)
    assert current["ltci"]["monthly_fen"] == 4000 * 30 * 85 // 100
    again = _estimate(home, insured_region=SHANGHAI, ltci_grade=4, version=first["facts_version"])
    assert again == first
    # the standard before 2025-09-01 is kept too: an estimate for a date then uses it
    assert current_facts().find("ltci.daily_standard_fen", ("310000",), grade=4, on=date(2025, 8, 1)).value == 2500


def test_every_version_is_kept_whole(app):
    services.load_seed_facts()
    share = current_facts().find("ltci.fund_share_pct", ("310000",))
    services.publish_fact_edit(make_user("admin"), share.code, _evidence(share, **VERIFIED_SHARE))
    one, two = facts_version(1), facts_version(2)
    assert len(one.facts) == len(two.facts) == 42
    assert one.by_code(share.code).status == "unverified" and two.by_code(share.code).status == "verified"


# --- the seed loader --------------------------------------------------------------------------------------


def test_load_facts_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["costs", "load-facts"])
    assert first.exit_code == 0 and "loaded: version 1, 42 facts" in first.output
    second = runner.invoke(args=["costs", "load-facts"])
    assert second.exit_code == 0 and "already loaded: version 1" in second.output
    assert db.session.query(FactVersion).count() == 1


def test_a_newer_seed_does_not_silently_undo_edits(app, monkeypatch):
    services.load_seed_facts()
    share = current_facts().find("ltci.fund_share_pct", ("310000",))
    services.publish_fact_edit(make_user("admin"), share.code, _evidence(share, **VERIFIED_SHARE))
    newer = current_facts().__class__(None, facts_version(1).facts, seed_version="2099-01-01.1")
    monkeypatch.setattr("costs.facts.seed_facts", lambda: newer)
    result = app.test_cli_runner().invoke(args=["costs", "load-facts"])
    assert result.exit_code != 0 and "--replace-edits" in result.output
    assert current_facts().number == 2


# --- validation of an edit --------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field"), [
    ({"status": "verified", "doc_url": None, "quote": "x", "verified_on": date(2026, 1, 1), "verified_by": "a"},
     "doc_url"),
    ({"status": "verified", "doc_url": "https://www.shanghai.gov.cn/", "quote": "x", "verified_on": date(2026, 1, 1),
      "verified_by": "a"}, "doc_url"),  # an agency's home page is not the document
    ({"status": "verified", "doc_url": "https://a.gov.cn/d.html", "quote": "", "verified_on": date(2026, 1, 1),
      "verified_by": "a"}, "quote"),
    ({"status": "secondary", "verified_by": None, "verified_on": date(2026, 1, 1)}, "verified_by"),
    ({"status": "unverified", "reason": ""}, "reason"),
    ({"doc_title": ""}, "doc_title"), ({"doc_date": "May 2024"}, "doc_date"), ({"value": "eighty"}, "value"),
    ({"value": "180"}, "value"), ({"origin_region": "999999"}, "origin_region"),
    ({"status": "secondary", "verified_on": date(2099, 1, 1), "verified_by": "a"}, "verified_on"),
])
def test_an_edit_without_its_evidence_is_refused_naming_the_field(app, changes, field):
    share = current_facts().find("ltci.fund_share_pct", ("310000",))
    with pytest.raises(services.ServiceError) as caught:
        services.publish_fact_edit(make_user("admin"), share.code, _evidence(share, **changes))
    assert field in caught.value.fields
    assert db.session.query(FactVersion).count() == 0


def test_a_regulator_edits_only_facts_of_their_jurisdiction(app):
    shanghai_share = current_facts().find("ltci.fund_share_pct", ("310000",))
    suzhou = current_facts().find("ltci.daily_standard_fen", ("320500",), grade="severe")
    jiangsu = make_user("regulator", jurisdiction="320000")
    with pytest.raises(services.ServiceError) as caught:
        services.publish_fact_edit(jiangsu, shanghai_share.code, _evidence(shanghai_share, **VERIFIED_SHARE))
    assert caught.value.status == 403
    services.publish_fact_edit(jiangsu, suzhou.code, _evidence(
        suzhou, value="2800", status="secondary", verified_on=date(2026, 12, 1), verified_by="苏州医保局 desk",
        reason="From the bureau's reply; the notice is not yet linked."))
    assert current_facts().find("ltci.daily_standard_fen", ("320500",), grade="severe").value == 2800
    national = current_facts().find("limits.deposit_max_months")
    with pytest.raises(services.ServiceError):
        services.publish_fact_edit(jiangsu, national.code, _evidence(national, value="6"))


def test_a_bad_or_unknown_facts_version_is_a_4xx_naming_the_field(client, app):
    home = make_home("310104", fees=DEMENTIA)
    for query, status in (("facts_version=abc", 400), ("facts_version=0", 400), ("facts_version=99", 404),
                          ("on=yesterday", 400)):
        response = client.get(f"/api/v1/homes/{home.id}/estimate?care_level=dementia&{query}")
        assert response.status_code == status, query
        assert query.split("=")[0] in response.get_json()["error"]["fields"]
    page = client.get(f"/homes/{home.id}?care_level=dementia&facts_version=99")
    assert page.status_code == 200 and 'id="estimate-errors"' in page.get_data(as_text=True)


def test_next_years_standard_is_added_beside_this_years_and_takes_over_on_its_date(app):
    services.load_seed_facts()
    standard = current_facts().find("ltci.daily_standard_fen", ("310000",), grade=4)
    services.publish_fact_edit(make_user("admin"), standard.code, _evidence(
        standard, value="4000", effective_from=date(2027, 1, 1), verified_on=date(2026, 12, 2),
        verified_by="policy desk"), "2027 standard", mode="add")
    facts = current_facts()
    assert facts.find("ltci.daily_standard_fen", ("310000",), grade=4, on=date(2026, 12, 31)).value == 3500
    assert facts.find("ltci.daily_standard_fen", ("310000",), grade=4, on=date(2027, 1, 2)).value == 4000
    assert len(facts.facts) == 43
    with pytest.raises(services.ServiceError) as caught:  # the same scope and start date twice
        services.publish_fact_edit(make_user("admin"), standard.code, _evidence(
            standard, value="4100", effective_from=date(2027, 1, 1), verified_on=date(2026, 12, 2),
            verified_by="policy desk"), mode="add")
    assert caught.value.status == 409
