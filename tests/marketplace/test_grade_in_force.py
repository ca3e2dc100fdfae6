"""Issue 13: the grade shown anywhere is the grade in force today; an expired grade counts as none.

Card, home page, compare row, API (`grade`, `grade_expired`, `last_grade`), min_grade, grade sort, facets, open
data, and the daily job that takes a lapsing grade out of search on the day it lapses.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from core import time
from core.extensions import db
from marketplace.models import grade_expired, grade_in_force
from search import outbox
from search.backend import current_backend
from search.query import SearchQuery
from tests.factories import make_home


def _index():
    outbox.drain(current_backend())


@pytest.fixture
def graded(app):
    """Two five-star homes in Suzhou: one whose certificate lapsed yesterday, one valid for a year."""
    today = time.today()
    lapsed = make_home("320508", name="过期等级养老院", name_en="Lapsed Grade Home", grade=5,
                       grade_valid_until=today - timedelta(days=1), grade_source="苏州市民政局 2021")
    valid = make_home("320508", name="有效等级养老院", name_en="Valid Grade Home", grade=5,
                      grade_valid_until=today + timedelta(days=365))
    _index()
    return lapsed, valid


def test_grade_in_force_rules():
    day = date(2026, 12, 6)
    assert grade_in_force(4, day, on=day) == 4  # the last valid day still counts
    assert grade_in_force(4, day - timedelta(days=1), on=day) is None
    assert grade_in_force(4, None, on=day) == 4  # no end date given: in force
    assert grade_in_force(None, None, on=day) is None
    assert grade_expired(4, day - timedelta(days=1), on=day) and not grade_expired(4, day, on=day)
    assert not grade_expired(None, day - timedelta(days=1), on=day)


def test_api_search_gives_null_grade_and_the_last_one(client, graded):
    lapsed, valid = graded
    items = {i["id"]: i for i in client.get("/api/v1/homes?city=320500").get_json()["items"]}
    assert items[lapsed.id]["grade"] is None
    assert items[lapsed.id]["grade_expired"] is True and items[lapsed.id]["last_grade"] == 5
    assert items[valid.id]["grade"] == 5 and items[valid.id]["grade_expired"] is False
    assert items[valid.id]["last_grade"] is None


def test_min_grade_sort_and_facets_see_only_the_grade_in_force(client, graded):
    lapsed, valid = graded
    body = client.get("/api/v1/homes?city=320500&min_grade=5").get_json()
    assert [i["id"] for i in body["items"]] == [valid.id]
    ranked = client.get("/api/v1/homes?city=320500&sort=grade").get_json()["items"]
    assert [i["id"] for i in ranked] == [valid.id, lapsed.id]
    facet = {v["key"]: v["count"] for v in client.get("/api/v1/homes?city=320500").get_json()["facets"]["grade"]}
    assert facet["5"] == 1


def test_api_home_and_compare_give_null_grade(client, graded):
    lapsed, valid = graded
    detail = client.get(f"/api/v1/homes/{lapsed.id}").get_json()
    assert (detail["grade"], detail["grade_expired"], detail["last_grade"]) == (None, True, 5)
    columns = client.get(f"/api/v1/compare?ids={lapsed.id},{valid.id}").get_json()["homes"]
    assert [(c["grade"], c["grade_expired"], c["last_grade"]) for c in columns] == [(None, True, 5), (5, False, None)]


def test_card_page_and_compare_row_say_the_grade_expired(client, graded):
    lapsed, valid = graded
    search = client.get("/?city=320500&lang=en").get_data(as_text=True)
    card = search.split(f'data-home-id="{lapsed.id}"')[1].split("</li>")[0]
    assert "Grade expired (was 5 stars)" in card and "★★★★★" not in card.split("Quality rating")[0]
    assert 'aria-label="5 of 5 stars"' not in card
    page = client.get(f"/homes/{lapsed.id}?lang=en").get_data(as_text=True)
    assert "Grade expired (was 5 stars)" in page and 'aria-label="5 of 5 stars"' not in page
    compare = client.get(f"/compare?ids={lapsed.id},{valid.id}&lang=en").get_data(as_text=True)
    row = compare.split('data-row="grade"')[1].split("</tr>")[0]
    cells = row.split("<td>")[1:]
    assert "Grade expired (was 5 stars)" in cells[0] and 'aria-label="5 of 5 stars"' in cells[1]
    zh = client.get(f"/homes/{lapsed.id}").get_data(as_text=True)
    assert "等级已过期（原为5星）" in zh


def test_open_data_exports_the_grade_in_force(client, graded):
    lapsed, valid = graded
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(client.get("/open-data/v1/homes.csv")
                                                                .get_data(as_text=True)))}
    assert rows[lapsed.id]["grade"] == "" and rows[valid.id]["grade"] == "5"
    assert rows[lapsed.id]["grade_valid_until"] == (time.today() - timedelta(days=1)).isoformat()


def test_a_grade_leaves_search_on_the_day_after_its_last_valid_day(app, runner):
    today = time.today()
    home = make_home("320508", name="今日到期养老院", grade=4, grade_valid_until=today)
    _index()
    query = SearchQuery(text="今日到期", min_grade=4)
    assert [h.id for h in current_backend().search(query).hits] == [home.id]
    assert outbox.queue_due() == 0  # still in force today
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time()).replace(hour=9)
    with time.frozen(tomorrow):
        result = runner.invoke(args=["search", "requeue-due"])
        assert result.exit_code == 0 and "queued 1 homes whose documents changed with the date" in result.output
        _index()
        assert current_backend().search(query).hits == []
        hit = current_backend().search(SearchQuery(text="今日到期")).hits[0]
        assert hit.doc["grade"] is None and hit.doc["last_grade"] == 4
    db.session.rollback()
