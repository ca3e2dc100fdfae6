"""The true monthly cost of a home for one care level: the bill, the one-off payments, what LTCI pays.

Prices come from the home's fee items (marketplace.pricing, the one place for price rules); limits and
insurance rules are policy facts of one version (costs.facts), the site's conventions come from costs/data
(costs.rules). Every figure carries where it came from, and the estimate the facts version it used.
"""

from flask_babel import lazy_gettext as _l

from core import time
from costs.crossprov import HomePlace, ltci_follows
from costs.facts import citation as facts_citation
from costs.facts import facts_version, region_codes
from costs.rules import rules
from marketplace import pricing
from marketplace.vocab import EXTRA_KIND_LABELS, EXTRA_KINDS, MONTHLY_FEE_KINDS

EXTRA_PREFIX = "extra_"  # optional monthly extras are fee items whose kind starts with this
EXTRA_LABELS = EXTRA_KIND_LABELS  # the fixed vocabulary of extras a home may publish (marketplace/vocab.py)
SHANGHAI_GRADES = (1, 2, 3, 4, 5, 6)
NATIONAL_LEVELS = (0, 1, 2, 3, 4)
LTCI_REASONS = {
    "applies": _l("Long-term-care insurance pays part of the care fee."),
    "no_insurance_city": _l("Tell us where the parent is insured to estimate long-term-care insurance."),
    "city_no_ltci": _l("The parent's insuring city does not run long-term-care insurance (as far as we know)."),
    "home_not_designated": _l("This home is not designated for the long-term-care insurance of the parent's "
                              "insuring city."),
    "does_not_follow": _l("Long-term-care insurance does not follow the parent to this home's city."),
    "grade_not_eligible": _l("The assessment grade is below the grades the scheme pays for."),
    "no_figures": _l("The scheme runs there, but we have no confirmed figures: ask the insurer."),
    "no_care_fee": _l("The home publishes no care fee for this level."),
}


def _fee_source(item):
    return {"type": "fee_item", "source": item.source, "effective_from": item.effective_from.isoformat(),
            "recorded_at": item.recorded_at.isoformat() if item.recorded_at else None}


def extra_kinds(fee_items, care_level, on=None):
    """Return the optional extras the home publishes for CARE_LEVEL ON a date, in vocabulary order."""
    fees = pricing.current_fees(fee_items, on).get(care_level, {})
    return [kind for kind in EXTRA_KINDS if kind in fees]


def _bill(fees, extras):
    lines = [{"kind": k, "amount_fen": fees[k].amount_fen, "source": _fee_source(fees[k])}
             for k in (*MONTHLY_FEE_KINDS, *extras) if k in fees]
    return lines, sum(line["amount_fen"] for line in lines)


def _limit(facts, key, home, on):
    return facts.find(key, (), (home.district_code, home.city_code, home.province_code), on=on)


def _deposit(fees, facts, home, on):
    fact = _limit(facts, "limits.deposit_max_months", home, on)
    limit_months = fact.value if fact else None
    item, bed = fees.get("deposit"), fees.get("bed")
    amount = item.amount_fen if item else None
    limit = limit_months * bed.amount_fen if bed and limit_months is not None else None
    return {"amount_fen": amount, "limit_fen": limit, "limit_months_of_bed_fee": limit_months,
            "over_limit": bool(amount is not None and limit is not None and amount > limit),
            "source": _fee_source(item) if item else None, "rule": facts_citation(facts, [fact])}


def _prepayment(months, monthly_fen, required_months, facts, home, on):
    """Return the prepayment: the family's figure when given, else the months the home requires."""
    fact = _limit(facts, "limits.prepayment_max_months", home, on)
    limit = fact.value if fact else None
    # a national limit may be stricter locally: say so (to be confirmed) where no local limit is recorded
    local = _limit(facts, "limits.local_prepayment_stricter", home, on) if fact is None or \
        fact.home_region is None else None
    basis = "family" if months is not None else "home" if required_months is not None else None
    months = months if months is not None else required_months
    over = limit is not None and months is not None and months > limit
    return {"months": months, "basis": basis, "amount_fen": months * monthly_fen if months is not None else None,
            "limit_months": limit, "over_limit": over, "required_months": required_months,
            "required_over_limit": bool(required_months is not None and limit is not None
                                        and required_months > limit),
            "local_rule": local.to_dict() if local else None, "rule": facts_citation(facts, [fact, local])}


def assessed_grade(care_level, ltci_grade=None, national_level=None):
    """Return (Shanghai grade, how it was found: given | from_national_level | assumed_from_care_level)."""
    if ltci_grade is not None:
        return ltci_grade, "given"
    assumed = rules("ltci")["assumed_grade"]
    if national_level is not None:
        return assumed["by_national_level"][str(national_level)], "from_national_level"
    return assumed["by_care_level"][care_level], "assumed_from_care_level"


def _scheme_grade(insured_city, grade):
    """Return the grade as the insuring city's scheme names it (Suzhou: moderate / severe), or None."""
    convention = rules("ltci")["cities"].get(insured_city) or {}
    if convention.get("grade_scale") == "local":
        return convention.get("local_grade_from_shanghai", {}).get(str(grade))
    return str(grade)


def ltci_monthly_fen(daily_fen, share_pct, care_fen):
    """Return what LTCI pays a month in a designated home: daily standard x days x fund share, capped at care."""
    monthly = daily_fen * rules("ltci")["days_per_month"]
    if share_pct is not None:  # a share of the standard (Shanghai); else the standard is a fixed amount (Suzhou)
        monthly = monthly * share_pct // 100
    return min(monthly, care_fen)


class _Ltci:
    """The facts one LTCI estimate stands on, looked up once."""

    def __init__(self, facts, place, insured_region, grade, on):
        codes = region_codes(insured_region)
        self.runs = facts.find("ltci.runs", codes, on=on) if insured_region else None
        default_scale = (rules("ltci")["default_grade_scale_city"],)
        self.eligible = facts.find("ltci.eligible_grades", codes, on=on) or \
            facts.find("ltci.eligible_grades", default_scale, on=on)
        self.follows = ltci_follows(insured_region, place, facts) if insured_region else (False, None, None)
        city = insured_region.city_code if insured_region else None
        key = _scheme_grade(city, grade) if city else None
        self.daily = facts.find("ltci.daily_standard_fen", codes, grade=key, on=on) if key else None
        self.share = facts.find("ltci.fund_share_pct", codes, on=on) if insured_region else None

    def used(self, outcome):
        """Return the facts the OUTCOME rests on."""
        if outcome == "no_insurance_city":
            return []
        base = [self.runs, self.follows[2]]
        return base + ([self.eligible, self.daily, self.share] if outcome in ("applies", "no_figures") else [])


def _ltci_outcome(looked, place, insured_region, grade, care_fen):
    eligible = looked.eligible.value if looked.eligible else ()
    checks = (  # in order; each runs only when the ones before it passed
        ("no_insurance_city", lambda: insured_region is None),
        ("city_no_ltci", lambda: not (looked.runs and looked.runs.value)),
        ("does_not_follow", lambda: not looked.follows[0]),
        ("home_not_designated", lambda: not place.takes_ltci_of(insured_region.city_code)),
        ("grade_not_eligible", lambda: grade not in eligible),
        ("no_care_fee", lambda: not care_fen),
    )
    failed = next((code for code, bad in checks if bad()), None)
    if failed:
        return failed, 0 if failed != "no_insurance_city" else None
    if looked.daily is None:
        return "no_figures", None
    share = looked.share.value if looked.share else None
    return "applies", ltci_monthly_fen(looked.daily.value, share, care_fen)


def _ltci(home, fees, insured_region, grade, grade_basis, facts, on):
    place = HomePlace.of(home)
    care_fen = fees["care"].amount_fen if "care" in fees else 0
    looked = _Ltci(facts, place, insured_region, grade, on)
    outcome, amount = _ltci_outcome(looked, place, insured_region, grade, care_fen)
    rule = facts_citation(facts, looked.used(outcome))
    pending = bool(amount) and not rule["confirmed"]
    scheme = (rules("ltci")["cities"].get(insured_region.city_code) or {}) if insured_region else {}
    return {"outcome": outcome, "message": str(LTCI_REASONS[outcome]), "monthly_fen": amount,
            # an unverified benefit is never part of the family's total: it is shown beside it, to be confirmed
            "counted_fen": 0 if pending else amount, "to_be_confirmed": pending,
            "insured_region": insured_region.code if insured_region else None,
            "scheme": scheme.get("scheme"), "grade": grade, "grade_basis": grade_basis,
            "follows_by": looked.follows[1], "rule": rule}


def upcoming_bills(fee_items, care_level, extras=(), on=None):
    """Return the monthly bill for CARE_LEVEL after each announced price change, soonest first."""
    on = on or time.today()
    dates = sorted({i.effective_from for i in fee_items if i.care_level == care_level and i.effective_from > on})
    before = _bill(pricing.current_fees(fee_items, on).get(care_level, {}), extras)[1]
    rows = []
    for day in dates:
        after = _bill(pricing.current_fees(fee_items, day).get(care_level, {}), extras)[1]
        rows.append({"effective_from": day.isoformat(), "monthly_fen": after, "change_fen": after - before})
        before = after
    return rows


def estimate(home, care_level, *, insured_region=None, ltci_grade=None, national_level=None, extras=(),
             prepay_months=None, on=None, facts=None, version=None):
    """Return the cost estimate of HOME for CARE_LEVEL; INSURED_REGION is where the parent is insured.

    The policy facts are FACTS, else version number VERSION, else the current ones; the estimate records which.
    """
    facts = facts or facts_version(version)
    on = on or time.today()
    fees = pricing.current_fees(home.fee_items, on).get(care_level, {})
    if pricing.monthly_price(fees) is None:
        return {"home_id": home.id, "care_level": care_level, "accepts_care_level": False,
                "facts_version": facts.number, "facts_version_label": facts.label}
    available = extra_kinds(home.fee_items, care_level, on)
    chosen = [k for k in extras if k in available]
    lines, monthly = _bill(fees, chosen)
    grade, basis = assessed_grade(care_level, ltci_grade, national_level)
    ltci = _ltci(home, fees, insured_region, grade, basis, facts, on)
    return {
        "home_id": home.id, "care_level": care_level, "accepts_care_level": True,
        "lines": lines, "extras_available": available, "extras_chosen": chosen,
        "monthly_fen": monthly,
        "deposit": _deposit(fees, facts, home, on),
        "prepayment": _prepayment(prepay_months, monthly, home.prepayment_months, facts, home, on),
        "ltci": ltci,
        "family_share_fen": monthly - (ltci["counted_fen"] or 0),
        # what the family would pay if the benefits still to be confirmed hold (None: nothing pending)
        "family_share_if_confirmed_fen": monthly - ltci["monthly_fen"] if ltci["to_be_confirmed"] else None,
        "upcoming": upcoming_bills(home.fee_items, care_level, chosen, on),
        "facts_version": facts.number, "facts_version_label": facts.label, "on": on.isoformat(),
    }
