"""Validate and normalise one source row: names, addresses, GB/T 2260 codes, fen per month, grades 1..5, WGS-84.

`normalise_row(adapter, raw)` returns a Normalised record: canonical Home fields, fee items
{(care level, kind): fen per month}, and the problems found (each a Problem with a code; the row goes to the
quarantine when it has any). Pure functions over the gazetteer: no database access here except geocoding.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from geo import coords
from geo.distance import haversine_km
from geo.gazetteer import gazetteer
from geo.places import YRD_PROVINCES, Place, parse_place, parse_places
from marketplace.services import MAX_BEDS, MAX_FEE_FEN

DAYS_PER_MONTH = 30  # the convention of the day-priced lists (江苏 元/天 x 30)
MIN_MONTHLY_FEN = 300_00  # an all-in month under 300 yuan is a unit mistake, not a price
MAX_COORD_OFFSET_KM = 60  # a point this far from its district's centre is doubtful
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_OWNERSHIP = {"公办": "public", "公建民营": "public_private", "民办": "private", "民营": "private",
              "公建公营": "public", "国有": "public"}

PROBLEMS = {
    "missing": _l("%(field)s is missing."),
    "too_long": _l("%(field)s is too long."),
    "bad_number": _l("%(field)s is not a number: %(value)s"),
    "impossible_price": _l("Impossible price for %(field)s: %(value)s"),
    "no_prices": _l("The row has no usable prices."),
    "unknown_code": _l("No region has the code %(value)s."),
    "unknown_district": _l("No district named %(value)s in this area."),
    "ambiguous_district": _l("Several districts are named %(value)s; give the city or the code."),
    "out_of_scope": _l("%(value)s lies outside the area this source covers."),
    "out_of_jurisdiction": _l("%(value)s lies outside your jurisdiction."),
    "bad_grade": _l("Unknown grade: %(value)s"),
    "bad_coordinates": _l("Coordinates cannot be read: %(value)s"),
    "far_coordinates": _l("The coordinates lie %(value)s km from the district centre."),
    "bad_beds": _l("Impossible number of beds: %(value)s"),
    "duplicate_row": _l("The same home appears earlier in this file (row %(value)s)."),
    "possible_duplicate": _l("Possibly the same home as %(value)s; decide whether to merge."),
    "no_place": _l("Nothing in the row places the home in a city of the Yangtze River Delta."),
    "contradictory_place": _l("The row's region columns and its address name different places: %(value)s"),
}
FIELD_LABELS = {
    "name": _l("Name"), "address": _l("Address"), "district_code": _l("Region code"),
    "district_name": _l("District"), "city_name": _l("City"), "grade": _l("Grade"), "lat": _l("Latitude"),
    "lon": _l("Longitude"), "beds_total": _l("Beds"), "phone": _l("Phone"), "licence_no": _l("Filing number"),
    "ownership": _l("Ownership"), "fees": _l("Prices"), "province_name": _l("Province"),
    "credit_code": _l("Unified social credit code"),
}


@dataclass
class Problem:
    code: str
    field: str = ""
    value: str = ""

    def as_dict(self):
        """Return the JSON form kept on a quarantined row."""
        return {"code": self.code, "field": self.field, "value": self.value}


@dataclass
class Normalised:
    fields: dict = field(default_factory=dict)
    fees: dict = field(default_factory=dict)  # {(care_level, kind): fen per month}
    problems: list = field(default_factory=list)
    outside: bool = False  # a directory row placed outside the YRD: counted, not imported, not an error
    city_level: bool = False  # placed in a city but no district: accepted, its pin approximate
    credit_code: str | None = None  # 统一社会信用代码: an identity, not a Home column

    @property
    def ok(self):
        """Say whether the row may be imported as is."""
        return not self.problems


def problem_text(problem):
    """Return a quarantined row's problem ({code, field, value}) as a sentence in the current locale."""
    label = FIELD_LABELS.get(problem.get("field"), problem.get("field") or "")
    template = PROBLEMS.get(problem.get("code"))
    if template is None:
        return problem.get("code", "")
    return str(template) % {"field": label, "value": problem.get("value", "")}


def clean_text(text, limit=None):
    """NFKC, collapse white space, strip; full-width digits and brackets become half-width."""
    text = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return text[:limit] if limit else text


def clean_name(text):
    """Normalise a home's name: clean text, no spaces between Han characters."""
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", clean_text(text))


def parse_yuan(text):
    """Return a Decimal amount of yuan from '2,800', '¥2800.5', '2800元'; None when empty; ValueError if bad."""
    text = clean_text(text).replace(",", "").replace("¥", "").replace("￥", "").removesuffix("元").strip()
    if not text or text in ("-", "—", "/"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def monthly_fen(yuan, unit):
    """Convert an amount of yuan per UNIT ('day' or 'month') to integer fen per month (half up)."""
    months = yuan * DAYS_PER_MONTH if unit == "day" else yuan
    return int((months * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_STAR_WORDS = re.compile(r"^([一二三四五1-5])(?:星级?|星)$")
_JI_WORDS = re.compile(r"^([一二三四五1-5])级$")


def parse_grade(text, scale):
    """Map a source grade to the national 1..5 scale (GB/T 37276); None when empty; ValueError if unknown."""
    text = clean_text(text).replace(" ", "").upper()
    if not text or text in ("无", "未评级", "未评定", "-"):
        return None
    grade = None
    if set(text) <= {"★", "☆"} and "★" in text:
        grade = text.count("★")
    elif set(text) == {"A"}:
        grade = len(text)
    elif match := (_STAR_WORDS.match(text) or _JI_WORDS.match(text)):
        grade = _CN_DIGITS[match.group(1)]
    elif text in _CN_DIGITS and scale == "number":
        grade = _CN_DIGITS[text]
    if grade is None or not 1 <= grade <= 5:
        raise ValueError(text)
    return grade


def resolve_region(adapter, raw, problems):
    """Return the district Region of a row (code, or district name city-scoped), or None with a problem."""
    gz = gazetteer()
    code = clean_text(raw.get("district_code"))
    if code:
        district = gz.district(code)
        if district is None:
            problems.append(Problem("unknown_code", "district_code", code))
        return district
    name = clean_text(raw.get("district_name")).replace(" ", "")
    if not name:
        problems.append(Problem("missing", "district_name"))
        return None
    cities = _cities_for(adapter, raw, problems)
    if cities is None:
        return None
    hits = [d for c in cities for d in gz.districts_of(c.code) if name in (d.name, d.short_name)]
    if len(hits) == 1:
        return hits[0]
    problems.append(Problem("ambiguous_district" if hits else "unknown_district", "district_name", name))
    return None


def _cities_for(adapter, raw, problems):
    gz = gazetteer()
    if adapter.city:
        return [gz.city(adapter.city)]
    city_name = clean_text(raw.get("city_name")).replace(" ", "")
    in_scope = gz.cities_of(adapter.scope) if gz.province(adapter.scope) else [gz.city(adapter.scope)]
    if not city_name:
        return in_scope  # unique district names still resolve; others come back ambiguous
    cities = [c for c in in_scope if city_name in (c.name, c.short_name)]
    if not cities:
        problems.append(Problem("out_of_scope" if gz.find(city_name) else "unknown_district", "city_name",
                                city_name))
        return None
    return cities


def in_scope(region_code, district):
    """Say whether DISTRICT lies in the province or city REGION_CODE."""
    return region_code in (district.province_code, district.city_code)


def _number(raw, name, problems, cast=float):
    text = clean_text(raw.get(name)).replace(",", "")
    if not text:
        return None
    try:
        return cast(float(text)) if cast is int else cast(text)
    except ValueError:
        problems.append(Problem("bad_number", name, text))
        return None


def resolve_point(adapter, raw, district, problems):
    """Return (lat, lon, approximate) in WGS-84: the source's point converted, or None to geocode later."""
    lat, lon = _number(raw, "lat", problems), _number(raw, "lon", problems)
    if lat is None or lon is None or not adapter.coord_system:
        return None
    if coords.out_of_china(lat, lon):
        problems.append(Problem("bad_coordinates", "lat", f"{lat}, {lon}"))
        return None
    lat, lon = coords.to_wgs84(lat, lon, adapter.coord_system)
    if district is not None:
        km = haversine_km(lat, lon, district.lat, district.lon)
        if km > MAX_COORD_OFFSET_KM:
            problems.append(Problem("far_coordinates", "lat", f"{km:.0f}"))
    return round(lat, 6), round(lon, 6), False


def normalise_fees(adapter, raw, problems):
    """Return {(care level, kind): fen per month} from the row's fee columns; problems for impossible prices."""
    specific = {lvl for f in adapter.fees if len(f.levels) == 1 and raw["fees"].get(f.column) for lvl in f.levels}
    has_specific = any(len(f.levels) == 1 for f in adapter.fees)
    fees = {}
    for column, text in raw.get("fees", {}).items():
        spec = adapter.fee_columns()[column]
        try:
            yuan = parse_yuan(text)
        except ValueError:
            problems.append(Problem("bad_number", "fees", f"{column}: {text}"))
            continue
        if yuan is None:
            continue
        fen = monthly_fen(yuan, adapter.price_unit)
        if not 0 <= fen <= MAX_FEE_FEN:
            problems.append(Problem("impossible_price", "fees", f"{column}: {text}"))
            continue
        for level in spec.levels:
            if not has_specific or level in specific or len(spec.levels) == 1:
                fees[(level, spec.kind)] = fen
    _check_totals(fees, problems, prices_required=not adapter.directory)
    return fees


def _check_totals(fees, problems, prices_required=True):
    levels = {level for level, _kind in fees}
    for level in sorted(levels):
        if (level, "bed") not in fees:
            continue
        total = sum(fees.get((level, k), 0) for k in ("bed", "care", "meals"))
        if total < MIN_MONTHLY_FEN:
            problems.append(Problem("impossible_price", "fees", f"{level}: {total / 100:.2f}"))
    # a list of prices needs a bed fee; a directory row without any price is a home whose fees are unknown
    if (prices_required or fees) and not any(kind == "bed" for _level, kind in fees):
        problems.append(Problem("no_prices", "fees"))


def normalise_row(adapter, raw, jurisdiction=None):
    """Return the Normalised form of one raw row of ADAPTER's format (JURISDICTION: a regulator's code)."""
    problems = []
    out = Normalised(problems=problems)
    name = clean_name(raw.get("name"))
    address = clean_text(raw.get("address"))
    for key, value, limit in (("name", name, 200), ("address", address, 300)):
        if not value:
            problems.append(Problem("missing", key))
        elif len(value) > limit:
            problems.append(Problem("too_long", key))
    if adapter.directory:
        district = _directory_place(raw, name, address, out)
        if out.outside:
            return out
    else:
        district = resolve_region(adapter, raw, problems)
        if district is not None and not in_scope(adapter.scope, district):
            problems.append(Problem("out_of_scope", "district_code", district.name))
    if district is not None and jurisdiction and not in_scope(jurisdiction, district):
        problems.append(Problem("out_of_jurisdiction", "district_code", district.name))
    if out.city_level and jurisdiction and jurisdiction not in (out.fields["province_code"], out.fields["city_code"]):
        problems.append(Problem("out_of_jurisdiction", "city_name", out.fields["city_code"]))
    out.fields.update(name=name[:200], address=address[:300], phone=clean_text(raw.get("phone"), 40) or None,
                      licence_no=clean_text(raw.get("licence_no"), 40).replace(" ", "") or None)
    out.credit_code = clean_text(raw.get("credit_code"), 40).replace(" ", "").upper() or None
    if district is not None:
        out.fields.update(province_code=district.province_code, city_code=district.city_code,
                          district_code=district.code)
    _grade(adapter, raw, out)
    _beds(raw, out)
    ownership = _OWNERSHIP.get(clean_text(raw.get("ownership")))
    if ownership:
        out.fields["ownership"] = ownership
    point = resolve_point(adapter, raw, district, problems)
    if point:
        out.fields.update(lat=point[0], lon=point[1], location_approximate=point[2])
    out.fees = normalise_fees(adapter, raw, problems)
    return out


def _grade(adapter, raw, out):
    try:
        grade = parse_grade(raw.get("grade"), adapter.grade_scale)
    except ValueError as exc:
        out.problems.append(Problem("bad_grade", "grade", str(exc)))
        return
    if grade is not None:
        out.fields["grade"] = grade


def _beds(raw, out):
    beds = _number(raw, "beds_total", out.problems, cast=int)
    if beds is not None and not 0 <= beds <= MAX_BEDS:
        out.problems.append(Problem("bad_beds", "beds_total", str(beds)))
    elif beds is not None:
        out.fields["beds_total"] = beds


def _directory_place(raw, name, address, out):
    """Place a directory row: a code column, else its region columns, address and name (geo/places.py).

    Returns the district Region, or None: at city level (fields set, `city_level`), outside the YRD
    (`outside`), or with a problem (nothing places it; the columns and the address disagree).
    """
    gz = gazetteer()
    code = clean_text(raw.get("district_code"))
    if code:
        district = gz.district(code)
        if district is None and code[:2] + "0000" not in YRD_PROVINCES and len(code) == 6 and code.isdigit():
            out.outside = True
        elif district is None:
            out.problems.append(Problem("unknown_code", "district_code", code))
        return district
    columns = "".join(clean_text(raw.get(k)).replace(" ", "")
                      for k in ("province_name", "city_name", "district_name"))
    below_province = bool(clean_text(raw.get("city_name")) or clean_text(raw.get("district_name")))
    place = _best_place(columns, address, name, out.problems, below_province)
    if place is None:
        return None
    if place.province_code and not place.in_region:
        out.outside = True
        return None
    if place.city_code is None:
        out.problems.append(Problem("no_place", "address", address))
        return None
    out.fields["former_district_name"] = place.former_name
    if place.district_code:
        return gz.district(place.district_code)
    out.city_level = True
    out.fields.update(province_code=place.province_code, city_code=place.city_code, district_code=None)
    return None


def _best_place(columns, address, name, problems, below_province=True):
    """The most precise consistent place from the region columns, the address and the name (in that order)."""
    texts = [t for t in (columns + address, name) if t]
    if not texts:
        return Place()
    place = parse_place(texts[0])
    if columns and address and below_province:  # a city or district column that the address contradicts
        by_columns, by_address = parse_places([columns, address])
        if by_columns.city_code and by_address.city_code and by_columns.city_code != by_address.city_code:
            problems.append(Problem("contradictory_place", "address", f"{columns} / {address}"))
            return None
    for other in (parse_place(t) for t in texts[1:] if place.level != "district"):  # the name: only if it can help
        same_area = place.city_code in (None, other.city_code) and place.province_code in (None, other.province_code)
        if other.level == "district" and place.level != "district" and same_area or place.level is None and other.level:
            place = other
    return place
