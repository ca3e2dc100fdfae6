"""The deterministic demo market: same arguments, same rows; a plausible, labelled, well-formed market."""

import hashlib
import importlib.util
import statistics
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from demo.market import TABLES, delete_demo, local_date, seed_demo
from geo.distance import haversine_km
from geo.gazetteer import gazetteer
from marketplace.models import FeeItem, Home, Provider, Vacancy
from tests.factories import make_home

NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
REFERENCE_DATE = local_date(NOW)
needs_embedded_search = pytest.mark.skipif(importlib.util.find_spec("search.embedded") is None,
                                           reason="search/embedded.py is not written yet")


def _digest():
    sha = hashlib.sha256()
    for name, table in TABLES.items():
        for row in db.session.execute(sa.select(table).order_by(table.c.id)):
            sha.update(f"{name}:{tuple(row)!r}\n".encode())
    return sha.hexdigest()


def _homes():
    stmt = sa.select(Home).options(selectinload(Home.fee_items), selectinload(Home.vacancies))
    return db.session.scalars(stmt).all()


@pytest.fixture
def market(app):
    """600 demo homes: enough for every city, small enough to stay fast."""
    return seed_demo(600, seed=11, now=NOW)


def test_same_seed_and_time_give_identical_rows(app):
    seed_demo(150, seed=5, now=NOW)
    first = _digest()
    delete_demo()
    seed_demo(150, seed=5, now=NOW)
    assert _digest() == first
    delete_demo()
    seed_demo(150, seed=6, now=NOW)
    assert _digest() != first


def test_counts_match_the_rows_written(market):
    for name, table in TABLES.items():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == market[name]
    assert market["homes"] == 600


def test_every_city_gets_homes(market):
    cities = set(db.session.scalars(sa.select(Home.city_code).distinct()))
    assert cities == {c.code for c in gazetteer().cities}
    by_city = dict(db.session.execute(sa.select(Home.city_code, sa.func.count()).group_by(Home.city_code)).all())
    assert by_city["310000"] == max(by_city.values())


def test_shanghai_median_full_care_price_is_highest_of_the_provinces(market):
    prices = {}
    for home in _homes():
        price = home.monthly_price_for("full", on=REFERENCE_DATE)
        if price is not None:
            prices.setdefault(home.province_code, []).append(price)
    medians = {code: statistics.median(values) for code, values in prices.items()}
    assert set(medians) == {"310000", "320000", "330000", "340000"}
    assert max(medians, key=medians.get) == "310000"
    assert medians["340000"] == min(medians.values())


def test_prices_are_whole_tens_of_yuan_and_rise_with_dependency(market):
    for home in _homes():
        prices = home.monthly_prices(on=REFERENCE_DATE)
        assert all(item.amount_fen % 1000 == 0 and item.amount_fen > 0 for item in home.fee_items)
        ordered = [prices[level] for level in ("self_care", "partial", "full", "dementia") if level in prices]
        assert ordered == sorted(ordered)


def test_deposits_never_exceed_twelve_months_of_bed_fee(market):
    for home in _homes():
        for level, fees in home.current_fees(on=REFERENCE_DATE).items():
            assert 0 < fees["deposit"].amount_fen <= 12 * fees["bed"].amount_fen, (home.id, level)


def test_dementia_care_only_where_there_is_a_dementia_unit(market):
    for home in _homes():
        assert ("dementia" in home.monthly_prices(on=REFERENCE_DATE)) == home.dementia_unit


def test_homes_lie_within_25_km_of_their_district_centre(market):
    gz = gazetteer()
    for home in db.session.scalars(sa.select(Home)):
        district = gz.district(home.district_code)
        assert district.city_code == home.city_code and district.province_code == home.province_code
        assert haversine_km(home.lat, home.lon, district.lat, district.lon) <= 25


def test_every_row_is_flagged_and_labelled_as_demo(market):
    homes = db.session.scalars(sa.select(Home)).all()
    assert all(h.is_demo and h.source == "demo:generator seed=11" for h in homes)
    assert all("示例数据" in h.description and "Demo data" in h.description_en for h in homes)
    assert all(p.is_demo and "示例" in p.name for p in db.session.scalars(sa.select(Provider)))
    assert all(h.licence_no.startswith("示例") for h in homes)


def test_names_licences_and_phones_are_well_formed(market):
    homes = db.session.scalars(sa.select(Home)).all()
    assert len({h.name for h in homes}) == len(homes)
    assert len({h.licence_no for h in homes}) == len(homes)
    assert all(h.name_en and h.address and h.address_en for h in homes)
    assert all(len(h.phone.replace("-", "")) == 11 and h.phone.startswith("0") for h in homes)
    assert all("福利院" not in h.name for h in homes if h.ownership != "public")


def test_shares_of_stale_vacancies_price_changes_and_chains_are_plausible(market):
    homes = _homes()
    stale = [h for h in homes if (NOW - h.vacancy_confirmed_at).days >= 14]
    changing = [h for h in homes if h.upcoming_fees(on=REFERENCE_DATE)]
    assert 0.08 <= len(stale) / len(homes) <= 0.23
    assert 0.01 <= len(changing) / len(homes) <= 0.10
    per_provider = db.session.execute(sa.select(Home.provider_id, sa.func.count()).group_by(Home.provider_id))
    sizes = [count for _id, count in per_provider]
    assert max(sizes) >= 5 and sizes.count(1) > 0


def test_rows_added_after_seeding_get_fresh_ids(market):
    home = make_home(name="真实的养老院")
    assert home.id == market["homes"] + 1
    assert db.session.get(Home, home.id).fee_items


def test_delete_demo_keeps_real_homes(app):
    real = make_home(name="真实的养老院")
    seed_demo(40, seed=2, now=NOW)
    deleted = delete_demo()
    assert deleted["homes"] == 40
    assert db.session.scalars(sa.select(Home.id)).all() == [real.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeeItem)) == len(real.fee_items)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vacancy)) == len(real.vacancies)


@needs_embedded_search
def test_seed_command_with_if_empty_does_nothing_the_second_time(runner):
    first = runner.invoke(args=["demo", "seed", "--homes", "60", "--seed", "3", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "seeded 60 homes" in first.output and "indexed 60 homes" in first.output
    digest = _digest()
    second = runner.invoke(args=["demo", "seed", "--homes", "60", "--seed", "4", "--if-empty"])
    assert second.exit_code == 0 and "nothing seeded" in second.output
    assert _digest() == digest


@needs_embedded_search
def test_seed_command_refuses_existing_homes_unless_replacing(runner):
    make_home(name="真实的养老院")
    refused = runner.invoke(args=["demo", "seed", "--homes", "30"])
    assert refused.exit_code != 0 and "--replace" in refused.output
    assert runner.invoke(args=["demo", "seed", "--homes", "30", "--replace"]).exit_code == 0
    replaced = runner.invoke(args=["demo", "seed", "--homes", "30", "--replace"])
    assert replaced.exit_code == 0 and "deleted 30 demo homes" in replaced.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == 31
