"""How a fact edit moves a sample estimate: the same family and home estimated with the current facts and
with the edited ones, before anything is published."""

from datetime import timedelta

from core import time
from costs import crossprov, estimator
from costs.location import place_region
from geo.gazetteer import gazetteer
from marketplace.models import FeeItem, Home

SAMPLE_FEES_YUAN = {"bed": 3000, "care": 4000, "meals": 900, "deposit": 30000}
SAMPLE_GRADES = {"moderate": 3, "severe": 5}
DEFAULT_DISTRICT = "310104"


def _district(code):
    """Return a district for a province, city or district CODE (the first one of the place), or None."""
    gz = gazetteer()
    if not code:
        return None
    if gz.district(code):
        return gz.district(code)
    city = gz.city(code) or next((c for c in gz.cities if c.province_code == code), None)
    districts = gz.districts_of(city.code) if city else []
    return districts[0] if districts else None


def _insured(code, home_district):
    gz = gazetteer()
    if code and gz.province(code):
        code = next((c.code for c in gz.cities if c.province_code == code), None)
    return place_region(code) if code else place_region(home_district.city_code)


def _sample_home(district, insured):
    """A transient home (never saved) with the sample fees, designated for the insuring city's LTCI."""
    start = time.today() - timedelta(days=1)
    home = Home(id=None, province_code=district.province_code, city_code=district.city_code,
                district_code=district.code, lat=district.lat, lon=district.lon, ownership="private", ltci=True,
                cross_province_settlement=True, medical_insurance=True, prepayment_months=12)
    home.preview_schemes = frozenset({district.city_code, insured.city_code})
    home.fee_items = [FeeItem(care_level="dementia", kind=kind, amount_fen=yuan * 100, effective_from=start,
                              source="sample") for kind, yuan in SAMPLE_FEES_YUAN.items()]
    return home


def _figures(home, insured, grade, facts):
    e = estimator.estimate(home, "dementia", insured_region=insured, ltci_grade=grade, facts=facts)
    d = crossprov.decision(insured, home, facts=facts)
    return {"monthly_fen": e["monthly_fen"], "ltci_fen": e["ltci"]["monthly_fen"],
            "ltci_outcome": e["ltci"]["outcome"], "ltci_to_be_confirmed": e["ltci"]["to_be_confirmed"],
            "family_share_fen": e["family_share_fen"], "if_confirmed_fen": e["family_share_if_confirmed_fen"],
            "deposit_limit_fen": e["deposit"]["limit_fen"], "prepayment_limit_months": e["prepayment"]["limit_months"],
            "travel_minutes": d["travel"]["minutes"], "needs_registration": d["settlement"]["needs_registration"],
            "ltci_follows": d["ltci_follows"]}


def sample_effect(before, after, fact):
    """Return the sample (home place, insuring place, grade) and its figures under BEFORE and AFTER facts."""
    district = _district(fact.home_region) or _district(fact.origin_region) or _district(DEFAULT_DISTRICT)
    insured = _insured(fact.origin_region, district)
    grade = int(fact.grade) if (fact.grade or "").isdigit() else SAMPLE_GRADES.get(fact.grade or "", 4)
    home = _sample_home(district, insured)
    rows = {"before": _figures(home, insured, grade, before), "after": _figures(home, insured, grade, after)}
    changed = sorted(k for k in rows["before"] if rows["before"][k] != rows["after"][k])
    return {"home_district": district.code, "insured_region": insured.code, "grade": grade,
            "care_level": "dementia", "fees_yuan": SAMPLE_FEES_YUAN, **rows, "changed": changed}
