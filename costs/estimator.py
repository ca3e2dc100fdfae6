"""The true monthly cost of a home for one care level: the bill, the one-off payments, what LTCI pays.

Prices come from the home's fee items (marketplace.pricing, the one place for price rules); limits and
insurance rules come from costs/data (costs.rules). Every figure carries where it came from.
"""


from flask_babel import lazy_gettext as _l

from core import time
from costs.crossprov import HomePlace, ltci_follows
from costs.rules import citation, rules
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
    "home_not_designated": _l("This home is not designated for long-term-care insurance."),
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


def _deposit(fees):
    limit_months = rules("limits")["deposit_max_months_of_bed_fee"]
    item, bed = fees.get("deposit"), fees.get("bed")
    amount = item.amount_fen if item else None
    limit = limit_months * bed.amount_fen if bed else None
    return {"amount_fen": amount, "limit_fen": limit, "limit_months_of_bed_fee": limit_months,
            "over_limit": bool(amount is not None and limit is not None and amount > limit),
            "source": _fee_source(item) if item else None, "rule": citation("limits")}


def _prepayment(months, monthly_fen, required_months=None):
    """Return the prepayment: the family's figure when given, else the months the home requires."""
    limit = rules("limits")["prepayment_max_months"]
    basis = "family" if months is not None else "home" if required_months is not None else None
    months = months if months is not None else required_months
    return {"months": months, "basis": basis, "amount_fen": months * monthly_fen if months is not None else None,
            "limit_months": limit, "over_limit": bool(months is not None and months > limit),
            "required_months": required_months,
            "required_over_limit": bool(required_months is not None and required_months > limit),
            "rule": citation("limits")}


def assessed_grade(care_level, ltci_grade=None, national_level=None):
    """Return (Shanghai grade, how it was found: given | from_national_level | assumed_from_care_level)."""
    if ltci_grade is not None:
        return ltci_grade, "given"
    assumed = rules("ltci")["assumed_grade"]
    if national_level is not None:
        return assumed["by_national_level"][str(national_level)], "from_national_level"
    return assumed["by_care_level"][care_level], "assumed_from_care_level"


def _daily_standard(city_rules, grade):
    """Return the daily standard in fen for a Shanghai-scale GRADE under CITY_RULES, or None."""
    institutional = city_rules.get("institutional") or {}
    table = institutional.get("daily_standard_fen_by_grade") or {}
    key = str(grade)
    if city_rules.get("grade_scale") == "local":
        key = city_rules.get("local_grade_from_shanghai", {}).get(key)
    return table.get(key) if key else None


def ltci_monthly_fen(city_rules, grade, care_fen):
    """Return what LTCI pays a month in a designated home: daily standard x days x fund share, capped at care."""
    daily = _daily_standard(city_rules, grade)
    if daily is None:
        return None
    share = city_rules["institutional"].get("fund_share_pct")
    monthly = daily * rules("ltci")["days_per_month"]
    if share is not None:  # a share of the standard (Shanghai); else the standard is a fixed amount (Suzhou)
        monthly = monthly * share // 100
    return min(monthly, care_fen)


def _ltci_city(insured_region):
    return rules("ltci")["cities"].get(insured_region.city_code) if insured_region else None


def _ltci_outcome(place, insured_region, grade, care_fen):
    city = _ltci_city(insured_region)
    eligible = (city or {}).get("eligible_grades") or rules("ltci")["shanghai_grades"]["eligible_grades"]
    checks = (
        ("no_insurance_city", insured_region is None),
        ("city_no_ltci", not (city and city.get("runs_ltci"))),
        ("home_not_designated", not place.ltci),
        ("does_not_follow", insured_region is not None and not ltci_follows(insured_region, place)[0]),
        ("grade_not_eligible", grade not in eligible),
        ("no_care_fee", not care_fen),
    )
    failed = next((code for code, bad in checks if bad), None)
    if failed:
        return failed, 0 if failed != "no_insurance_city" else None
    amount = ltci_monthly_fen(city, grade, care_fen)
    return ("no_figures", None) if amount is None else ("applies", amount)


def _ltci_confirmed(city, outcome):
    if outcome != "applies":
        return True
    inst = city.get("institutional") or {}
    return bool(inst.get("daily_standard_confirmed") and inst.get("fund_share_confirmed", True)
                and city.get("confirmed", True))


def _ltci(home, fees, insured_region, grade, grade_basis):
    place = HomePlace.of(home)
    care_fen = fees["care"].amount_fen if "care" in fees else 0
    outcome, amount = _ltci_outcome(place, insured_region, grade, care_fen)
    city = _ltci_city(insured_region) or {}
    confirmed = _ltci_confirmed(city, outcome) and grade_basis == "given"
    return {"outcome": outcome, "message": str(LTCI_REASONS[outcome]), "monthly_fen": amount,
            "insured_region": insured_region.code if insured_region else None,
            "scheme": city.get("scheme"), "grade": grade, "grade_basis": grade_basis,
            "rule": citation("ltci", confirmed=confirmed, sources=city.get("sources") or None)}


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
             prepay_months=None, on=None):
    """Return the cost estimate of HOME for CARE_LEVEL; INSURED_REGION is where the parent is insured."""
    fees = pricing.current_fees(home.fee_items, on).get(care_level, {})
    if pricing.monthly_price(fees) is None:
        return {"home_id": home.id, "care_level": care_level, "accepts_care_level": False}
    available = extra_kinds(home.fee_items, care_level, on)
    chosen = [k for k in extras if k in available]
    lines, monthly = _bill(fees, chosen)
    grade, basis = assessed_grade(care_level, ltci_grade, national_level)
    ltci = _ltci(home, fees, insured_region, grade, basis)
    return {
        "home_id": home.id, "care_level": care_level, "accepts_care_level": True,
        "lines": lines, "extras_available": available, "extras_chosen": chosen,
        "monthly_fen": monthly,
        "deposit": _deposit(fees), "prepayment": _prepayment(prepay_months, monthly, home.prepayment_months),
        "ltci": ltci,
        "family_share_fen": monthly - (ltci["monthly_fen"] or 0),
        "upcoming": upcoming_bills(home.fee_items, care_level, chosen, on),
    }
