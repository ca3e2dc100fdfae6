"""A shortlisted home's change of price, free beds, grade or quality rating tells everyone who shortlisted it, once
per change, in the same transaction as the change, whoever wrote it (portal, provider API, quality records)."""

from datetime import timedelta

import sqlalchemy as sa

from core import time as clock
from core.extensions import db
from marketplace import services as market
from marketplace import shortlist
from notify.delivery import render
from notify.models import Notification
from quality import services as quality
from tests.factories import make_home, make_user, make_verified_provider


def _world():
    operator = make_verified_provider("康乐")
    home = make_home("320508", provider_id=operator.id, name="康乐护理院", fees={"full": (3000, 2000, 800)},
                     free={"full": 2})
    staff = make_user("provider", provider=operator)
    fans = [make_user("family", email=f"fan{i}@example.cn") for i in range(2)]
    bystander = make_user("family", email="other@example.cn")
    for fan in fans:
        shortlist.add_home(fan, home.id)
    return home, staff, fans, bystander


def _notes(user=None):
    stmt = sa.select(Notification).where(Notification.kind == "shortlist_home_changed").order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return db.session.scalars(stmt).all()


def test_freeing_a_bed_tells_each_shortlister_once_and_nobody_else(app):
    home, staff, fans, bystander = _world()
    market.confirm_vacancies(home, {"full": 3}, market.Actor(staff))
    assert [n.user_id for n in _notes()] == [fans[0].id, fans[1].id]
    assert _notes()[0].params == {"home": "康乐护理院", "changes": ["free_beds"]}
    assert _notes()[0].link == f"/homes/{home.id}"
    market.confirm_vacancies(home, {"full": 3}, market.Actor(staff))  # re-confirmed, unchanged: no news
    assert len(_notes()) == 2 and _notes(bystander) == []


def test_a_price_change_through_the_provider_api_service_is_news_and_said_in_each_language(app):
    home, staff, fans, _bystander = _world()
    market.set_fees(home, [{"care_level": "full", "kind": "bed", "amount_fen": 350000,
                            "effective_from": clock.today()}], market.Actor(staff, api_client_id=1, channel="api"))
    [note] = _notes(fans[0])
    assert note.params["changes"] == ["price"]
    with app.test_request_context("/"):
        assert render(note, "zh_CN") == ("您候选名单中的康乐护理院有变化",
                                         "您候选名单中的康乐护理院有变化：价格。请打开机构页面查看最新情况。")
        assert "the price" in render(note, "en")[1]


def test_the_same_change_back_and_forth_is_news_each_time(app):
    home, staff, fans, _bystander = _world()
    for beds in (3, 2, 3):
        market.confirm_vacancies(home, {"full": beds}, market.Actor(staff))
    assert len(_notes(fans[0])) == 3


def test_a_grade_and_a_quality_rating_recorded_by_a_regulator_are_news(app):
    home, _staff, fans, _bystander = _world()
    regulator = make_user("regulator", jurisdiction="320000")
    quality.record_grade(home, regulator, 5, "苏州市民政局", clock.today() - timedelta(days=3),
                         clock.today() + timedelta(days=700))
    changes = sorted(c for n in _notes(fans[0]) for c in n.params["changes"])
    assert "grade" in changes


def test_a_change_that_is_rolled_back_tells_nobody(app):
    home, staff, fans, _bystander = _world()
    home.vacancy_for("full").beds_free = 9
    db.session.flush()
    db.session.rollback()
    assert _notes() == []


def test_a_change_to_a_home_nobody_shortlisted_records_nothing(app):
    home, staff, fans, _bystander = _world()
    for fan in fans:
        shortlist.remove_home(fan, home.id)
    market.confirm_vacancies(home, {"full": 0}, market.Actor(staff))
    assert _notes() == []


def test_a_quality_rating_change_is_news(app):
    home, _staff, fans, _bystander = _world()
    home.quality_stars = 4
    db.session.commit()
    assert [n.params["changes"] for n in _notes(fans[0])] == [["quality_rating"]]


def test_one_write_is_one_notification_however_often_it_flushes(app):
    """A regulator's grade certificate changes the grade, then the recomputed quality rating, in flushes of their
    own; a provider's write may flush between its fee and its free beds: each is one message naming every change."""
    home, _staff, fans, _bystander = _world()
    regulator = make_user("regulator", jurisdiction="320000")
    quality.record_grade(home, regulator, 5, "苏州市民政局", clock.today() - timedelta(days=3),
                         clock.today() + timedelta(days=700))
    [note] = _notes(fans[0])
    assert "grade" in note.params["changes"]
    home.vacancy_for("full").beds_free = 7
    db.session.flush()  # the first half of one write reaches the database
    home.quality_stars = (home.quality_stars or 0) % 5 + 1
    db.session.commit()
    assert [n.params["changes"] for n in _notes(fans[0])[1:]] == [["free_beds", "quality_rating"]]
    assert len(_notes(fans[1])) == 2


def test_a_savepoint_rolled_back_inside_a_write_keeps_the_writes_news(app):
    """A savepoint that fails inside a write (two first views of a day racing) does not take the write's noted
    change with it; a whole rollback does."""
    home, _staff, fans, _bystander = _world()
    home.vacancy_for("full").beds_free = 5
    db.session.flush()
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert [n.params["changes"] for n in _notes(fans[0])] == [["free_beds"]]


def test_a_change_inside_a_rolled_back_savepoint_is_no_news(app):
    """What a savepoint changed and then rolled back never happened; the write's other changes are still news."""
    home, staff, fans, _bystander = _world()
    home.quality_stars = (home.quality_stars or 0) % 5 + 1
    savepoint = db.session.begin_nested()
    home.vacancy_for("full").beds_free = 5
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    assert [n.params["changes"] for n in _notes(fans[0])] == [["quality_rating"]]


def test_a_released_savepoint_is_part_of_the_write_around_it(app):
    """A savepoint released inside a write (a review's insert) records nothing of its own: one message at the
    commit names what changed inside it and around it."""
    home, staff, fans, _bystander = _world()
    with db.session.begin_nested():
        home.vacancy_for("full").beds_free = 5
    home.quality_stars = (home.quality_stars or 0) % 5 + 1
    db.session.commit()
    assert [n.params["changes"] for n in _notes(fans[0])] == [["free_beds", "quality_rating"]]
