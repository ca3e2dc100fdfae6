"""What pages show of a rating: each part with its stars and a sentence saying how it was reached."""

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quality import rules

PART_LABELS = {"inspections": _l("Inspections"), "staffing": _l("Staffing"), "grade": _l("National grade"),
               "experience": _l("Residents' experience")}


def _day(iso):
    return format_date(date.fromisoformat(iso), "medium")


def _percent(share):
    return f"{share * 100:.0f}%"


def _staff_text(figures):
    return _("%(ratio)s care staff per resident, %(share)s of them nurses, on %(date)s",
             ratio=f"{figures['ratio']:.2f}", share=_percent(figures["nursing_share"]), date=_day(figures["as_of"]))


def _inspections_text(sub):
    if sub["stars"] is None:
        return _("No inspection in the last %(n)s months.", n=rules.load_rules()["inspections"]["window_months"])
    return _("%(count)s inspections in the last %(n)s months, the latest on %(date)s: on average %(points)s "
             "deficiency points per inspection, recent inspections weighing more.",
             count=sub["count"], n=rules.load_rules()["inspections"]["window_months"], date=_day(sub["latest"]),
             points=sub["points"])


def _staffing_text(sub):
    if sub.get("reason") == "unchecked":
        return _("Reported by the home but not yet checked by a regulator, so it does not count: %(figures)s.",
                 figures=_staff_text(sub["reported"]))
    if sub["stars"] is None:
        return _("No staffing report checked by a regulator.")
    text = _("Checked by a regulator: %(figures)s.", figures=_staff_text(sub))
    if sub.get("adjustment") == 1:
        text += " " + _("One star added for a high nursing share.")
    elif sub.get("adjustment") == -1:
        text += " " + _("One star taken off for a very low nursing share.")
    if sub.get("newer_unchecked"):
        text += " " + _("A newer report is waiting for a regulator's check.")
    return text


def _grade_text(sub):
    if sub.get("reason") == "expired":
        return _("The grade %(level)s certificate expired on %(date)s: an expired grade counts as none.",
                 level=sub["level"], date=_day(sub["valid_until"]))
    if sub["stars"] is None:
        return _("No national grade certificate (GB/T 37276-2018) on record.")
    return _("Grade %(level)s certificate (GB/T 37276-2018) issued by %(body)s, valid until %(date)s.",
             level=sub["level"], body=sub["issuing_body"], date=_day(sub["valid_until"]))


def _experience_text(sub):
    if sub["stars"] is None:
        return _("%(n)s published reviews; at least %(min)s are needed.", n=sub["reviews"], min=sub["min_reviews"])
    return _("Review score %(score)s out of 5 from %(n)s published reviews.", score=f"{sub['score']:.2f}",
             n=sub["reviews"])


_TEXTS = {"inspections": _inspections_text, "staffing": _staffing_text, "grade": _grade_text,
          "experience": _experience_text}


def rating_view(rating):
    """Return RATING (a QualityRating or None) as a dict for templates: overall, warning, parts explained."""
    if rating is None:
        return {"overall": None, "warning": False, "capped": False, "parts": [], "computed": False}
    weights = rules.load_rules(rating.rules_id)["weights"]
    parts = [{"key": key, "label": PART_LABELS[key], "stars": rating.sub_ratings[key]["stars"],
              "weight": weights[key], "text": _TEXTS[key](rating.sub_ratings[key])}
             for key in rules.PARTS if key in rating.sub_ratings]
    return {"overall": rating.overall, "warning": rating.warning, "capped": rating.capped,
            "uncapped": rating.sub_ratings.get("uncapped"), "parts": parts, "rules_id": rating.rules_id,
            "computed_on": rating.computed_on, "computed": True}
