"""Only the most recent review of one person per home counts, also when two submissions race.

The partial unique index uq_reviews_current_author_home allows one current (not superseded) review per author
and home on SQLite and PostgreSQL; the submit service locks and supersedes the author's current review and
retries when a concurrent submission committed first. The concurrent tests run on PostgreSQL with two
threads, each with its own app context, session and connection.
"""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from core.extensions import db
from marketplace.models import Home
from reviews import services
from reviews.models import ModerationDecision, Review
from tests.reviews.conftest import review_values

LOCK_WAIT_POLLS = 1000


def _reviews_of(world):
    db.session.expire_all()
    return db.session.scalars(sa.select(Review).where(Review.author_id == world.family.id,
                                                      Review.home_id == world.home.id).order_by(Review.id)).all()


def _supersede_lines():
    return db.session.scalars(sa.select(ModerationDecision).where(ModerationDecision.action == "supersede")
                              .order_by(ModerationDecision.id)).all()


def test_the_database_refuses_a_second_current_review_of_one_author_and_home(world):
    first = world.submit()
    db.session.add(Review(home_id=world.home.id, author_id=world.family.id, relationship="family",
                          period_start=first.period_start, period_end=first.period_end, overall=3,
                          sub_scores=first.sub_scores, text="另一条当前评价，不应被允许。", status="pending"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_superseded_reviews_and_other_authors_do_not_collide_with_the_index(world):
    for _n in range(3):
        world.submit()
    world.submit(user=world.other_family)
    reviews = _reviews_of(world)
    assert len(reviews) == 3 and [r.superseded for r in reviews] == [True, True, False]


def _submit_in_thread(app, user_id, home_id, text, started, results):
    """Submit a review in a fresh app context (its own session and connection), recording the outcome."""
    with app.app_context():
        try:
            user, home = db.session.get(User, user_id), db.session.get(Home, home_id)
            started.wait()
            results[text] = services.submit_review(user, home, **review_values(text=text)).id
        except Exception as exc:  # reported by the test
            results[text] = exc
        finally:
            db.session.remove()


def _race(app, world, texts, before_start=None):
    started = threading.Barrier(len(texts))
    results = {}
    threads = [threading.Thread(target=_submit_in_thread,
                                args=(app, world.family.id, world.home.id, text, started, results))
               for text in texts]
    for thread in threads:
        thread.start()
    if before_start:
        before_start()
    for thread in threads:
        thread.join()
    return results


def _waiting_on_locks(conn):
    return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND datname = current_database()")).scalar_one()


TEXTS = ("第一份并发提交：护理员很耐心，饭菜可口。", "第二份并发提交：房间干净，活动丰富，值得推荐。")


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent sessions need PostgreSQL (SQLite serialises writers)")


def test_two_racing_submissions_leave_exactly_one_current_review(app, world, postgres):
    old = world.submit()
    old_id = old.id
    blocker = db.engine.connect()
    blocker.begin()
    # hold the lock on the current review, so that both submissions queue up behind it and then race
    blocker.execute(sa.text("SELECT id FROM reviews WHERE id = :id FOR UPDATE"), {"id": old_id})
    watcher = db.engine.connect()

    def release_when_both_wait():
        for _n in range(LOCK_WAIT_POLLS):
            if _waiting_on_locks(watcher) >= 2:
                break
            threading.Event().wait(0.01)
        blocker.rollback()

    try:
        results = _race(app, world, TEXTS, before_start=release_when_both_wait)
    finally:
        blocker.close()
        watcher.close()
    assert all(isinstance(v, int) for v in results.values()), results
    reviews = _reviews_of(world)
    assert len(reviews) == 3  # nothing accepted is lost
    current = [r for r in reviews if not r.superseded]
    assert len(current) == 1 and current[0].id != old_id
    # the first to commit superseded the old review; the second superseded the first
    lines = {line.review_id: line.statement for line in _supersede_lines()}
    loser = next(r.id for r in reviews if r.id not in (old_id, current[0].id))
    assert lines == {old_id: f"superseded by review {loser}", loser: f"superseded by review {current[0].id}"}


def test_two_first_reviews_racing_leave_exactly_one_current(app, world, postgres):
    for _round in range(5):
        results = _race(app, world, [f"{text}（第{_round}轮）" for text in TEXTS])
        assert all(isinstance(v, int) for v in results.values()), results
    reviews = _reviews_of(world)
    assert len(reviews) == 10 and sum(not r.superseded for r in reviews) == 1
