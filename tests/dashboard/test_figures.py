"""Every dashboard figure equals a direct SQL aggregate or a value worked out by hand on a small dataset."""

import statistics
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.db import utcnow
from core.extensions import db
from dashboard import queries, tables
from marketplace.models import FeeItem
from marketplace.presenters import is_stale
from reviews.models import Review
from tests.factories import make_home

SUZHOU, NANJING, HANGZHOU = "320500", "320100", "330100"


def _review(home, status, days_ago):
    db.session.add(Review(home_id=home.id, relationship="family", period_start=date(2026, 1, 1),
                          period_end=date(2026, 3, 1), overall=4, text="评价", status=status,
                          created_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


@pytest.fixture
def homes(app):
    """Three Suzhou homes, two Nanjing homes (one demo), one Hangzhou home; fees in yuan (bed, care, meals)."""
    h = {
        "gusu": make_home("320508", beds_total=120, fees={"full": (2000, 2100, 900), "self_care": (1500, 300, 700)},
                          free={"full": 3, "self_care": 4}, quality_stars=4),
        "wuzhong": make_home("320506", beds_total=80, fees={"full": (2500, 2600, 900)}, free={"full": 0},
                             quality_stars=4, quality_warning=True, confirmed_days_ago=20),
        "xiangcheng": make_home("320507", beds_total=200, fees={"full": (3000, 3200, 900)}, free={"full": 7},
                                quality_stars=2),
        "xuanwu": make_home("320102", beds_total=60, fees={"full": (1800, 1400, 800)}, free={"full": 2},
                            is_demo=True),
        "qinhuai": make_home("320104", beds_total=90, fees={"full": (2000, 1601, 900)}, free={"full": 1},
                             quality_stars=5),
        "xihu": make_home("330106", beds_total=300, fees={"full": (4000, 4000, 1000)}, free={"full": 9},
                          quality_stars=3, confirmed_days_ago=40),
    }
    return h


def _sql(text, **params):
    return db.session.execute(sa.text(text), params).all()


def test_capacity_equals_sql_aggregates(homes):
    capacity = queries.capacity_by_city("320000")
    homes_beds = _sql("SELECT city_code, COUNT(*), SUM(beds_total) FROM homes WHERE province_code = '320000' "
                      "GROUP BY city_code")
    free = dict(_sql("SELECT h.city_code, SUM(v.beds_free) FROM vacancies v JOIN homes h ON h.id = v.home_id "
                     "WHERE h.province_code = '320000' GROUP BY h.city_code"))
    assert {c: (v["homes"], v["beds"], v["free_beds"]) for c, v in capacity.items()} == {
        c: (n, int(beds), int(free[c])) for c, n, beds in homes_beds}
    # and by hand
    assert capacity[SUZHOU] == {"homes": 3, "demo_homes": 0, "beds": 400, "free_beds": 14}
    assert capacity[NANJING] == {"homes": 2, "demo_homes": 1, "beds": 150, "free_beds": 3}
    assert HANGZHOU not in capacity


def test_price_medians_follow_the_price_rules(homes):
    # a later fee already in effect counts; one that starts next month does not
    today = time.today()
    db.session.add_all([
        FeeItem(home_id=homes["xiangcheng"].id, care_level="full", kind="bed", amount_fen=310000,
                effective_from=today - timedelta(days=5)),
        FeeItem(home_id=homes["gusu"].id, care_level="full", kind="bed", amount_fen=990000,
                effective_from=today + timedelta(days=30)),
    ])
    db.session.commit()
    medians = queries.price_medians(queries.monthly_prices_by_city("320000"))
    # Suzhou full: 5000, 6000, 7200 (3100 + 3200 + 900)  -> 6000; Nanjing full: 4000, 4501 -> 4250.50
    assert medians[SUZHOU]["full"] == {"median_fen": 600000, "homes": 3}
    assert medians[NANJING]["full"] == {"median_fen": 425050, "homes": 2}
    assert medians[SUZHOU]["self_care"] == {"median_fen": 250000, "homes": 1}
    assert "dementia" not in medians[SUZHOU]
    db.session.expire_all()
    orm = [homes[k].monthly_price_for("full") for k in ("gusu", "wuzhong", "xiangcheng")]
    assert medians[SUZHOU]["full"]["median_fen"] == statistics.median(orm)
    overall = queries.overall_price_medians(queries.monthly_prices_by_city("320000"))
    assert overall["full"] == {"median_fen": 500000, "homes": 5}  # 4000, 4501, 5000, 6000, 7200
    assert overall["dementia"] == {"median_fen": None, "homes": 0}


def test_median_rounds_half_a_fen_up():
    assert queries.median_fen([]) is None
    assert queries.median_fen([7]) == 7
    assert queries.median_fen([3, 1, 2]) == 2
    assert queries.median_fen([100, 101]) == 101
    assert queries.median_fen([100, 102, 1, 500]) == 101


def test_rating_distribution_equals_sql_group_by(homes):
    ratings = queries.rating_distribution("320000")
    rows = _sql("SELECT city_code, quality_stars, COUNT(*) FROM homes WHERE province_code = '320000' "
                "GROUP BY city_code, quality_stars")
    assert {(c, s): n for c, entry in ratings.items() for s, n in entry["by_rating"].items()} == {
        (c, s): n for c, s, n in rows}
    assert ratings[SUZHOU] == {"by_rating": {4: 2, 2: 1}, "warnings": 1}
    assert ratings[NANJING] == {"by_rating": {None: 1, 5: 1}, "warnings": 0}


def test_stale_listings_match_what_families_see(homes, app):
    bare = make_home("320508", fees={})  # never confirmed any free beds: stale
    mixed = make_home("320102", fees={"full": (2000, 2000, 900)})
    mixed.vacancies[0].confirmed_at = utcnow() - timedelta(days=15)
    db.session.commit()
    stale = queries.stale_by_city("320000")
    assert {c: v["stale"] for c, v in stale.items()} == {SUZHOU: 2, NANJING: 1}
    listed = {row.id for row in queries.stale_listings("320000")}
    db.session.expire_all()
    from marketplace.models import Home

    expected = {h.id for h in db.session.scalars(sa.select(Home).where(Home.province_code == "320000"))
                if is_stale(h.vacancy_confirmed_at)}
    assert listed == expected == {homes["wuzhong"].id, bare.id, mixed.id}
    assert queries.stale_listings("320000")[0].id == bare.id  # never confirmed comes first
    cutoff = utcnow() - timedelta(days=app.config["VACANCY_STALE_DAYS"])
    direct = _sql("SELECT COUNT(*) FROM homes h WHERE h.province_code = '320000' AND NOT EXISTS "
                  "(SELECT 1 FROM vacancies v WHERE v.home_id = h.id AND v.confirmed_at >= :cutoff "
                  "AND NOT EXISTS (SELECT 1 FROM vacancies w WHERE w.home_id = h.id AND w.confirmed_at < :cutoff))",
                  cutoff=cutoff.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else cutoff)
    assert direct[0][0] == sum(v["stale"] for v in stale.values())


def test_moderation_backlog_counts_pending_reviews_and_the_oldest_wait(homes):
    _review(homes["gusu"], "pending", 3)
    _review(homes["wuzhong"], "pending", 9)
    _review(homes["wuzhong"], "published", 30)
    _review(homes["qinhuai"], "appealed", 12)
    _review(homes["xihu"], "pending", 50)
    backlog = queries.moderation_backlog("320000")
    assert {c: v["pending"] for c, v in backlog.items()} == {SUZHOU: 2}
    rows = _sql("SELECT h.city_code, COUNT(*) FROM reviews r JOIN homes h ON h.id = r.home_id "
                "WHERE r.status = 'pending' AND h.province_code = '320000' GROUP BY h.city_code")
    assert dict(rows) == {SUZHOU: 2}
    table = tables.build_dashboard("320000").tables["backlog"]
    suzhou = next(r for r in table.rows if r["city_code"] == SUZHOU)
    assert suzhou["pending"] == 2 and suzhou["oldest_days"] == 9
    assert table.total["pending"] == 2 and table.total["oldest_days"] == 9


def test_totals_add_up_over_the_jurisdiction(homes):
    board = tables.build_dashboard("320000")
    total = board.tables["capacity"].total
    n, beds = _sql("SELECT COUNT(*), SUM(beds_total) FROM homes WHERE province_code = '320000'")[0]
    assert (total["homes"], total["beds"], total["free_beds"], total["demo_homes"]) == (n, int(beds), 17, 1)
    assert board.homes == 5 and board.demo_homes == 1
    assert board.tables["prices"].total["full_median"] == 500000
    assert board.tables["ratings"].total["r4"] == 2 and board.tables["ratings"].total["unrated"] == 1
    assert board.tables["stale"].total["stale"] == 1
    # every city of Jiangsu has a row, with zeros where there are no homes
    assert len(board.tables["capacity"].rows) == 13
    assert next(r for r in board.tables["capacity"].rows if r["city_code"] == "320200")["homes"] == 0


def test_a_city_regulator_sees_only_its_city(homes):
    board = tables.build_dashboard(SUZHOU)
    assert [r["city_code"] for r in board.tables["capacity"].rows] == [SUZHOU]
    assert board.tables["capacity"].total["homes"] == 3
    assert {r["home_id"] for r in board.tables["stale_homes"].rows} == {homes["wuzhong"].id}


def test_everywhere_covers_every_city_for_admins(homes):
    board = tables.build_dashboard(None)
    assert len(board.tables["capacity"].rows) == 41
    assert board.tables["capacity"].total["homes"] == 6
    assert {r["home_id"] for r in board.tables["stale_homes"].rows} == {homes["wuzhong"].id, homes["xihu"].id}
