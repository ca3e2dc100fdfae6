"""Open data: export -> parse -> the same figures as SQL, in CSV and JSON; the dictionary covers every column."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from core import time
from core.extensions import db
from marketplace.models import FeeItem, Home
from opendata.dictionary import DATASET_VERSION, FILES
from tests.factories import make_home


def _world():
    a = make_home("310104", fees={"dementia": (3000, 4000, 900), "full": (2200, 2800, 900)}, grade=4, ltci=True,
                  review_score=4.3, review_count=7)
    make_home("330402", fees={"self_care": (1800, 300, 700)}, free={"self_care": 0}, ownership="public")
    db.session.add(FeeItem(home_id=a.id, care_level="full", kind="bed", amount_fen=250000,
                           effective_from=time.today() + timedelta(days=9), source="announced"))
    db.session.commit()
    return a


def _parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def _sql_prices():
    return {(h.id, level): price for h in db.session.scalars(sa.select(Home)) for level, price in
            h.monthly_prices().items()}


def test_homes_csv_round_trip_gives_the_sql_figures(client):
    _world()
    response = client.get("/open-data/v1/homes.csv")
    assert response.status_code == 200 and response.headers["X-Dataset-Version"] == DATASET_VERSION
    rows = _parse_csv(response.get_data(as_text=True))
    assert list(rows[0]) == [name for name, _t, _d in FILES["homes"]]
    parsed = {(int(r["id"]), level): int(r[f"price_{level}_fen"]) for r in rows
              for level in ("self_care", "partial", "full", "dementia") if r[f"price_{level}_fen"]}
    assert parsed == _sql_prices()
    by_id = {int(r["id"]): r for r in rows}
    for home in db.session.scalars(sa.select(Home)):
        row = by_id[home.id]
        assert int(row["beds_free"]) == home.beds_free and int(row["beds_total"]) == home.beds_total
        assert row["ltci"] == ("true" if home.ltci else "false")
        assert (float(row["lat"]), float(row["lon"])) == (home.lat, home.lon)
        assert row["review_score"] == ("" if home.review_score is None else str(home.review_score))


def test_homes_json_round_trip_and_announced_prices_are_not_today(client):
    a = _world()
    body = client.get("/open-data/v1/homes.json").get_json()
    assert body["version"] == DATASET_VERSION and body["file"] == "homes"
    row = next(r for r in body["rows"] if r["id"] == a.id)
    assert row["price_full_fen"] == 590000 and row["price_dementia_fen"] == 790000  # 2200 + 2800 + 900 today
    assert row["price_self_care_fen"] is None and row["grade"] == 4
    assert {(r["id"], lvl): r[f"price_{lvl}_fen"] for r in body["rows"] for lvl in ("self_care", "partial", "full",
            "dementia") if r[f"price_{lvl}_fen"] is not None} == _sql_prices()


def test_prices_files_hold_every_fee_item_with_history(client):
    _world()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(FeeItem))
    rows = _parse_csv(client.get("/open-data/v1/prices.csv").get_data(as_text=True))
    body = client.get("/open-data/v1/prices.json").get_json()
    assert len(rows) == len(body["rows"]) == count
    assert sum(int(r["amount_fen"]) for r in rows) == db.session.scalar(sa.select(sa.func.sum(FeeItem.amount_fen)))
    assert any(r["source"] == "announced" and r["effective_from"] > time.today().isoformat() for r in rows)


def test_dictionary_page_and_json_describe_every_column(client):
    html = client.get("/open-data/").get_data(as_text=True)
    spec = client.get("/open-data/v1/dictionary.json").get_json()
    for name, fields in FILES.items():
        assert [f["name"] for f in spec["files"][name]] == [n for n, _t, _d in fields]
        assert all(f"<code>{n}</code>" in html for n, _t, _d in fields)


def test_unknown_files_are_404(client):
    assert client.get("/open-data/v1/reviews.csv").status_code == 404
    assert client.get("/open-data/v1/homes.xml").status_code == 404
    assert client.get("/open-data/v2/homes.csv").status_code == 404
