"""The quality rating: published, versioned rules (quality/rules/<id>.json) applied to a home's records.

Every number lives in the rules file, so the methods page can show exactly what is applied. In outline, in the
spirit of CMS Care Compare's Five-Star system and My Aged Care's Star Ratings:

* inspections: each finding scores severity points x a scope multiplier (CMS's severity/scope grid); each
  inspection in the window weighs 0.5 ** (age in months / half-life), so recent inspections weigh more; the
  weighted mean of points per inspection maps to stars by thresholds (fewer points, more stars).
* staffing: the latest operator report within max_age_months that a regulator has checked: care staff per
  resident maps to stars; a high nursing share adds a star, a very low one takes one away. An unchecked report
  is shown as reported but never counts.
* grade: the GB/T 37276-2018 level of a certificate in force today; an expired certificate counts as none.
* experience: the review score (reviews/reputation.py) once the home has min_reviews published reviews.
* overall: the weighted mean of the sub-ratings present (weights renormalised), rounded half up, only when the
  required sub-ratings and at least min_sub_ratings are present; otherwise None ("not enough data").
* cap: a sanction of a capping severity issued within `months` caps the overall at max_stars and sets a warning.
"""

import functools
import json
import math
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "rules"
CURRENT_RULES = "v1"
PARTS = ("inspections", "staffing", "grade", "experience")
_DAYS_PER_MONTH = 30.4375


@functools.cache
def load_rules(rules_id=CURRENT_RULES):
    """Return the rule set RULES_ID as a dict (read once per process)."""
    if not rules_id.isalnum():
        raise ValueError(f"bad rules id {rules_id!r}")
    with open(RULES_DIR / f"{rules_id}.json", encoding="utf-8") as handle:
        return json.load(handle)


def months_between(earlier, later):
    """Return the months from date EARLIER to date LATER (average month length)."""
    return (later - earlier).days / _DAYS_PER_MONTH


def round_half_up(value):
    """Round VALUE to the nearest whole number, halves up (3.5 -> 4), as the rules file says."""
    return int(math.floor(value + 0.5))


def _at_most(value, thresholds, otherwise):
    return next((stars for bound, stars in thresholds if value <= bound), otherwise)


def _at_least(value, thresholds, otherwise):
    return next((stars for bound, stars in thresholds if value >= bound), otherwise)


def inspection_points(inspection, rules):
    """Return the deficiency points of one inspection: severity points x scope multiplier, summed."""
    r = rules["inspections"]
    return sum(r["severity_points"][f.severity] * r["scope_multiplier"][f.scope] for f in inspection.findings)


def inspection_weight(inspected_on, today, rules):
    """Return an inspection's weight: 1 today, halving every half_life_months."""
    age = max(0.0, months_between(inspected_on, today))
    return 0.5 ** (age / rules["inspections"]["half_life_months"])


def rate_inspections(inspections, today, rules):
    """Return the inspections sub-rating from the inspections within the window."""
    r = rules["inspections"]
    recent = [i for i in inspections if i.inspected_on <= today
              and months_between(i.inspected_on, today) <= r["window_months"]]
    if not recent:
        return {"stars": None, "reason": "no_inspections"}
    weights = [inspection_weight(i.inspected_on, today, rules) for i in recent]
    points = sum(w * inspection_points(i, rules) for w, i in zip(weights, recent)) / sum(weights)
    return {"stars": _at_most(points, r["stars_at_most_points"], r["stars_otherwise"]),
            "points": round(points, 2), "count": len(recent),
            "latest": max(i.inspected_on for i in recent).isoformat()}


def _staffing_figures(report):
    return {"ratio": round(report.staff_ratio, 3), "nursing_share": round(report.nursing_share, 3),
            "as_of": report.as_of.isoformat()}


def rate_staffing(reports, today, rules):
    """Return the staffing sub-rating from the latest checked report (unchecked ones are shown, not counted)."""
    r = rules["staffing"]
    recent = sorted((s for s in reports if s.as_of <= today and months_between(s.as_of, today) <= r["max_age_months"]),
                    key=lambda s: (s.as_of, s.id or 0), reverse=True)
    checked = [s for s in recent if s.checked or not r["count_only_checked"]]
    if not checked:
        if recent:
            return {"stars": None, "reason": "unchecked", "reported": _staffing_figures(recent[0])}
        return {"stars": None, "reason": "no_report"}
    report = checked[0]
    stars = _at_least(report.staff_ratio, r["stars_at_least_ratio"], r["stars_otherwise"])
    adjustment = 0
    if report.nursing_share >= r["nursing_share_bonus_at_least"]:
        adjustment = 1
    elif report.nursing_share < r["nursing_share_penalty_below"]:
        adjustment = -1
    result = {"stars": min(5, max(1, stars + adjustment)), "ratio_stars": stars, "adjustment": adjustment,
              **_staffing_figures(report)}
    if recent[0] is not report:
        result["newer_unchecked"] = _staffing_figures(recent[0])
    return result


def rate_grade(certificates, today, rules):
    """Return the national-grade sub-rating: the level of the certificate in force today (expired: none)."""
    valid = [c for c in certificates if c.issued_on <= today <= c.valid_until]
    if valid:
        best = max(valid, key=lambda c: (c.valid_until, c.level))
        return {"stars": best.level, "level": best.level, "valid_until": best.valid_until.isoformat(),
                "issuing_body": best.issuing_body}
    if certificates:
        last = max(certificates, key=lambda c: c.valid_until)
        return {"stars": None, "reason": "expired", "level": last.level, "valid_until": last.valid_until.isoformat()}
    return {"stars": None, "reason": "no_certificate"}


def rate_experience(review_score, review_count, rules):
    """Return the residents'-experience sub-rating from the review score, once there are enough reviews."""
    r = rules["experience"]
    if review_score is None or review_count < r["min_reviews"]:
        return {"stars": None, "reason": "too_few_reviews", "reviews": review_count, "min_reviews": r["min_reviews"]}
    return {"stars": _at_least(review_score, r["stars_at_least_score"], r["stars_otherwise"]),
            "score": review_score, "reviews": review_count}


def capping_sanctions(sanctions, today, rules):
    """Return the sanctions that cap the rating: a capping severity, issued within the cap's months."""
    cap = rules["cap"]
    return [s for s in sanctions if s.severity in cap["severities"] and s.issued_on <= today
            and months_between(s.issued_on, today) <= cap["months"]]


def overall_stars(sub_ratings, rules):
    """Return the weighted mean of the present sub-ratings, rounded half up; None when data is too thin."""
    present = {part: sub["stars"] for part, sub in sub_ratings.items() if sub["stars"] is not None}
    enough = rules["enough_data"]
    if any(part not in present for part in enough["required"]) or len(present) < enough["min_sub_ratings"]:
        return None
    weights = rules["weights"]
    total = sum(weights[part] for part in present)
    return round_half_up(sum(weights[part] * stars for part, stars in present.items()) / total)


def compute_rating(records, today, rules=None):
    """Apply RULES (default: the current set) to a home's RECORDS on TODAY; return the rating as a dict.

    RECORDS has inspections (with findings), sanctions, certificates, staffing (reports), review_score and
    review_count; any objects with the models' attributes will do.
    """
    rules = rules or load_rules()
    sub = {
        "inspections": rate_inspections(records["inspections"], today, rules),
        "staffing": rate_staffing(records["staffing"], today, rules),
        "grade": rate_grade(records["certificates"], today, rules),
        "experience": rate_experience(records["review_score"], records["review_count"], rules),
    }
    overall = uncapped = overall_stars(sub, rules)
    capping = capping_sanctions(records["sanctions"], today, rules)
    capped = bool(capping) and overall is not None and overall > rules["cap"]["max_stars"]
    if capped:
        overall = rules["cap"]["max_stars"]
    return {"rules_id": rules["id"], "overall": overall, "uncapped": uncapped, "capped": capped,
            "warning": bool(capping), "capping_sanctions": len(capping), "sub_ratings": sub}
