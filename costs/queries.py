"""Reads for costs/: the estimate of one home with the family's decision, and price history."""

from flask_babel import gettext as _

from core.errors import ServiceError
from costs import crossprov, estimator
from costs.designations import designations_of
from costs.facts import facts_version
from costs.location import place_region
from marketplace import queries
from marketplace.portal import price_history


def home_estimate(home, args, family=None):
    """Return the estimate for HOME from parsed ARGS, with the decision when the family's place is known."""
    family = place_region(args.get("family_city")) or family
    insured = place_region(args.get("insurance_city")) or family
    facts = facts_version(args.get("facts_version"))
    result = estimator.estimate(home, args["care_level"], insured_region=insured, ltci_grade=args.get("ltci_grade"),
                                national_level=args.get("national_level"), extras=args.get("extras", ()),
                                prepay_months=args.get("prepay_months"), on=args.get("on"), facts=facts)
    result["decision"] = crossprov.decision(family, home, insured, facts) if family else None
    result["designations"] = [d for d in designations_of(home) if d["status"] == "confirmed"]
    return result


def facts_listing(number=None):
    """Return a facts version (default: the current one) with every fact and its evidence."""
    facts = facts_version(number)
    return {"version": facts.number, "version_label": facts.label,
            "published_at": facts.published_at.isoformat() if facts.published_at else None,
            "facts": [f.to_dict() for f in facts.facts]}


def estimate_for(home_id, args, family=None):
    """Return the estimate of the home HOME_ID (NotFound if there is none)."""
    return home_estimate(queries.get_home(home_id), args, family)


def price_history_rows(home_id):
    """Return the home's price history (every effective date per care level), newest first."""
    rows = price_history(queries.get_home(home_id))
    return [{**row, "effective_from": row["effective_from"].isoformat()} for row in rows]


def origin_or_error(args, family):
    """Return the origin region of a compare-regions request, or raise a 400 naming family_city."""
    origin = place_region(args.get("family_city")) or family
    if origin is None:
        raise ServiceError(_("Tell us where your family lives."),
                           {"family_city": [_("Choose your family's city or district.")]}, code="invalid_parameters")
    return origin
