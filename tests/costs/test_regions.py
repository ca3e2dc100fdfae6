"""Compare regions: the per-city figures equal direct aggregates over the same homes."""

import statistics
from datetime import timedelta

import sqlalchemy as sa

from core import time
from core.extensions import db
from costs import regions
from costs.location import place_region
from marketplace.models import FeeItem, Home
from tests.factories import make_home


def _rated(score):
    """A review score and, when the quality rating exists, stars (the rating compare-regions uses)."""
    fields = {"review_score": score}
    if regions.rating_column()[1] == "quality_stars":
        fields["quality_stars"] = None if score is None else int(score)
    return fields


def _world():
    """Homes in Shanghai, Suzhou, Jiaxing and Hefei with prices, free beds and review scores for dementia."""
    make_home("310104", fees={"dementia": (3000, 4000, 900)}, **_rated(4.5))
    make_home("310105", fees={"dementia": (2500, 3000, 800)}, **_rated(3.9))
    make_home("310106", fees={"dementia": (4000, 5000, 1000)}, **_rated(None))
    make_home("310107", fees={"dementia": (2000, 2000, 500)}, free={"dementia": 0}, **_rated(5.0))  # no bed
    make_home("320508", fees={"dementia": (2800, 3500, 900)}, **_rated(4.1))
    make_home("320506", fees={"dementia": (2600, 3300, 800)}, **_rated(3.0))
    make_home("330402", fees={"dementia": (2400, 3000, 800)}, **_rated(4.8))
    make_home("330402", fees={"full": (2400, 3000, 800)})  # does not take dementia
    make_home("340104", fees={"dementia": (1800, 2000, 600)}, **_rated(4.0))  # Hefei: far away
    changing = make_home("320508", fees={"dementia": (2000, 2500, 700)}, **_rated(4.4))
    db.session.add(FeeItem(home_id=changing.id, care_level="dementia", kind="bed", amount_fen=900000,
                           effective_from=time.today() + timedelta(days=10), source="announced"))
    no_bed = make_home("330402", fees={})
    db.session.add_all([FeeItem(home_id=no_bed.id, care_level="dementia", kind=k, amount_fen=100000,
                                effective_from=time.today() - timedelta(days=5), source="t")
                        for k in ("care", "meals")])
    db.session.commit()


def _expected(care_level, budget_fen, city_codes):
    """The figures the direct way: every home's price by the marketplace pricing rule, medians in Python."""
    figures = {}
    for home in db.session.scalars(sa.select(Home)):
        price, vacancy = home.monthly_price_for(care_level), home.vacancy_for(care_level)
        if home.city_code not in city_codes or price is None or not vacancy or vacancy.beds_free <= 0:
            continue
        if budget_fen is not None and price > budget_fen:
            continue
        rating = getattr(home, regions.rating_column()[1])
        figures.setdefault(home.city_code, []).append((price, vacancy.beds_free, rating))
    return {city: {"homes": len(rows), "free_beds": sum(r[1] for r in rows),
                   "median_price_fen": round(statistics.median(r[0] for r in rows)),
                   "median_rating": round(statistics.median([r[2] for r in rows if r[2] is not None]), 2)
                   if any(r[2] is not None for r in rows) else None}
            for city, rows in figures.items()}


def test_city_figures_equal_the_direct_aggregates(app):
    _world()
    cities = ["310000", "320500", "330400", "340100"]
    for budget in (None, 800000, 700000, 0):
        assert regions.city_figures("dementia", budget, cities) == _expected("dementia", budget, cities)


def test_worked_figures_for_shanghai(app):
    _world()
    # Shanghai dementia homes with free beds: 7900, 6300, 10000 yuan (the 4500 one has none free)
    # -> 3 homes, 15 free beds, median 7900 yuan; reviews 4.5 and 3.9 (one unrated) -> median 4.2;
    # quality stars 4 and 3 -> median 3.5
    shanghai = regions.city_figures("dementia", None, ["310000"])["310000"]
    median = 3.5 if regions.rating_column()[1] == "quality_stars" else 4.2
    assert shanghai == {"homes": 3, "free_beds": 15, "median_price_fen": 790000, "median_rating": median}
    # the scheduled Suzhou price change is not in effect yet: 5200 yuan counts today
    suzhou = regions.city_figures("dementia", 520000, ["320500"])["320500"]
    assert suzhou["homes"] == 1 and suzhou["median_price_fen"] == 520000


def test_postgresql_percentile_agrees(app):
    if db.engine.dialect.name != "postgresql":
        return
    _world()
    homes = regions.eligible_homes_query("dementia", None, ["310000", "320500", "330400"], time.today())
    direct = dict(db.session.execute(
        sa.select(homes.c.city_code, sa.func.percentile_cont(0.5).within_group(homes.c.monthly_fen))
        .group_by(homes.c.city_code)).all())
    ours = regions.city_figures("dementia", None, ["310000", "320500", "330400"])
    assert {c: round(v) for c, v in direct.items()} == {c: f["median_price_fen"] for c, f in ours.items()}


def test_compare_regions_lists_cities_within_the_hours_nearest_first(app):
    _world()
    result = regions.compare_regions(place_region("310000"), "dementia", None, max_hours=2)
    codes = [row["city_code"] for row in result["cities"]]
    assert codes[0] == "310000" and {"320500", "330400"} <= set(codes) and "340100" not in codes
    assert all(row["travel"]["minutes"] <= 120 for row in result["cities"])
    minutes = [row["travel"]["minutes"] for row in result["cities"]]
    assert minutes == sorted(minutes)
    assert result["rating_basis"] in ("review_score", "quality_stars")
    far = regions.compare_regions(place_region("310000"), "dementia", None, max_hours=6)
    assert "340100" in [row["city_code"] for row in far["cities"]]
