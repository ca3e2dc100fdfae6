"""A database too busy to take a write answers 503 with Retry-After (never a 500); SQLite runs in WAL with a busy
timeout, and imports commit in short transactions so that other writers are not kept waiting."""

import os
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from app import create_app
from core.extensions import db
from marketplace.models import FeeItem
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import make_home, make_verified_provider
from tests.ingest.bigfile import write_shanghai

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
FEES = {"items": [{"care_level": "full", "kind": "bed", "amount_fen": 250000}]}


def _app(url, tmp_path, **config):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"),
                     INGEST_DIR=str(tmp_path / "ingest"), **config)
    with app.app_context():
        db.create_all()
        from geo.services import load_regions

        load_regions()
    return app


@pytest.fixture
def sqlite_file(tmp_path):
    return tmp_path / "busy.sqlite3"


@pytest.fixture
def file_app(sqlite_file, tmp_path):
    app = _app(f"sqlite:///{sqlite_file}", tmp_path, SQLITE_BUSY_TIMEOUT_MS=300)
    with app.app_context():
        yield app
        db.session.remove()


def _operator(http):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id)
    api_client, secret = make_api_client(provider)
    return home, issue_token(http, api_client, secret)


def _fee_rows(home_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(FeeItem).where(FeeItem.home_id == home_id))


def test_sqlite_connections_use_wal_and_the_configured_busy_timeout(file_app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 300


def test_a_write_that_cannot_take_the_sqlite_lock_answers_503_with_retry_after(file_app, sqlite_file):
    http = file_app.test_client()
    home, token = _operator(http)
    before = _fee_rows(home.id)
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write transaction
    try:
        response = http.put(f"/api/v1/provider/homes/{home.id}/fees", json=FEES, headers=bearer(token))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "1"
    error = response.get_json()["error"]
    assert error["code"] == "database_busy" and "locked" not in error["message"]
    assert _fee_rows(home.id) == before
    retried = http.put(f"/api/v1/provider/homes/{home.id}/fees", json=FEES, headers=bearer(token))
    assert retried.status_code == 200
    assert _fee_rows(home.id) == before + 1


def test_a_reader_does_not_keep_a_writer_waiting_in_wal(file_app, sqlite_file):
    http = file_app.test_client()
    home, token = _operator(http)
    reader = sqlite3.connect(sqlite_file, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM homes").fetchone()  # a long read, e.g. a CSV export
    try:
        response = http.put(f"/api/v1/provider/homes/{home.id}/fees", json=FEES, headers=bearer(token))
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert response.status_code == 200


def test_an_import_commits_in_short_batches_and_writers_get_through_meanwhile(sqlite_file, tmp_path):
    from ingest import services

    app = _app(f"sqlite:///{sqlite_file}", tmp_path, SQLITE_BUSY_TIMEOUT_MS=5000, INGEST_BATCH_SECONDS=0.05)
    path = tmp_path / "big.csv"
    write_shanghai(path, 600)
    with app.app_context():
        http = app.test_client()
        home, token = _operator(http)
        url = f"/api/v1/provider/homes/{home.id}/fees"  # the thread must not touch this session's objects
        batches, statuses = [], []

        def writer():
            with app.app_context():
                for i in range(30):
                    body = {"items": [{"care_level": "full", "kind": "bed", "amount_fen": 200000 + i}]}
                    statuses.append(http.put(url, json=body, headers=bearer(token)).status_code)

        thread = threading.Thread(target=writer)
        with open(path, "rb") as fh:
            thread.start()
            run, _created = services.import_file("shanghai", fh, path.name, on_progress=batches.append,
                                                 batch_size=500)
        thread.join(60)
        assert run.status == "done" and run.rows_done == 600
        db.session.remove()
    assert len(batches) > 2  # 600 rows, at most 500 a batch: more batches means the time limit cut them
    assert statuses == [200] * 30


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_write_waiting_past_the_postgresql_lock_timeout_answers_503(tmp_path):
    app = _app(TEST_DATABASE_URL, tmp_path,
               SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=300"}})
    with app.app_context():
        http = app.test_client()
        home, token = _operator(http)
        holder = sa.create_engine(TEST_DATABASE_URL).connect()
        try:
            holder.execute(sa.text("SELECT id FROM homes WHERE id = :id FOR UPDATE"), {"id": home.id})
            response = http.put(f"/api/v1/provider/homes/{home.id}/fees", json=FEES, headers=bearer(token))
        finally:
            holder.rollback()
            holder.close()
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "1"
        assert response.get_json()["error"]["code"] == "database_busy"
        db.session.remove()
        from tests.conftest import reset_schema

        reset_schema()
