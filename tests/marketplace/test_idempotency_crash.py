"""Idempotency keys survive a crash: gunicorn's workers are killed (SIGKILL) in the middle of 40 concurrent fee
PUTs with Idempotency-Key; replaying every key then succeeds (replayed or applied now), never 409 in progress."""

import threading
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from accounts.oauth2_models import IdempotencyRecord
from app import create_app
from core import time as clock
from core.db import utcnow
from core.extensions import db
from marketplace.models import FeeItem
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import make_home, make_verified_provider
from tests.gunicorn_server import Gunicorn

REQUESTS = 40
KILLS = 3
PENDING_S = 2


def _body(i):
    starts = (clock.today() + timedelta(days=30 + i)).isoformat()
    return {"items": [{"care_level": "full", "kind": "bed", "amount_fen": 200000 + i, "effective_from": starts}]}


@pytest.fixture
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        db.create_all()
        from geo.services import load_regions

        load_regions()
        provider = make_verified_provider()
        home_id = make_home(provider_id=provider.id).id
        api_client, secret = make_api_client(provider)
        token = issue_token(app.test_client(), api_client, secret)
        db.session.remove()
    server = Gunicorn(tmp_path, url, IDEMPOTENCY_PENDING_S=str(PENDING_S), SEARCH_SYNC="worker")
    try:
        server.wait_ready()
        yield app, server, home_id, token
    finally:
        server.stop()


def _put(server, home_id, token, i, timeout=30):
    return requests.put(f"{server.url}/api/v1/provider/homes/{home_id}/fees", json=_body(i), timeout=timeout,
                        headers={**bearer(token), "Idempotency-Key": f"fees-{i}"})


def test_replaying_every_key_after_workers_were_killed_mid_request_never_answers_in_progress(served):
    app, server, home_id, token = served
    answered, lost = [], []
    first_answers = threading.Semaphore(0)

    def send(i):
        try:
            answered.append((i, _put(server, home_id, token, i).status_code))
            first_answers.release()
        except requests.RequestException:
            lost.append(i)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for _kill in range(KILLS):  # each time a few requests got through, while others are being applied
        for _ in range(3):
            first_answers.acquire(timeout=30)
        assert server.kill_workers() == 2
    for thread in threads:
        thread.join(60)
    assert lost, "the kill landed after every request had finished: nothing was tested"
    assert all(status in (200, 409) for _i, status in answered), answered

    time.sleep(PENDING_S + 0.5)  # a reservation cut between the write's and the response's commit lapses
    server.wait_ready()
    replays = {i: _put(server, home_id, token, i) for i in range(REQUESTS)}
    assert {i: r.status_code for i, r in replays.items() if r.status_code != 200} == {}
    with app.app_context():
        rows = db.session.execute(sa.select(FeeItem.effective_from, FeeItem.amount_fen)
                                  .where(FeeItem.home_id == home_id, FeeItem.effective_from > clock.today())).all()
        assert sorted(rows) == sorted((clock.today() + timedelta(days=30 + i), 200000 + i) for i in range(REQUESTS))
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord)
                                   .where(IdempotencyRecord.response_status == 200))
        assert stored == REQUESTS
        db.session.remove()


def test_an_in_progress_reservation_older_than_the_request_timeout_lapses(app, client):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id)
    api_client, secret = make_api_client(provider)
    token = issue_token(client, api_client, secret)
    app.config["IDEMPOTENCY_PENDING_S"] = 60
    headers = {**bearer(token), "Idempotency-Key": "orphan"}
    url = f"/api/v1/provider/homes/{home.id}/fees"
    first = client.put(url, headers=headers, json=_body(1))
    record = db.session.scalars(sa.select(IdempotencyRecord)).one()
    record.response_status, record.response_body = None, None  # as a worker killed between the two commits left it
    db.session.commit()
    busy = client.put(url, headers=headers, json=_body(1))
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "idempotency_key_in_progress"
    record.created_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    again = client.put(url, headers=headers, json=_body(1))
    assert again.status_code == 200 and again.get_json()["fees"] == first.get_json()["fees"]
