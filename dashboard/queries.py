"""The regulator dashboard's figures, per city of a jurisdiction: SQL aggregates through SQLAlchemy Core.

A scope is a jurisdiction code (a province or a city) or None for everywhere (admins). Every figure is an
aggregate the database computes, except the monthly price (the price rules live in marketplace/pricing.py and
are applied in Python to the fee-item rows) and medians, which are taken in Python over ordered values so
that SQLite and PostgreSQL give the same answers.
"""

import itertools
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core import time
from core.extensions import db
from core.vocab import CARE_LEVELS
from geo.gazetteer import gazetteer
from marketplace import pricing
from marketplace.models import FeeItem, Home, Vacancy
from reviews.models import Review

# The rating the distribution counts. Home.quality_stars (quality/rules.py, None: not enough data); to show
# the national grade instead, set RATING_COLUMN = Home.grade and RATING_KIND = "grade".
RATING_COLUMN = Home.quality_stars
RATING_KIND = "quality_stars"
RATING_VALUES = (5, 4, 3, 2, 1)
MODERATION_STATUS = "pending"  # reviews waiting for a moderator's decision


def scope_condition(scope):
    """Return the SQL condition on Home for SCOPE (a province or city code; None: everywhere)."""
    if scope is None:
        return sa.true()
    return sa.or_(Home.province_code == scope, Home.city_code == scope)


def cities_in_scope(scope):
    """Return the city codes of SCOPE from the gazetteer, in code order (every city when SCOPE is None)."""
    gz = gazetteer()
    if scope is None:
        return sorted(c.code for c in gz.cities)
    if gz.province(scope) is not None:
        return sorted(c.code for c in gz.cities_of(scope))
    return [scope] if gz.city(scope) is not None else []


def median_fen(values):
    """Return the median of integer fen VALUES, rounded half up to a whole fen; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid] + 1) // 2


def stale_cutoff(now=None):
    """Return the moment before which a vacancy confirmation is stale (VACANCY_STALE_DAYS, as search shows)."""
    now = now or time.utcnow()
    return now - timedelta(days=current_app.config["VACANCY_STALE_DAYS"])


def _offered(vac, on):
    """The condition that vacancy row VAC is of a level its home offers ON a date (marketplace/freshness.py):
    the level has a bed fee in effect (so a monthly price), or the home has no priced level at all."""
    fee = FeeItem.__table__.alias("offered_fee")
    priced = sa.and_(fee.c.home_id == vac.c.home_id, fee.c.kind == "bed", fee.c.effective_from <= on)
    return sa.or_(sa.exists().where(priced, fee.c.care_level == vac.c.care_level), ~sa.exists().where(priced))


def _free_beds_per_home(now=None):
    # one Vacancy row per home and care level (unique), always the latest confirmation of that level; the
    # home is as fresh as the oldest confirmation among the levels it offers
    vac = Vacancy.__table__.alias("vac")
    on = time.business_date(now or time.utcnow())
    oldest_offered = sa.func.min(sa.case((_offered(vac, on), vac.c.confirmed_at)))
    return (sa.select(vac.c.home_id, sa.func.sum(vac.c.beds_free).label("free"),
                      oldest_offered.label("confirmed_at"))
            .group_by(vac.c.home_id).subquery("vacancy_per_home"))


def capacity_by_city(scope):
    """Return {city_code: {homes, demo_homes, beds, free_beds}} of the homes in SCOPE."""
    vac = _free_beds_per_home()
    stmt = (sa.select(Home.city_code, sa.func.count(Home.id),
                      sa.func.sum(sa.case((Home.is_demo, 1), else_=0)),
                      sa.func.coalesce(sa.func.sum(Home.beds_total), 0),
                      sa.func.coalesce(sa.func.sum(vac.c.free), 0))
            .outerjoin(vac, vac.c.home_id == Home.id).where(scope_condition(scope)).group_by(Home.city_code))
    return {city: {"homes": int(n), "demo_homes": int(demo or 0), "beds": int(beds), "free_beds": int(free)}
            for city, n, demo, beds, free in db.session.execute(stmt)}


def _fee_rows(scope, on):
    return db.session.execute(
        sa.select(Home.city_code, FeeItem.home_id, FeeItem.care_level, FeeItem.kind, FeeItem.amount_fen,
                  FeeItem.effective_from)
        .join(Home, Home.id == FeeItem.home_id)
        .where(scope_condition(scope), FeeItem.kind.in_(pricing.MONTHLY_FEE_KINDS), FeeItem.effective_from <= on)
        .order_by(FeeItem.home_id, FeeItem.effective_from, FeeItem.id))


def monthly_prices_by_city(scope, on=None):
    """Return {city_code: {care_level: [monthly price in fen of each home]}} in effect ON (default: today here)."""
    on = on or time.today()
    prices = {}
    for (city, _home_id), rows in itertools.groupby(_fee_rows(scope, on), key=lambda r: (r.city_code, r.home_id)):
        for level, fen in pricing.monthly_prices(list(rows), on).items():
            prices.setdefault(city, {}).setdefault(level, []).append(fen)
    return prices


def price_medians(prices):
    """Return {city_code: {care_level: {"median_fen", "homes"}}} from monthly_prices_by_city's answer."""
    return {city: {level: {"median_fen": median_fen(values), "homes": len(values)}
                   for level, values in levels.items()} for city, levels in prices.items()}


def overall_price_medians(prices):
    """Return {care_level: {"median_fen", "homes"}} over every city of PRICES (not a median of medians)."""
    pooled = {level: [fen for levels in prices.values() for fen in levels.get(level, [])] for level in CARE_LEVELS}
    return {level: {"median_fen": median_fen(values), "homes": len(values)} for level, values in pooled.items()}


def rating_distribution(scope):
    """Return {city_code: {"by_rating": {stars or None: homes}, "warnings": n}} of the homes in SCOPE."""
    rows = db.session.execute(
        sa.select(Home.city_code, RATING_COLUMN, sa.func.count(Home.id),
                  sa.func.sum(sa.case((Home.quality_warning, 1), else_=0)))
        .where(scope_condition(scope)).group_by(Home.city_code, RATING_COLUMN))
    out = {}
    for city, rating, n, warnings in rows:
        entry = out.setdefault(city, {"by_rating": {}, "warnings": 0})
        entry["by_rating"][rating] = int(n)
        entry["warnings"] += int(warnings or 0)
    return out


def _stale_condition(vac, now):
    # a home that never confirmed free beds counts as stale, as the search pages show it
    return sa.or_(vac.c.confirmed_at.is_(None), vac.c.confirmed_at < stale_cutoff(now))


def stale_by_city(scope, now=None):
    """Return {city_code: {"stale": n, "oldest": oldest confirmation or None}} of stale listings in SCOPE."""
    vac = _free_beds_per_home(now)
    stmt = (sa.select(Home.city_code, sa.func.count(Home.id), sa.func.min(vac.c.confirmed_at))
            .outerjoin(vac, vac.c.home_id == Home.id)
            .where(scope_condition(scope), _stale_condition(vac, now)).group_by(Home.city_code))
    return {city: {"stale": int(n), "oldest": oldest} for city, n, oldest in db.session.execute(stmt)}


def stale_listings(scope, now=None, limit=None):
    """Return the stale listings in SCOPE, never-confirmed and oldest first, as Core rows."""
    vac = _free_beds_per_home(now)
    stmt = (sa.select(Home.id, Home.name, Home.name_en, Home.city_code, Home.district_code, Home.is_demo,
                      vac.c.confirmed_at)
            .outerjoin(vac, vac.c.home_id == Home.id)
            .where(scope_condition(scope), _stale_condition(vac, now))
            .order_by(vac.c.confirmed_at.is_not(None), vac.c.confirmed_at, Home.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


def moderation_backlog(scope):
    """Return {city_code: {"pending": n, "oldest": when the oldest pending review was sent}} in SCOPE."""
    stmt = (sa.select(Home.city_code, sa.func.count(Review.id), sa.func.min(Review.created_at))
            .join(Home, Home.id == Review.home_id)
            .where(scope_condition(scope), Review.status == MODERATION_STATUS).group_by(Home.city_code))
    return {city: {"pending": int(n), "oldest": oldest} for city, n, oldest in db.session.execute(stmt)}
