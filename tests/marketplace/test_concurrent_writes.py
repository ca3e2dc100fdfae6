"""Identical provider writes sent at the same moment all succeed with one row per natural key (no 500 from a
unique violation): four threads, ten rounds, on the suite's database (PostgreSQL with TEST_DATABASE_URL)."""

import os
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import time as clock
from core.extensions import db
from marketplace.models import FeeItem, Vacancy
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import make_home, make_verified_provider

THREADS, ROUNDS = 4, 10


def _race(app, requests):
    """Send REQUESTS (callables taking a test client) at once from one thread each; return their statuses."""
    barrier, statuses = threading.Barrier(len(requests)), []

    def send(request):
        with app.app_context():
            http = app.test_client()
            barrier.wait()
            statuses.append(request(http))
            db.session.remove()

    threads = [threading.Thread(target=send, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.fixture
def home_and_token(app, client):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id)
    api_client, secret = make_api_client(provider)
    return home.id, issue_token(client, api_client, secret)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="the race needs PostgreSQL (TEST_DATABASE_URL); SQLite serialises writers")
def test_identical_concurrent_fee_puts_all_succeed_with_one_row_per_key(app, home_and_token):
    home_id, token = home_and_token
    for round_ in range(ROUNDS):
        starts = (clock.today() + timedelta(days=30 + round_)).isoformat()
        body = {"items": [{"care_level": level, "kind": "bed", "amount_fen": 200000 + round_,
                           "effective_from": starts} for level in ("self_care", "partial", "full")]}
        statuses = _race(app, [lambda http, body=body: http.put(f"/api/v1/provider/homes/{home_id}/fees", json=body,
                                                               headers=bearer(token)).status_code] * THREADS)
        assert statuses == [200] * THREADS, f"round {round_}: {statuses}"
    db.session.expire_all()
    keys = db.session.execute(sa.select(FeeItem.care_level, FeeItem.effective_from, sa.func.count())
                              .where(FeeItem.home_id == home_id, FeeItem.effective_from > clock.today())
                              .group_by(FeeItem.care_level, FeeItem.effective_from)).all()
    assert len(keys) == 3 * ROUNDS and {count for *_key, count in keys} == {1}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="the race needs PostgreSQL (TEST_DATABASE_URL); SQLite serialises writers")
def test_identical_concurrent_vacancy_puts_for_a_new_level_all_succeed(app, home_and_token):
    home_id, token = home_and_token
    db.session.execute(sa.delete(Vacancy).where(Vacancy.home_id == home_id))
    db.session.commit()
    statuses = _race(app, [lambda http: http.put(f"/api/v1/provider/homes/{home_id}/vacancies",
                                                 json={"free_beds": {"dementia": 3}},
                                                 headers=bearer(token)).status_code] * THREADS)
    assert statuses == [200] * THREADS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vacancy)
                             .where(Vacancy.home_id == home_id)) == 1
