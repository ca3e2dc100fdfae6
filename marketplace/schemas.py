"""marshmallow at the edges: search parameters in, public home data out."""

from dataclasses import replace

import marshmallow as ma
from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from core.inputs import valid_id
from core.vocab import CARE_LEVELS, FEATURES, OWNERSHIPS
from geo.gazetteer import gazetteer
from search.cursor import CursorError, decode_cursor, encode_cursor
from search.query import (
    MAX_PER_PAGE,
    MAX_RESULT_WINDOW,
    PRICE_BANDS,
    SORTS,
    SearchQuery,
)

MAX_QUERY_LENGTH = 100
MAX_PRICE_YUAN = 1_000_000
MAX_CURSOR_LENGTH = 1000


class _CsvList(ma.fields.Field):
    """A comma-separated list in one query parameter ("a,b"), each item one of CHOICES."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        items = [v.strip() for v in str(value).split(",") if v.strip()]
        bad = [v for v in items if v not in self.choices]
        if bad:
            raise ma.ValidationError(str(_l("Unknown values: %(values)s. Allowed: %(allowed)s",
                                            values=", ".join(bad), allowed=", ".join(self.choices))))
        return tuple(dict.fromkeys(items))


class _LatLon(ma.fields.Field):
    """A WGS-84 point written "lat,lon"."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = str(value).split(",")
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise ma.ValidationError(str(_l("Give a point as lat,lon, e.g. 31.23,121.47."))) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat != lat or lon != lon:
            raise ma.ValidationError(str(_l("Latitude must be within -90..90 and longitude within -180..180.")))
        return (lat, lon)


def _region_code(level):
    def check(code):
        region = {"province": gazetteer().province, "city": gazetteer().city,
                  "district": gazetteer().district}[level](code)
        if region is None:
            raise ma.ValidationError(str(_l("Unknown region code %(code)s.", code=code)))

    return check


def _flag(**kwargs):
    return ma.fields.Boolean(truthy={"1", "true", "yes", "on"}, falsy={"0", "false", "no", "off", ""}, **kwargs)


class HomeSearchArgs(ma.Schema):
    """The search parameters (stable names for outside clients; see the README)."""

    class Meta:
        unknown = ma.EXCLUDE

    q = ma.fields.String(load_default="", validate=validate.Length(max=MAX_QUERY_LENGTH),
                         metadata={"description": "free text, Chinese, pinyin, initials or English"})
    province = ma.fields.String(validate=_region_code("province"), metadata={"description": "GB/T 2260 code"})
    city = ma.fields.String(validate=_region_code("city"), metadata={"description": "GB/T 2260 code"})
    district = ma.fields.String(validate=_region_code("district"), metadata={"description": "GB/T 2260 code"})
    care_level = ma.fields.String(validate=validate.OneOf(CARE_LEVELS))
    min_price = ma.fields.Integer(validate=validate.Range(0, MAX_PRICE_YUAN),
                                  metadata={"description": "yuan per month, for the chosen care level"})
    max_price = ma.fields.Integer(validate=validate.Range(0, MAX_PRICE_YUAN),
                                  metadata={"description": "yuan per month, for the chosen care level"})
    price_band = ma.fields.String(validate=validate.OneOf([key for key, _, _ in PRICE_BANDS]),
                                  metadata={"description": "a price_band facet key; narrows the price range"})
    min_grade = ma.fields.Integer(validate=validate.Range(1, 5), metadata={"description": "GB/T 37276 stars"})
    min_quality = ma.fields.Integer(validate=validate.Range(1, 5),
                                    metadata={"description": "quality rating stars (see /methods/quality)"})
    has_vacancy = _flag(load_default=False)
    ownership = ma.fields.String(validate=validate.OneOf(OWNERSHIPS))
    features = _CsvList(FEATURES, load_default=(), metadata={"description": "comma-separated, all required"})
    near = _LatLon(metadata={"description": "lat,lon (WGS-84)", "type": "string"})
    radius_km = ma.fields.Float(validate=validate.Range(0.1, 500), allow_nan=False)
    sort = ma.fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(1, MAX_RESULT_WINDOW))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(1, MAX_PER_PAGE))
    cursor = ma.fields.String(validate=validate.Length(max=MAX_CURSOR_LENGTH), metadata={
        "description": "next_cursor of the previous page: the next page without counting the ones before it "
                      "(any depth); the other parameters must be the same, page is then ignored"})

    @ma.validates_schema
    def _check_combinations(self, data, **kwargs):
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError(str(_l("min_price may not exceed max_price.")), "min_price")
        if data.get("sort") == "distance" and "near" not in data:
            raise ma.ValidationError(str(_l("Sorting by distance needs near=lat,lon.")), "near")
        if "radius_km" in data and "near" not in data:
            raise ma.ValidationError(str(_l("radius_km needs near=lat,lon.")), "near")
        if not data.get("cursor") and data.get("page", 1) * data.get("per_page", 20) > MAX_RESULT_WINDOW:
            raise ma.ValidationError(str(_l("Results beyond %(n)s are not served; narrow the search.",
                                            n=MAX_RESULT_WINDOW)), "page")
        self._check_region_nesting(data)

    def _check_region_nesting(self, data):
        gz = gazetteer()
        city, district = gz.city(data.get("city", "")), gz.district(data.get("district", ""))
        if city and data.get("province") and city.province_code != data["province"]:
            raise ma.ValidationError(str(_l("This city is not in the chosen province.")), "city")
        if district and data.get("city") and district.city_code != data["city"]:
            raise ma.ValidationError(str(_l("This district is not in the chosen city.")), "district")

    @ma.post_load
    def _to_query(self, data, **kwargs):
        min_fen, max_fen = _price_range_fen(data)
        query = SearchQuery(
            text=data["q"].strip(), province=data.get("province"), city=data.get("city"),
            district=data.get("district"), care_level=data.get("care_level"),
            min_price_fen=min_fen, max_price_fen=max_fen, min_grade=data.get("min_grade"),
            min_quality=data.get("min_quality"),
            has_vacancy=data["has_vacancy"], ownership=data.get("ownership"), features=data["features"],
            near=data.get("near"), radius_km=data.get("radius_km"), sort=data["sort"], page=data["page"],
            per_page=data["per_page"],
        )
        return _resume(query, data["cursor"]) if data.get("cursor") else query


def _cursor_context():
    return current_app.config["SECRET_KEY"], current_app.config["SEARCH_BACKEND"]


def _resume(query, cursor):
    """Return QUERY continuing where CURSOR left off, or raise ValidationError naming the cursor."""
    try:
        after, page = decode_cursor(cursor, query, *_cursor_context())
    except CursorError:
        raise ma.ValidationError(str(_l("This cursor does not belong to this search; start again from the "
                                        "first page.")), "cursor") from None
    return replace(query, after=after, page=page)


def next_cursor(result, query):
    """Return the cursor of the page after QUERY's (its RESULT's last hit), or None on the last page."""
    if result.last_key is None or query.page * query.per_page >= result.total:
        return None
    return encode_cursor(query, result.last_key, *_cursor_context())


def _price_range_fen(data):
    """Return (min, max) fen, inclusive: min_price/max_price in yuan, narrowed by a price band [low, high)."""
    low = None if data.get("min_price") is None else data["min_price"] * 100
    high = None if data.get("max_price") is None else data["max_price"] * 100
    if data.get("price_band"):
        band_low, band_high = next((lo, hi) for key, lo, hi in PRICE_BANDS if key == data["price_band"])
        low = band_low if low is None else max(low, band_low)
        if band_high is not None:
            high = band_high - 1 if high is None else min(high, band_high - 1)
    return low, high


class CompareArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    ids = ma.fields.String(required=True, metadata={"description": "comma-separated home ids, 1 to 4"})
    care_level = ma.fields.String(validate=validate.OneOf(CARE_LEVELS))
    from_city = ma.fields.String(validate=_region_code("city"),
                                 metadata={"description": "the family's city (GB/T 2260), for distances"})

    @ma.validates("ids")
    def _check_ids(self, value, **kwargs):
        parse_ids(value)

    @ma.post_load
    def _parse(self, data, **kwargs):
        data["ids"] = parse_ids(data["ids"])
        return data


def parse_ids(value, limit=4):
    """Parse "1,2,3" into a tuple of distinct positive ints (1 to LIMIT of them) or raise ValidationError."""
    try:
        ids = tuple(dict.fromkeys(int(v) for v in str(value).split(",") if v.strip()))
    except ValueError:
        raise ma.ValidationError(str(_l("ids must be comma-separated whole numbers."))) from None
    if not ids or len(ids) > limit or min(ids) < 1:
        raise ma.ValidationError(str(_l("Give between 1 and %(n)s home ids.", n=limit)))
    beyond = [i for i in ids if not valid_id(i)]
    if beyond:  # larger than any id the database can hold (and than SQLite can even bind)
        raise ma.ValidationError(str(_l("No home has the id %(id)s.", id=beyond[0])))
    return ids
