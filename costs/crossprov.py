"""The cross-province decision: can the parent move there, is medical care settled directly, does LTCI follow.

Every answer comes from costs/data/crossprov.json (per family-province -> home-province pair), demozone.json
and ltci.json, with a citation; the home's own designations (ltci, cross_province_settlement) come from SQL.
"""

from dataclasses import dataclass

from costs.rules import citation, rules
from costs.travel import travel


@dataclass(frozen=True)
class HomePlace:
    """What the decision needs of a home, from an ORM row or a search item."""

    id: int
    province_code: str
    city_code: str
    district_code: str
    ownership: str
    lat: float
    lon: float
    ltci: bool
    cross_province_settlement: bool
    medical_insurance: bool = False

    @classmethod
    def of(cls, home):
        """Build from a Home row, or a search item / home detail dict."""
        if isinstance(home, dict):
            features = home.get("features") or []
            flags = {f["code"]: f["present"] for f in features if isinstance(f, dict)} or \
                {f: True for f in features if isinstance(f, str)}
            return cls(home["id"], home["province_code"], home["city_code"], home["district_code"],
                       home.get("ownership", "private"), home["lat"], home["lon"], bool(flags.get("ltci")),
                       bool(flags.get("cross_province_settlement")), bool(flags.get("medical_insurance")))
        return cls(home.id, home.province_code, home.city_code, home.district_code, home.ownership, home.lat,
                   home.lon, bool(home.ltci), bool(home.cross_province_settlement), bool(home.medical_insurance))


def pair_rules(family_province, home_province):
    """Return the crossprov.json rules for a (family province, home province) pair, or None."""
    return rules("crossprov")["pairs"].get(f"{family_province}->{home_province}")


def _codes(region):
    return {region.code, region.city_code}


def ltci_pilot(insured_region, home):
    """Return the LTCI portability pilot covering INSURED_REGION -> HOME's district, or None."""
    for pilot in rules("crossprov")["ltci_pilots"]:
        if _codes(insured_region) & set(pilot["family_regions"]) and \
                {home.district_code, home.city_code} & set(pilot["home_regions"]):
            return pilot
    return None


def ltci_follows(insured_region, home):
    """Return (follows, reason code, pilot or None): LTCI follows within its city, or through a pilot."""
    if insured_region.city_code == home.city_code:
        return True, "same_city", None
    pilot = ltci_pilot(insured_region, home)
    if pilot:
        return True, "pilot", pilot
    pair = pair_rules(insured_region.province_code, home.province_code)
    return False, pair["ltci_follows"] if pair else "pilot_only", None


def accepts_residents(family_region, home):
    """Return (value, confirmed) of whether HOME accepts residents from the family's province."""
    pair = pair_rules(family_region.province_code, home.province_code)
    accepts = pair["accepts_residents"]
    return accepts.get(home.ownership, "yes"), accepts["confirmed"]


def settlement(family_region, home):
    """Return whether direct medical settlement works at HOME for insurance from the family's province."""
    pair = pair_rules(family_region.province_code, home.province_code)["settlement"]
    # across provinces the home's clinic must be connected to the national platform; within a province a
    # medical-insurance designated clinic settles directly
    connected = home.cross_province_settlement or (pair["scope"] == "in_province" and home.medical_insurance)
    return {"scope": pair["scope"], "needs_registration": pair["needs_registration"],
            "home_connected": bool(home.cross_province_settlement),
            "inpatient": pair["inpatient"] == "yes" and bool(connected),
            "outpatient": pair["outpatient"] == "yes" and bool(connected)}


def demozone_subsidies(family_region, home):
    """Return the demonstration-zone subsidies that apply (home and family both in the zone), else []."""
    zone = rules("demozone")
    home_in = home.district_code in zone["district_codes"]
    family_in = family_region.level == "district" and family_region.code in zone["district_codes"]
    if not (home_in and family_in):
        return []
    return [s for s in zone["subsidies"] if s["applies_when"] == "home_in_zone_and_family_in_zone"]


def decision(family_region, home, insured_region=None):
    """Return travel, admission, settlement, LTCI portability and zone subsidies for a family and a home.

    INSURED_REGION is where the parent is insured when that is not where the family lives.
    """
    home = home if isinstance(home, HomePlace) else HomePlace.of(home)
    accepts, accepts_confirmed = accepts_residents(family_region, home)
    follows, reason, pilot = ltci_follows(insured_region or family_region, home)
    zone = rules("demozone")
    return {
        "home_id": home.id,
        "family_region": family_region.code,
        "cross_province": family_region.province_code != home.province_code,
        "travel": travel(family_region, home.lat, home.lon, home.city_code),
        "accepts_residents": accepts, "accepts_confirmed": accepts_confirmed,
        "settlement": settlement(insured_region or family_region, home),
        "ltci_follows": follows, "ltci_reason": reason, "ltci_home_designated": home.ltci,
        "ltci_pilot": pilot["title"] if pilot else None,
        "home_in_demozone": home.district_code in zone["district_codes"],
        "demozone_subsidies": [{key: s[key] for key in ("code", "text", "text_zh", "confirmed")}
                               for s in demozone_subsidies(family_region, home)],
        "rules": [citation("crossprov", confirmed=accepts_confirmed and pilot is None),
                  citation("demozone", confirmed=False)],
    }
