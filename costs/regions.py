"""Compare regions: for a care level and budget, what the family gets in each city within N hours.

The figures per city (homes with free beds, free beds, median monthly price, median rating) are one SQL
query over fee items, vacancies and homes, so they follow the system of record; medians use window
functions that SQLite and PostgreSQL both run. Which cities are "within N hours" is the travel estimate.
"""

import sqlalchemy as sa

from core import time
from core.extensions import db
from costs.facts import current_facts
from costs.travel import travel
from geo.gazetteer import gazetteer
from marketplace.models import FeeItem, Home, Vacancy
from marketplace.vocab import MONTHLY_FEE_KINDS


def rating_column():
    """Return (column, name): Home.quality_stars when the quality rating exists, else the review score."""
    stars = getattr(Home, "quality_stars", None)
    return (stars, "quality_stars") if stars is not None else (Home.review_score, "review_score")


def _current_fees(care_level, on):
    """Select (home_id, kind, amount_fen) of the monthly fee items in effect ON a date for CARE_LEVEL."""
    later = sa.orm.aliased(FeeItem)
    newest = (sa.select(sa.func.max(later.effective_from))
              .where(later.home_id == FeeItem.home_id, later.care_level == FeeItem.care_level,
                     later.kind == FeeItem.kind, later.effective_from <= on).scalar_subquery())
    return (sa.select(FeeItem.home_id, FeeItem.kind, FeeItem.amount_fen)
            .where(FeeItem.care_level == care_level, FeeItem.kind.in_(MONTHLY_FEE_KINDS),
                   FeeItem.effective_from <= on, FeeItem.effective_from == newest).subquery())


def monthly_prices_query(care_level, on):
    """Select (home_id, monthly_fen): bed + care + meals, for homes with a bed fee (marketplace.pricing's rule)."""
    fees = _current_fees(care_level, on)
    has_bed = sa.func.sum(sa.case((fees.c.kind == "bed", 1), else_=0))
    return (sa.select(fees.c.home_id, sa.func.sum(fees.c.amount_fen).label("monthly_fen"))
            .group_by(fees.c.home_id).having(has_bed > 0).subquery())


def eligible_homes_query(care_level, budget_fen, city_codes, on):
    """Select the homes of CITY_CODES accepting CARE_LEVEL within BUDGET_FEN with free beds for it."""
    prices = monthly_prices_query(care_level, on)
    rating, _name = rating_column()
    query = (sa.select(Home.id, Home.city_code, prices.c.monthly_fen, Vacancy.beds_free,
                       rating.label("rating"))
             .join(prices, prices.c.home_id == Home.id)
             .join(Vacancy, sa.and_(Vacancy.home_id == Home.id, Vacancy.care_level == care_level))
             .where(Vacancy.beds_free > 0, Home.city_code.in_(city_codes)))
    if budget_fen is not None:
        query = query.where(prices.c.monthly_fen <= budget_fen)
    return query.subquery()


def _median(source, value):
    """Select (city_code, median of VALUE) over SOURCE's non-null values, by city."""
    ranked = (sa.select(source.c.city_code, value.label("v"),
                        sa.func.row_number().over(partition_by=source.c.city_code, order_by=value).label("rn"),
                        sa.func.count().over(partition_by=source.c.city_code).label("n"))
              .where(value.is_not(None)).subquery())
    middle = sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    return sa.select(ranked.c.city_code, sa.func.avg(ranked.c.v).label("median")).where(middle) \
        .group_by(ranked.c.city_code)


def city_figures(care_level, budget_fen, city_codes, on=None):
    """Return {city_code: {homes, free_beds, median_price_fen, median_rating}} computed in SQL."""
    on = on or time.today()
    homes = eligible_homes_query(care_level, budget_fen, city_codes, on)
    counts = db.session.execute(sa.select(homes.c.city_code, sa.func.count(), sa.func.sum(homes.c.beds_free))
                                .group_by(homes.c.city_code)).all()
    prices = dict(db.session.execute(_median(homes, homes.c.monthly_fen)).all())
    ratings = dict(db.session.execute(_median(homes, homes.c.rating)).all())
    return {city: {"homes": n, "free_beds": int(beds or 0),
                   "median_price_fen": int(round(float(prices[city]))) if prices.get(city) is not None else None,
                   "median_rating": round(float(ratings[city]), 2) if ratings.get(city) is not None else None}
            for city, n, beds in counts}


def cities_within(origin, max_hours):
    """Return [(city, travel)] for the cities whose centre is within MAX_HOURS of ORIGIN, nearest first."""
    reach, facts = [], current_facts()
    for city in gazetteer().cities:
        trip = travel(origin, city.lat, city.lon, city.code, facts)
        if trip["minutes"] <= max_hours * 60:
            reach.append((city, trip))
    return sorted(reach, key=lambda pair: (pair[1]["minutes"], pair[0].code))


def compare_regions(origin, care_level, budget_fen=None, max_hours=2, on=None):
    """Return one row per city within MAX_HOURS of ORIGIN with its figures for CARE_LEVEL and BUDGET_FEN."""
    reach = cities_within(origin, max_hours)
    figures = city_figures(care_level, budget_fen, [c.code for c, _t in reach], on)
    empty = {"homes": 0, "free_beds": 0, "median_price_fen": None, "median_rating": None}
    return {"origin": origin.code, "care_level": care_level, "budget_fen": budget_fen, "max_hours": max_hours,
            "rating_basis": rating_column()[1],
            "cities": [{"city_code": c.code, "province_code": c.province_code, "travel": trip,
                        **figures.get(c.code, empty)} for c, trip in reach]}
