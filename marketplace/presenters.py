"""Turning homes and search hits into what pages and the API show: one place for every displayed figure."""

import functools
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import time
from core.vocab import CARE_LEVELS, FEATURES
from geo.distance import haversine_km
from geo.gazetteer import gazetteer
from marketplace import freshness, pricing, vocab
from marketplace.schemas import next_cursor
from search.query import free_field, price_band_of, price_field  # noqa: F401

PRICE_BAND_LABELS = {
    "lt3000": _l("Under ¥3,000"),
    "3000_5000": _l("¥3,000–5,000"),
    "5000_8000": _l("¥5,000–8,000"),
    "8000_12000": _l("¥8,000–12,000"),
    "ge12000": _l("¥12,000 and over"),
}


def is_english():
    """Say whether the current locale is English."""
    return str(get_locale() or "zh_CN").startswith("en")


@functools.cache
def _region_labels(english):
    """Return {(level, code): label}; in English, cities sharing a pinyin name get their province added."""
    gz = gazetteer()
    seen = {}
    for city in gz.cities:
        seen.setdefault(city.pinyin, []).append(city.code)
    ambiguous = {code for codes in seen.values() if len(codes) > 1 for code in codes}
    labels = {}
    for level, regions in (("province", gz.provinces), ("city", gz.cities), ("district", gz.districts)):
        for r in regions:
            label = r.pinyin if english else r.name
            if english and level == "city" and r.code in ambiguous:
                label = f"{r.pinyin} ({gz.province(r.province_code).pinyin})"
            labels[(level, r.code)] = label
    return labels


def region_label(code, level="city", english=None):
    """Return a region's name in the current locale (Suzhou (Jiangsu) vs Suzhou (Anhui) in English)."""
    english = is_english() if english is None else english
    return _region_labels(english).get((level, code), code)


def place_line(province_code=None, city_code=None, district_code=None, english=None):
    """Return "province · city · district" in the current locale; a municipality (上海市) shows once."""
    parts = []
    for level, code in (("province", province_code), ("city", city_code), ("district", district_code)):
        label = region_label(code, level, english) if code else None
        if label and (not parts or parts[-1] != label):
            parts.append(label)
    return " · ".join(parts)


def home_name(name, name_en):
    """Return the home's name in the current locale."""
    return name_en if is_english() and name_en else name


def home_summary(home):
    """Return what a page about something of HOME's (a review, an inquiry) shows of the home: id and name."""
    return {"id": home.id, "display_name": home_name(home.name, home.name_en)}


def is_stale(confirmed_at, now=None):
    """Say whether vacancies confirmed at CONFIRMED_AT are too old to trust (VACANCY_STALE_DAYS)."""
    if confirmed_at is None:
        return True
    if isinstance(confirmed_at, str):
        confirmed_at = datetime.fromisoformat(confirmed_at)
    if confirmed_at.tzinfo is None:
        confirmed_at = confirmed_at.replace(tzinfo=UTC)
    now = now or time.utcnow()
    return now - confirmed_at > timedelta(days=current_app.config["VACANCY_STALE_DAYS"])


def _confirmed_for(doc, care_level):
    """Return when DOC's free beds of CARE_LEVEL were confirmed (no level, or none given: the whole home's)."""
    stamp = doc.get(freshness.confirmed_field(care_level)) if care_level else None
    return stamp or doc.get("vacancy_confirmed_at")


def search_item(hit, query, english=None, now=None):
    """Return the public search item of HIT for QUERY (prices and free beds for the chosen care level); ENGLISH
    and NOW are the page's, when it has them."""
    english = is_english() if english is None else english
    doc, confirmed = hit.doc, _confirmed_for(hit.doc, query.care_level)
    item = {
        "id": doc["id"],
        "name": doc["name"],
        "name_en": doc.get("name_en", ""),
        "display_name": doc.get("name_en") or doc["name"] if english else doc["name"],
        "province_code": doc["province_code"],
        "city_code": doc["city_code"],
        "district_code": doc["district_code"],
        "city": region_label(doc["city_code"], "city", english),
        "district": region_label(doc["district_code"], "district", english),
        "address": doc.get("address", ""),
        "lat": (doc.get("location") or {}).get("lat"),
        "lon": (doc.get("location") or {}).get("lon"),
        "location_approximate": bool(doc.get("location_approximate")),
        "grade": doc.get("grade"),  # the grade in force when the document was built (search_documents.py)
        "grade_expired": bool(doc.get("grade_expired")),
        "last_grade": doc.get("last_grade"),
        "ownership": doc.get("ownership"),
        "beds_free": doc.get(free_field(query.care_level)),
        "monthly_price_fen": doc.get(price_field(query.care_level)),
        "care_level": query.care_level,
        "care_levels": doc.get("care_levels", []),
        "features": doc.get("features", []),
        "rating": doc.get("rating"),
        "review_count": doc.get("review_count", 0),
        "quality_stars": doc.get("quality_stars"),
        "quality_warning": bool(doc.get("quality_warning")),
        "vacancy_confirmed_at": confirmed,
        "vacancy_stale": is_stale(confirmed, now),
        "is_demo": doc.get("is_demo", False),
    }
    if hit.distance_km is not None:
        item["distance_km"] = round(hit.distance_km, 2)
    return item


def _facet_label(facet, key, english):
    if facet in ("province", "city", "district"):
        return region_label(key, facet, english)
    labels = {"care_level": vocab.CARE_LEVEL_LABELS, "features": vocab.FEATURE_LABELS,
              "ownership": vocab.OWNERSHIP_LABELS, "price_band": PRICE_BAND_LABELS}.get(facet)
    if labels is not None:
        return vocab.label(labels, key)
    if facet == "grade":
        return str(_l("Not graded")) if key == "0" else str(_l("%(n)s stars", n=key))
    return key


_FACET_LABELS = {}  # {locale: {(facet, key): label}}: the labels are fixed per locale, translating costs


def facets_payload(facets, query=None, english=None):
    """Return facets as {name: [{key, label, count}]}, labels in the current locale.

    The district facet is given once a city is chosen: over the whole region it would list 305 districts.
    """
    english = is_english() if english is None else english
    labels = _FACET_LABELS.setdefault("en" if english else "zh_CN", {})
    shown = {name: values for name, values in facets.items()
             if name != "district" or query is None or query.city or query.district}
    payload = {}
    for name, values in shown.items():
        rows = payload[name] = []
        for key, count in values:
            label = labels.get((name, key))
            if label is None:
                label = labels[(name, key)] = _facet_label(name, key, english)
            rows.append({"key": key, "label": label, "count": count})
    return payload


def search_payload(result, query):
    """Return the public search response: total, page, items, facets."""
    english, now = is_english(), time.utcnow()
    return {
        "total": result.total,
        "unpriced_excluded": result.unpriced_excluded,  # homes without fees a price filter or sort left out
        "page": query.page,
        "per_page": query.per_page,
        "pages": max(1, -(-result.total // query.per_page)),
        "next_cursor": next_cursor(result, query),  # the next page without counting the ones before it
        "items": [search_item(hit, query, english, now) for hit in result.hits],
        "facets": facets_payload(result.facets, query, english),
        "understanding": understanding_payload(result),
    }


def _suggestion_label(name):
    """A suggested place in the current locale (宿州市 -> Suzhou (Anhui) in English); other names as they are."""
    regions = [r for r in gazetteer().find(name) if r.name == name]
    return region_label(regions[0].code, regions[0].level) if regions else name


def understanding_payload(result):
    """Return what search made of the typed words: recognised, dropped, suggested, and the notice to show."""
    notices = []
    if result.dropped and result.total:
        notices.append(_("No match for '%(words)s'; showing results for the rest of your search.",
                         words=" ".join(result.dropped)))
    elif result.dropped:
        notices.append(_("Nothing matches '%(words)s'.", words=" ".join(result.dropped)))
    if result.suggestions:
        names = [_suggestion_label(name) for name in result.suggestions]
        notices.append(_("Did you mean: %(names)s", names=_(", ").join(names)))
    return {"recognised": list(result.recognised), "dropped": list(result.dropped),
            "suggestions": list(result.suggestions), "notice": " ".join(notices) or None}


def _fee_row(home, level, fees):
    monthly = {k: fees[k].amount_fen if k in fees else None for k in vocab.MONTHLY_FEE_KINDS}
    items = [fees[k] for k in vocab.FEE_KINDS if k in fees]
    deposit = fees["deposit"].amount_fen if "deposit" in fees else None
    return {
        "care_level": level,
        "care_level_label": vocab.label(vocab.CARE_LEVEL_LABELS, level),
        "national_levels": list(vocab.CARE_LEVEL_NATIONAL[level]),
        "national_level_labels": [str(vocab.NATIONAL_LEVEL_LABELS[n]) for n in vocab.CARE_LEVEL_NATIONAL[level]],
        "bed_fen": monthly["bed"], "care_fen": monthly["care"], "meals_fen": monthly["meals"],
        "monthly_fen": pricing.monthly_price(fees),  # = home.monthly_price_for(level), without re-sorting fees
        "deposit_fen": deposit,
        "deposit_over_limit": bool(deposit and monthly["bed"] and deposit > 12 * monthly["bed"]),
        "extras": [{"kind": k, "label": vocab.label(vocab.FEE_KIND_LABELS, k), "amount_fen": fen}
                   for k, fen in pricing.extras(fees).items()],
        "effective_from": max(i.effective_from for i in items).isoformat() if items else None,
        "sources": sorted({i.source for i in items}),
        "recorded_at": max(i.recorded_at for i in items).isoformat() if items else None,
    }


def fee_table(home, on=None):
    """Return the current fee table, one row per accepted care level, in care-level order."""
    current = home.current_fees(on)
    return [_fee_row(home, level, current[level]) for level in CARE_LEVELS if level in current]


def prepayment(home):
    """Return the home's prepayment requirement: months (None: not stated), and whether it is over the limit."""
    return {"months": home.prepayment_months, "limit_months": pricing.PREPAYMENT_MONTHS_LIMIT,
            "over_limit": pricing.prepayment_over_limit(home.prepayment_months)}


def upcoming_changes(home, on=None):
    """Return announced price changes (fee items taking effect later), soonest first."""
    rows = [{"care_level": i.care_level, "care_level_label": vocab.label(vocab.CARE_LEVEL_LABELS, i.care_level),
             "kind": i.kind, "kind_label": vocab.label(vocab.FEE_KIND_LABELS, i.kind),
             "amount_fen": i.amount_fen, "effective_from": i.effective_from.isoformat(), "source": i.source}
            for i in home.upcoming_fees(on)]
    return sorted(rows, key=lambda r: (r["effective_from"], CARE_LEVELS.index(r["care_level"]), r["kind"]))


def vacancy_rows(home):
    """Return free beds per care level with when they were confirmed and whether that is stale."""
    return [{"care_level": v.care_level, "care_level_label": vocab.label(vocab.CARE_LEVEL_LABELS, v.care_level),
             "beds_free": v.beds_free, "confirmed_at": v.confirmed_at.isoformat(), "source": v.source,
             "stale": is_stale(v.confirmed_at)}
            for v in sorted(home.vacancies, key=lambda v: CARE_LEVELS.index(v.care_level))]


def distance_from_city(home, city_code):
    """Return the straight-line km from a city's centre to HOME, or None without a city."""
    city = gazetteer().city(city_code) if city_code else None
    if city is None or home.lat is None or home.lon is None:
        return None
    return round(haversine_km(city.lat, city.lon, home.lat, home.lon), 1)


def home_detail(home, care_level=None, from_city=None):
    """Return everything the home page and GET /api/v1/homes/<id> show, with where each figure came from."""
    grade_expired = home.grade_expired()
    confirmed = home.vacancy_confirmed_at
    return {
        "id": home.id, "name": home.name, "name_en": home.name_en,
        "display_name": home_name(home.name, home.name_en),
        "licence_no": home.licence_no,
        "province_code": home.province_code, "city_code": home.city_code, "district_code": home.district_code,
        "province": region_label(home.province_code, "province"), "city": region_label(home.city_code),
        "district": region_label(home.district_code, "district"),
        "place": place_line(home.province_code, home.city_code, home.district_code),
        "address": home.address_en if is_english() and home.address_en else home.address,
        "lat": home.lat, "lon": home.lon, "location_approximate": home.location_approximate,
        "location_precision": home.location_precision, "location_verified": home.location_verified,
        "former_district_name": home.former_district_name,
        "ownership": home.ownership,
        "ownership_label": vocab.label(vocab.OWNERSHIP_LABELS, home.ownership) if home.ownership else None,
        "grade": home.grade_in_force(), "grade_valid_until": home.grade_valid_until.isoformat()
        if home.grade_valid_until else None, "grade_expired": grade_expired,
        "last_grade": home.grade if grade_expired else None, "grade_source": home.grade_source,
        "beds_total": home.beds_total, "beds_free": home.beds_free,
        "vacancy_confirmed_at": confirmed.isoformat() if confirmed else None,
        "vacancy_stale": is_stale(confirmed),
        "fees": fee_table(home), "upcoming_fee_changes": upcoming_changes(home), "prepayment": prepayment(home),
        "monthly_price_fen": home.monthly_price_for(care_level) if care_level else
        min(home.monthly_prices().values(), default=None),
        "care_level": care_level,
        "vacancies": vacancy_rows(home),
        "features": [{"code": f, "label": vocab.label(vocab.FEATURE_LABELS, f), "present": getattr(home, f)}
                     for f in FEATURES],
        "services": [{"code": s, "label": vocab.label(vocab.SERVICE_LABELS, s)} for s in home.services or []],
        "included": [{"code": s, "label": vocab.label(vocab.INCLUDED_LABELS, s)} for s in home.included or []],
        "contact": {"phone": home.phone, "website": home.website, "visiting_hours": home.visiting_hours},
        "description": home.description_en if is_english() and home.description_en else home.description,
        "rating": home.review_score, "review_count": home.review_count,
        "quality_stars": home.quality_stars, "quality_warning": bool(home.quality_warning),
        "distance_km": distance_from_city(home, from_city),
        "source": home.source, "updated_at": home.updated_at.isoformat() if home.updated_at else None,
        "is_demo": home.is_demo,
    }


PRICE_ROWS = ("monthly_price_fen", "deposit_fen")  # compared only for one chosen care level
COMPARE_ROWS = ("monthly_price_fen", "deposit_fen", "quality_stars", "grade", "beds_free", "distance_km", "rating",
                "ownership", *FEATURES)


def _compare_column(home, care_level, from_city):
    level = care_level or min(home.monthly_prices(), key=home.monthly_prices().get, default=None)
    fees = home.current_fees().get(level, {}) if level else {}
    vacancy = home.vacancy_for(level) if level else None
    column = {
        "id": home.id, "name": home_name(home.name, home.name_en), "city": region_label(home.city_code),
        "district": region_label(home.district_code, "district"), "care_level": level,
        "accepts_care_level": level in home.monthly_prices() if level else False,
        "monthly_price_fen": home.monthly_price_for(level) if level else None,
        "deposit_fen": fees["deposit"].amount_fen if "deposit" in fees else None,
        "grade": home.grade_in_force(), "grade_expired": home.grade_expired(),
        "last_grade": home.grade if home.grade_expired() else None,
        "beds_free": vacancy.beds_free if vacancy else None,
        "vacancy_stale": is_stale(vacancy.confirmed_at if vacancy else None),
        "distance_km": distance_from_city(home, from_city), "rating": home.review_score,
        "quality_stars": home.quality_stars, "quality_warning": bool(home.quality_warning),
        "ownership": home.ownership, "is_demo": home.is_demo, "lat": home.lat, "lon": home.lon,
    }
    column.update({f: getattr(home, f) for f in FEATURES})
    return column


def compare_payload(homes, care_level=None, from_city=None):
    """Return the side-by-side comparison: one column per home and the rows whose values differ."""
    columns = [_compare_column(home, care_level, from_city) for home in homes]
    differing = [row for row in COMPARE_ROWS if len({repr(c[row]) for c in columns}) > 1]
    return {"care_level": care_level, "from_city": from_city, "homes": columns, "differing_rows": differing}
