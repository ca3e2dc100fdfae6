"""The cross-province decision: can the parent move there, is medical care settled directly, does LTCI follow.

Every answer stands on policy facts (costs.facts) with their evidence and status, and on the home's own
designations (costs.designations: which LTCI schemes designate it, whether its clinic is connected).
A fact with status unverified is shown "to be confirmed", with its reason.
"""

from dataclasses import dataclass, field

from costs.facts import citation, current_facts, region_codes
from costs.rules import rules
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
    # insuring cities whose LTCI designates this home; its own city when it is designated (ltci) and no
    # designation says otherwise
    ltci_schemes: frozenset = field(default=frozenset())

    @property
    def codes(self):
        """Return the home's district, city and province codes (fact scopes match any of them)."""
        return (self.district_code, self.city_code, self.province_code)

    def takes_ltci_of(self, insured_city):
        """Say whether the LTCI scheme of INSURED_CITY pays at this home (it is designated for it)."""
        return insured_city in self.ltci_schemes or (insured_city == self.city_code and self.ltci)

    @classmethod
    def of(cls, home):
        """Build from a Home row (with its designations), or a search item / home detail dict."""
        if isinstance(home, dict):
            features = home.get("features") or []
            flags = {f["code"]: f["present"] for f in features if isinstance(f, dict)} or \
                {f: True for f in features if isinstance(f, str)}
            return cls(home["id"], home["province_code"], home["city_code"], home["district_code"],
                       home.get("ownership", "private"), home["lat"], home["lon"], bool(flags.get("ltci")),
                       bool(flags.get("cross_province_settlement")), bool(flags.get("medical_insurance")),
                       frozenset(home.get("ltci_schemes") or ()))
        from costs.designations import designated_schemes

        return cls(home.id, home.province_code, home.city_code, home.district_code, home.ownership, home.lat,
                   home.lon, bool(home.ltci), bool(home.cross_province_settlement), bool(home.medical_insurance),
                   designated_schemes(home))


def ltci_follows(insured_region, home, facts=None):
    """Return (follows, reason code, fact or None): LTCI follows within its city, or where a fact says so."""
    if insured_region.city_code == home.city_code:
        return True, "same_city", None
    facts = facts or current_facts()
    fact = facts.find("ltci.follows", region_codes(insured_region), home.codes)
    if fact is not None and fact.value:
        return True, "follows_rule", fact
    same_province = insured_region.province_code == home.province_code
    return False, "same_city_only" if same_province else "no_rule", None


def accepts_residents(family_region, home, facts=None):
    """Return (value, confirmed, fact) of whether HOME accepts residents from the family's province."""
    if home.ownership != "public" or family_region.province_code == home.province_code:
        return "yes", True, None
    fact = (facts or current_facts()).find("admission.public_local_priority", (), home.codes)
    if fact is None or not fact.value:
        return "yes", True, None
    return "local_priority", fact.confirmed, fact


def _cross_province_settlement(insured_region, home, facts):
    connected = bool(home.cross_province_settlement)
    inpatient = facts.find("settlement.inpatient", region_codes(insured_region), home.codes)
    outpatient = facts.find("settlement.outpatient", region_codes(insured_region), home.codes)
    required = facts.find("settlement.registration_required", region_codes(insured_region), home.codes)
    exempt = facts.find("settlement.registration_exempt", region_codes(insured_region), home.codes)
    exempt_here = bool(exempt is not None and exempt.value and connected)
    used = [inpatient, outpatient, required, exempt if exempt_here else None]
    return {"scope": "cross_province", "home_connected": connected,
            "inpatient": bool(inpatient and inpatient.value and connected),
            "outpatient": bool(outpatient and outpatient.value and connected),
            "needs_registration": bool(required and required.value) and not exempt_here,
            "registration_exempt": exempt_here,
            "rule": citation(facts, used)}


def settlement(insured_region, home, facts=None):
    """Return whether direct medical settlement works at HOME for insurance from INSURED_REGION."""
    facts = facts or current_facts()
    if insured_region.province_code != home.province_code:
        return _cross_province_settlement(insured_region, home, facts)
    # within a province a medical-insurance designated clinic settles directly
    connected = bool(home.cross_province_settlement or home.medical_insurance)
    return {"scope": "in_province", "home_connected": bool(home.cross_province_settlement),
            "inpatient": connected, "outpatient": connected, "needs_registration": False,
            "registration_exempt": False, "rule": citation(facts, [])}


def demozone_subsidies(family_region, home, facts=None):
    """Return the demonstration-zone subsidies said to apply (home and family both in the zone), else []."""
    zone = rules("demozone")
    home_in = home.district_code in zone["district_codes"]
    family_in = family_region.level == "district" and family_region.code in zone["district_codes"]
    if not (home_in and family_in):
        return []
    facts = facts or current_facts()
    found = []
    for subsidy in zone["subsidies"]:
        fact = facts.find(subsidy["fact_key"], region_codes(family_region), home.codes)
        if fact is not None and fact.value:
            found.append({"code": subsidy["code"], "text": subsidy["text"], "text_zh": subsidy["text_zh"],
                          "confirmed": fact.confirmed, "fact": fact.to_dict()})
    return found


def decision(family_region, home, insured_region=None, facts=None):
    """Return travel, admission, settlement, LTCI portability and zone subsidies for a family and a home.

    INSURED_REGION is where the parent is insured when that is not where the family lives.
    """
    home = home if isinstance(home, HomePlace) else HomePlace.of(home)
    facts = facts or current_facts()
    insured = insured_region or family_region
    accepts, accepts_confirmed, accepts_fact = accepts_residents(family_region, home, facts)
    follows, reason, follow_fact = ltci_follows(insured, home, facts)
    subsidies = demozone_subsidies(family_region, home, facts)
    return {
        "home_id": home.id,
        "family_region": family_region.code,
        "cross_province": family_region.province_code != home.province_code,
        "travel": travel(family_region, home.lat, home.lon, home.city_code, facts),
        "accepts_residents": accepts, "accepts_confirmed": accepts_confirmed,
        "settlement": settlement(insured, home, facts),
        "ltci_follows": follows, "ltci_reason": reason,
        "ltci_home_designated": home.takes_ltci_of(insured.city_code),
        "ltci_rule": follow_fact.note if follow_fact else None,
        "ltci_rule_zh": follow_fact.note_zh if follow_fact else None,
        "ltci_pilot": follow_fact.note if follow_fact and not follow_fact.confirmed else None,
        "ltci_pilot_zh": follow_fact.note_zh if follow_fact and not follow_fact.confirmed else None,
        "ltci_confirmed": follow_fact is None or follow_fact.confirmed,
        "home_in_demozone": home.district_code in rules("demozone")["district_codes"],
        "demozone_subsidies": subsidies,
        "facts_version": facts.label,
        "rules": [citation(facts, [accepts_fact, follow_fact])],
    }
