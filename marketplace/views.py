"""HTML pages for families: search, a home's detail, compare, and the language switch.

Views parse input, call presenters and services, and render; every displayed figure comes from presenters.
"""

import re
from urllib.parse import urlsplit

import marshmallow as ma
import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from core import time
from core.templating import path_without_lang
from core.vocab import CARE_LEVELS, FEATURES, OWNERSHIPS
from geo.coords import wgs84_to_gcj02
from geo.gazetteer import gazetteer
from marketplace import maps, presenters, queries, search_terms, services, vocab
from marketplace.api import HomeDetailArgs
from marketplace.photos import home_photos
from marketplace.portal import price_history
from marketplace.portal_models import record_home_view
from marketplace.schemas import CompareArgs, HomeSearchArgs, parse_ids
from search.query import SORTS
from search.service import run_search

bp = Blueprint("marketplace", __name__, template_folder="templates")

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
_LANG_CODES = {"zh_CN": "zh_CN", "zh-CN": "zh_CN", "zh": "zh_CN", "en": "en"}
_MULTI_PARAMS = ("features",)  # checkboxes send one parameter per box; the schema wants "a,b"


# --- pages -------------------------------------------------------------------------------------------


@bp.route("/")
def index():
    """Show the search page: the form, facets, results and their map."""
    args, schema_args, place = _search_args(request.args)
    errors = dict(place.pop("errors", {}))
    query = payload = None
    if not errors and not place.get("choices"):
        try:
            query = _load_search(schema_args)
        except ma.ValidationError as exc:
            errors = _field_errors(exc.messages)
        else:
            payload = presenters.search_payload(run_search(query, search_terms.lexicon()), query)
    markers = _markers(payload["items"]) if payload else []
    return render_template("marketplace/search.html", args=args, place=place, errors=errors, query=query,
                           payload=payload, markers=markers, **_search_form_context(args)), 400 if errors else 200


@bp.route("/homes/<int:home_id>")
def home(home_id):
    """Show one home: fees, vacancies, grade, designations, services, contact, provenance."""
    try:
        args = HomeDetailArgs().load(request.args)
    except ma.ValidationError as exc:
        return _bad_request(exc)
    home_row = queries.get_home(home_id)
    detail = presenters.home_detail(home_row, args.get("care_level"), args.get("from_city"))
    page = render_template("marketplace/home.html", home=detail, markers=_markers([detail], link=False),
                           price_history=price_history(home_row), photos=_published_photos(home_id))
    record_home_view(home_id, time.today())  # after rendering: its commit expires the loaded rows
    return page


def _published_photos(home_id):
    return [{"url": url_for("portal.photo_file", filename=p.filename), "caption": p.caption,
             "width": p.width, "height": p.height} for p in home_photos(home_id)]


@bp.route("/compare")
def compare():
    """Compare up to COMPARE_MAX homes side by side for a care level and the family's city."""
    if not request.args.get("ids", "").strip():
        return render_template("marketplace/compare.html", compare=None, args={}, errors={},
                               **_compare_form_context())
    try:
        args = CompareArgs().load(request.args)
        parse_ids(",".join(map(str, args["ids"])), limit=current_app.config["COMPARE_MAX"])
    except ma.ValidationError as exc:
        return render_template("marketplace/compare.html", compare=None, args=request.args,
                               errors=_field_errors(exc.messages, default="ids"), **_compare_form_context()), 400
    payload = presenters.compare_payload(queries.get_homes(args["ids"]), args.get("care_level"),
                                         args.get("from_city"))
    # prices are compared for one care level only: without one, the page asks for it first
    rows = presenters.COMPARE_ROWS if args.get("care_level") else [
        r for r in presenters.COMPARE_ROWS if r not in presenters.PRICE_ROWS]
    return render_template("marketplace/compare.html", compare=payload, args=args, errors={}, rows=rows,
                           **_compare_form_context())


@bp.route("/ratings")
def ratings_legend():
    """Explain the three ratings a card shows: the quality rating, the national grade, the family score."""
    return render_template("marketplace/ratings.html")


@bp.route("/lang/<code>")
def set_language(code):
    """Remember the chosen language in the `lang` cookie and go back to a same-site page."""
    locale = _LANG_CODES.get(code)
    target = _safe_next(request.args.get("next"))
    if locale is None:
        return _bad_request(ma.ValidationError({"lang": [_("Unknown language.")]}))
    response = redirect(target)
    response.set_cookie("lang", locale, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


# --- input -------------------------------------------------------------------------------------------


def _load_search(schema_args):
    """Parse the search parameters; a cursor that is not this search's is ignored: page 1 is shown instead."""
    try:
        return _SEARCH_ARGS.load(schema_args)
    except ma.ValidationError as exc:
        if "cursor" not in exc.messages:
            raise
    return _SEARCH_ARGS.load({k: v for k, v in schema_args.items() if k not in ("cursor", "page")})


_SEARCH_ARGS = HomeSearchArgs()


def _search_args(raw):
    """Return (form arguments, schema arguments, place): empty values dropped, the typed place resolved."""
    args = {k: v.strip() for k, v in raw.items() if k not in _MULTI_PARAMS and v.strip()}
    for key in _MULTI_PARAMS:
        values = [v for value in raw.getlist(key) for v in value.split(",") if v.strip()]
        if values:
            args[key] = ",".join(values)
    place = _resolve_place(args)
    schema_args = dict(args)
    if place.get("region"):
        schema_args["near"] = f"{place['region'].lat},{place['region'].lon}"
    return args, schema_args, place


def parse_search_args(raw):
    """Return (SearchQuery, form arguments) of search-page arguments RAW (a MultiDict), as the search page reads
    them (a typed place resolved); raise marshmallow.ValidationError naming the fields."""
    args, schema_args, place = _search_args(raw)
    if place.get("errors"):
        raise ma.ValidationError(place["errors"])
    if place.get("choices"):
        raise ma.ValidationError({"place": [_("Several places have this name: choose one on the search page.")]})
    return HomeSearchArgs().load(schema_args), args


def _resolve_place(args):
    """Resolve the typed place (or the chosen place_code) to a region; several matches give choices."""
    gz = gazetteer()
    text = args.get("place", "")
    if args.get("place_code"):
        region = gz.region(args["place_code"])
        if region is None:
            return {"errors": {"place": [_("Unknown place.")]}}
        if not text or text == _place_label(region) or region in gz.find(text):
            return {"region": region, "label": _place_label(region)}
        args.pop("place_code")  # the family typed another place since choosing this one
    if not text or "near" in args:
        return {}
    matches = gz.find(text)
    if not matches:
        return {"errors": {"place": [_("We could not find the place \"%(place)s\" in the Yangtze River Delta.",
                                       place=text)]}}
    if len(matches) == 1:
        return {"region": matches[0], "label": _place_label(matches[0])}
    return {"choices": [{"code": r.code, "label": _place_label(r)} for r in matches]}


def _place_label(region):
    """Name a region for the place chooser (its city and province too, so homonyms can be told apart)."""
    parts = [presenters.region_label(region.code, region.level)]
    if region.level == "district":
        parts.append(presenters.region_label(region.city_code))
    if region.level != "province":
        parts.append(presenters.region_label(region.province_code, "province"))
    unique = list(dict.fromkeys(parts))
    return unique[0] if len(unique) == 1 else f"{unique[0]} ({', '.join(unique[1:])})"


def _field_errors(messages, default="form"):
    """Flatten marshmallow messages into {field: [message]}."""
    if isinstance(messages, list):
        return {default: [str(m) for m in messages]}
    errors = {}
    for field, value in messages.items():
        key = default if field == "_schema" else field
        errors.setdefault(key, []).extend(value if isinstance(value, list) else [str(value)])
    return errors


def _bad_request(exc):
    message = _("Some parameters are invalid.")
    return render_template("error.html", status=400, message=message, fields=_field_errors(exc.messages)), 400


def _safe_next(target):
    """Return TARGET when it is a path on this site, else the home page (no open redirect)."""
    if not target:
        return url_for("marketplace.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("marketplace.index")
    return target


# --- form choices ------------------------------------------------------------------------------------


def care_level_options():
    """Return our care levels with their GB/T 42195-2022 national ability levels, for selects."""
    return [{"code": code, "label": vocab.label(vocab.CARE_LEVEL_LABELS, code),
             "national": [str(vocab.NATIONAL_LEVEL_LABELS[n]) for n in vocab.CARE_LEVEL_NATIONAL[code]],
             "national_short": _level_range(vocab.CARE_LEVEL_NATIONAL[code])}
            for code in CARE_LEVELS]


def _level_range(levels):
    return str(levels[0]) if len(levels) == 1 else f"{levels[0]}–{levels[-1]}"


def _options(codes, labels):
    return [{"code": code, "label": vocab.label(labels, code)} for code in codes]


def _city_groups():
    gz = gazetteer()
    return [{"code": p.code, "label": presenters.region_label(p.code, "province"),
             "cities": [{"code": c.code, "label": presenters.region_label(c.code)} for c in gz.cities_of(p.code)]}
            for p in gz.provinces]


def _search_form_context(args):
    gz = gazetteer()
    groups = _city_groups()
    province = args.get("province")
    city = gz.city(args.get("city", ""))
    return {
        "provinces": [{"code": g["code"], "label": g["label"]} for g in groups],
        "city_groups": [g for g in groups if not province or g["code"] == province],
        "districts": [{"code": d.code, "label": presenters.region_label(d.code, "district")}
                      for d in gz.districts_of(city.code)] if city else [],
        "care_levels": care_level_options(),
        "ownerships": _options(OWNERSHIPS, vocab.OWNERSHIP_LABELS),
        "features": _options(FEATURES, vocab.FEATURE_LABELS),
        "sorts": SORTS,
        "selected_features": set(args.get("features", "").split(",")) - {""},
        "active_filters": active_filter_count(args),
    }


_FILTER_PARAMS = ("province", "city", "district", "place", "near", "radius_km", "care_level", "min_price",
                  "max_price", "has_vacancy", "ownership", "min_grade", "min_quality", "price_band")


def active_filter_count(args):
    """Return how many filters are chosen (each designation counts once): the phone's filter button shows it."""
    chosen = sum(1 for name in _FILTER_PARAMS if args.get(name))
    return chosen + len(set(args.get("features", "").split(",")) - {""})


def _compare_form_context():
    return {"care_levels": care_level_options(), "city_groups": _city_groups()}


# --- output ------------------------------------------------------------------------------------------


def _markers(items, link=True):
    """Return map markers for ITEMS, converted to the tiles' coordinate system (WGS-84 in the database)."""
    gcj02 = maps.tile_crs() == "gcj02"
    markers = []
    for item in items:
        if item.get("lat") is None or item.get("lon") is None:
            continue  # no pin rather than an invented one
        lat, lon = wgs84_to_gcj02(item["lat"], item["lon"]) if gcj02 else (item["lat"], item["lon"])
        markers.append({"id": item["id"], "lat": lat, "lon": lon,
                        "approximate": bool(item.get("location_approximate")),
                        "name": item.get("display_name") or item.get("name"),
                        "url": url_for("marketplace.home", home_id=item["id"]) if link else None})
    return markers


def search_url(args, **changes):
    """Return the search URL for ARGS with CHANGES applied (None removes a parameter); page resets to 1."""
    merged = dict(args)
    merged.pop("page", None)
    merged.pop("cursor", None)  # a cursor belongs to one page of one search: only "next" carries one
    merged.update(changes)
    return url_for("marketplace.index", **{k: v for k, v in merged.items() if v not in (None, "")})


def facet_changes(name, key, args):
    """Return the search parameters that apply facet NAME=KEY (None when it cannot be applied)."""
    if name in ("province", "city", "district", "care_level", "ownership"):
        clear = {"province": {"city": None, "district": None}, "city": {"district": None}}.get(name, {})
        return {name: key, **clear}
    if name == "features":
        chosen = [f for f in args.get("features", "").split(",") if f]
        return {"features": ",".join([*chosen, key])}
    if name == "grade" and key != "0":
        return {"min_grade": key}
    if name == "price_band":  # the band replaces a typed price range
        return {"price_band": key, "min_price": None, "max_price": None}
    return None


def facet_active(name, key, args):
    """Say whether facet NAME=KEY is already applied."""
    if name == "features":
        return key in args.get("features", "").split(",")
    if name == "grade":
        return args.get("min_grade") == key
    return args.get(name) == key


_VISITING_PHRASES = (("预约探视：", "visits by appointment: "), ("周一至周日", "Monday to Sunday"), ("每日", "daily"),
                     ("节假日照常", "also on public holidays"), ("午休", "lunch break"), ("，", ", "), ("（", " ("),
                     ("）", ")"), ("：", ": "), ("至", " to "))
_HAN = re.compile(r"[\u3400-\u9fff]")


@bp.app_template_filter("visiting_hours")
def visiting_hours(text):
    """Return a home's visiting hours in the page's language; in English, "" when a phrase has no translation."""
    if not text or not presenters.is_english():
        return text
    for zh, en in _VISITING_PHRASES:
        text = text.replace(zh, en)
    text = " ".join(text.split())
    return "" if _HAN.search(text) else text[:1].upper() + text[1:]


@bp.app_template_filter("source_name")
def source_name(source):
    """Name where a figure came from as a family reads it: never an internal code such as "demo:generator seed=1"."""
    source = (source or "").strip()
    if source == "demo" or source.startswith("demo:"):
        return _("Demo data (generated by the system)")
    if source == "provider portal":
        return _("The home, through the operator portal")
    if source.startswith("provider API client"):
        return _("The home's operator, through its data link")
    if source in ("regulator", "form"):
        return _("The civil affairs authority")
    # anything else is the name of whoever published the figure (a bureau's list, an importer's label): kept as is
    return Markup('<span translate="no">{}</span>').format(source) if source else _("the home")


@bp.app_template_global("share_qr_svg")
def share_qr_svg(url):
    """Return URL as a QR code in inline SVG (for WeChat), drawn here: no third-party service sees the link."""
    return Markup(segno.make(url, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff"))


@bp.app_template_global("share_url")
def share_url():
    """Return this page's absolute address without ?lang= (the reader keeps their own language)."""
    return request.host_url.rstrip("/") + path_without_lang()


@bp.app_context_processor
def _marketplace_context():
    # app-wide: other packages' pages show care levels, features, places and search links too
    return {
        "map_config": maps.map_config(),  # tile presets and the offline base layer (marketplace/maps.py)
        "search_url": search_url, "facet_changes": facet_changes, "facet_active": facet_active,
        "care_level_label": lambda code: vocab.label(vocab.CARE_LEVEL_LABELS, code),
        "feature_label": lambda code: vocab.label(vocab.FEATURE_LABELS, code),
        "ownership_label": lambda code: vocab.label(vocab.OWNERSHIP_LABELS, code),
        "region_label": presenters.region_label,
    }


# --- correcting a home's pin (its operator or a regulator of its place) ----------------------------------

class PinForm(FlaskForm):
    """Only the CSRF token: lat and lon are read and checked by the service."""


def _pin_home(home_id):
    from accounts import permissions
    from core.extensions import db
    from marketplace.models import Home

    if not current_user.is_authenticated:
        return None
    home = db.session.get(Home, home_id)
    if home is None:
        abort(404)
    if not (permissions.can_edit_home(current_user, home) or permissions.regulates_home(current_user, home)):
        abort(403)
    return home


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@bp.route("/homes/<int:home_id>/pin", methods=["GET", "POST"])
def correct_pin(home_id):
    """Show the home's pin on a map to move it (click the map, or type the point); save marks it verified."""
    home = _pin_home(home_id)
    if home is None:
        return current_app.login_manager.unauthorized()
    form, status, errors = PinForm(), 200, {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors, status = {"form": [_("The form expired.")]}, 400
        else:
            from core.errors import ServiceError
            from core.extensions import db

            try:
                services.correct_location(home, _number(request.form.get("lat")), _number(request.form.get("lon")),
                                          services.Actor(current_user, channel=_pin_channel()))
            except ServiceError as exc:
                db.session.rollback()
                errors, status = exc.fields, exc.status
            else:
                flash(_("The pin was moved and marked as verified."), "info")
                return redirect(url_for("marketplace.home", home_id=home.id))
    marker = _markers([{"id": home.id, "lat": home.lat, "lon": home.lon, "name": home.name,
                        "location_approximate": home.location_approximate}], link=False)
    return render_template("marketplace/pin.html", home=home, form=form, errors=errors, markers=marker), status


def _pin_channel():
    return "regulator" if current_user.role in ("regulator", "admin") else "portal"
