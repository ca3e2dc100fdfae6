"""HTML for costs/: the family's location, compare regions, the rules page, and the partials' data.

The shared pages (home, compare, search results) each include one partial from templates/costs/; the data
those partials show comes from the template globals registered here, so marketplace views stay untouched.
"""

import dataclasses
import json
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import ServiceError
from core.vocab import CARE_LEVELS
from costs import crossprov, designations, queries, regions
from costs.estimator import EXTRA_LABELS, EXTRA_PREFIX
from costs.facts import KEYS, STATUS_LABELS, current_facts
from costs.location import family_region, forget_family_place, remember_family_place
from costs.rules import all_rules
from costs.schemas import CompareRegionsArgs, EstimateArgs, FamilyPlaceForm
from geo.gazetteer import gazetteer
from marketplace import presenters, vocab
from marketplace import queries as home_queries
from marketplace.views import care_level_options

bp = Blueprint("costs", __name__, template_folder="templates")
_ESTIMATE_PARAMS = ("care_level", "insurance_city", "ltci_grade", "national_level", "extras", "prepay_months",
                    "facts_version", "on")


# --- pages -------------------------------------------------------------------------------------------


@bp.route("/family-location", methods=["GET", "POST"])
def family_location():
    """Ask where the family lives (a city or district) and remember it, or forget it (clear=1)."""
    errors, next_url = {}, _safe_next(request.values.get("next"))
    if request.method == "POST" and request.form.get("clear"):
        forget_family_place()
        return redirect(next_url)
    if request.method == "POST":
        try:
            form = FamilyPlaceForm().load(request.form)
        except ma.ValidationError as exc:
            errors = _field_errors(exc.messages)
        else:
            remember_family_place(form["place_code"])
            return redirect(next_url)
    return render_template("costs/location.html", errors=errors, next_url=next_url, place_groups=_place_groups(),
                           current=family_region()), 400 if errors else 200


@bp.route("/compare-regions")
def compare_regions():
    """For a care level and budget, compare the cities within N hours of the family's place."""
    result, errors, origin = None, {}, family_region()
    if request.args.get("care_level"):
        try:
            args = CompareRegionsArgs().load(request.args)
            origin = queries.origin_or_error(args, origin)
        except ma.ValidationError as exc:
            errors = _field_errors(exc.messages)
        except ServiceError as exc:
            errors = exc.fields
        else:
            budget = args["budget_yuan"] * 100 if args.get("budget_yuan") is not None else None
            result = regions.compare_regions(origin, args["care_level"], budget, args["max_hours"])
    return render_template("costs/compare_regions.html", result=result, errors=errors, args=request.args,
                           origin=origin, place_groups=_place_groups(), care_levels=care_level_options()), \
        400 if errors else 200


@bp.route("/cost-rules")
def cost_rules():
    """Explain how estimates, travel times and the cross-province answers are made, with every source."""
    files = all_rules()
    pretty = {name: json.dumps(data, ensure_ascii=False, indent=2) for name, data in files.items()}
    facts = current_facts()
    order = list(KEYS)
    rows = [{"fact": f, "editable": False, "id": None}
            for f in sorted(facts.facts, key=lambda f: (order.index(f.key) if f.key in order else 99, f.code))]
    return render_template("costs/rules.html", files=files, pretty=pretty, facts=facts, fact_rows=rows,
                           fact_keys=KEYS)


# --- helpers -----------------------------------------------------------------------------------------


def _safe_next(target):
    """Return TARGET when it is a path on this site, else the search page (no open redirect)."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("marketplace.index")
    return target


def _field_errors(messages):
    return {field: [str(m) for m in (value if isinstance(value, list) else [value])]
            for field, value in messages.items()}


def _place_groups():
    """Return the cities, each with its districts, for the place select."""
    gz = gazetteer()
    return [{"code": c.code, "label": presenters.region_label(c.code),
             "province": presenters.region_label(c.province_code, "province"),
             "place": presenters.place_line(c.province_code, c.code),
             "districts": [{"code": d.code, "label": presenters.region_label(d.code, "district")}
                           for d in gz.districts_of(c.code)]}
            for c in gz.cities]


def _estimate_args(care_level):
    """Parse the estimator's parameters from the request: (args, errors)."""
    raw = {k: request.args.get(k) for k in _ESTIMATE_PARAMS if request.args.get(k)}
    if request.args.getlist("extras"):
        raw["extras"] = ",".join(request.args.getlist("extras"))
    raw["care_level"] = raw.get("care_level") or care_level
    try:
        return EstimateArgs().load(raw), {}
    except ma.ValidationError as exc:
        return None, _field_errors(exc.messages)


def _safe_estimate(home, args, family, errors):
    """Return (estimate or None, errors): an unknown facts version is a field error, not a failed page."""
    if not args:
        return None, errors
    try:
        return queries.home_estimate(home, args, family), errors
    except ServiceError as exc:
        return None, {**errors, **exc.fields}


def home_panel(home):
    """Return the estimate panel of the home page for HOME (the home_detail dict)."""
    levels = [row["care_level"] for row in home["fees"]]
    level = home.get("care_level") or request.args.get("care_level") or (levels[0] if levels else None)
    if level not in CARE_LEVELS:
        return {"levels": levels, "errors": {}, "estimate": None}
    args, errors = _estimate_args(level)
    estimate, errors = _safe_estimate(home_queries.get_home(home["id"]), args, family_region(), errors)
    return {"levels": levels, "care_level": level, "errors": errors, "estimate": estimate, "args": request.args}


def compare_panel(compare):
    """Return one estimate per compared home, for the chosen (or each home's cheapest) care level."""
    family, columns = family_region(), []
    homes = {h.id: h for h in home_queries.get_homes([c["id"] for c in compare["homes"]])}
    for column in compare["homes"]:
        args, errors = _estimate_args(column["care_level"]) if column["care_level"] else (None, {})
        estimate, errors = _safe_estimate(homes[column["id"]], args, family, errors)
        columns.append({"id": column["id"], "name": column["name"], "errors": errors, "estimate": estimate})
    return {"family": family, "columns": columns}


def _result_decision(item):
    """Return the cross-province decision for a search result ITEM, or None without the family's place."""
    family = family_region()
    if family is None:
        return None
    place = crossprov.HomePlace.of(item)
    schemes = designations.schemes_of_item(item)  # search documents carry no designations: read them from SQL
    if schemes:
        place = dataclasses.replace(place, ltci_schemes=schemes)
    return crossprov.decision(family, place)


def travel_time(minutes):
    """Format an estimated travel time: about 1 h 35 min."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("about %(m)s min", m=rest)
    return _("about %(h)s h %(m)s min", h=hours, m=rest) if rest else _("about %(h)s h", h=hours)


def family_place_label():
    """Return the family's place as shown on pages (district, city), or None."""
    region = family_region()
    if region is None:
        return None
    if region.level == "district":
        return f"{presenters.region_label(region.code, 'district')}, {presenters.region_label(region.city_code)}"
    return presenters.region_label(region.code)


def kind_label(kind):
    """Return the label of a fee kind, or of an optional extra (extra_*)."""
    if kind.startswith(EXTRA_PREFIX):
        label = EXTRA_LABELS.get(kind)
        return str(label) if label else kind.removeprefix(EXTRA_PREFIX).replace("_", " ")
    return vocab.label(vocab.FEE_KIND_LABELS, kind)


def _city_options():
    return [{"code": c.code, "label": presenters.region_label(c.code)} for c in gazetteer().cities]


@bp.app_context_processor
def _costs_context():
    return {"costs_result_decision": _result_decision, "family_region": family_region,
            "family_place_label": family_place_label, "travel_time": travel_time,
            "costs_kind_label": kind_label, "costs_extra_label": kind_label, "costs_city_options": _city_options,
            "costs_fact_status": lambda status: str(STATUS_LABELS.get(status, status)), "costs_text": fact_text}


def fact_text(obj, name):
    """Return OBJ's NAME (a fact's note or reason) in the page's language: NAME_zh on Chinese pages when given."""
    get = obj.get if isinstance(obj, dict) else lambda key, default=None: getattr(obj, key, default)
    chinese = get(f"{name}_zh") if not presenters.is_english() else None
    return chinese or get(name)
