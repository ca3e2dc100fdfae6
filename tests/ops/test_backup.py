"""Backup and restore: a backup restored into an empty database holds every home, review and audit-log row,
and the search index is rebuilt from it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def _flask(env, *args):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _env(tmp_path, db_url, index):
    env = {**os.environ, "DATABASE_URL": db_url, "SEARCH_INDEX_PATH": str(index), "APP_CONFIG": "development",
           "INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("TEST_DATABASE_URL", None)
    return env


_AUDIT = """
from app import create_app
from core.extensions import db
from reviews.models import Review
from reviews.services import record_audit
with create_app().app_context():
    for review in db.session.query(Review).order_by(Review.id).limit(5):
        record_audit(review, None, "screen", statement="backup test")
    db.session.commit()
"""


def _add_audit_rows(env):
    done = subprocess.run([sys.executable, "-c", _AUDIT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _counts(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("homes", "reviews", "review_audit_log")}


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the SQLite procedure; the PostgreSQL one is tested below")
def test_sqlite_backup_restores_into_an_empty_database_with_every_row(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = _env(tmp_path, source, tmp_path / "index-live.sqlite3")
    for args in (("db", "upgrade"), ("geo", "load-regions"),
                 ("demo", "seed", "--homes", "40", "--reviews", "200", "--seed", "3")):
        done = _flask(env, *args)
        assert done.returncode == 0, done.stderr
    _add_audit_rows(env)
    before = _counts(source)
    assert before["homes"] == 40 and before["reviews"] > 0 and before["review_audit_log"] > 0
    done = _flask(env, "ops", "backup", str(tmp_path / "backup.sqlite3"))
    assert done.returncode == 0, done.stderr

    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    restored_env = _env(tmp_path, target, tmp_path / "index-restored.sqlite3")
    done = _flask(restored_env, "ops", "restore", str(tmp_path / "backup.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert "indexed 40 homes" in done.stdout
    assert _counts(target) == before
    check = _flask(restored_env, "search", "check")
    assert check.returncode == 0 and "index matches SQL" in check.stdout


def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    live = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = _env(tmp_path, live, tmp_path / "index.sqlite3")
    assert _flask(env, "db", "upgrade").returncode == 0
    assert _flask(env, "ops", "backup", str(tmp_path / "b.sqlite3")).returncode == 0
    done = _flask(env, "ops", "restore", str(tmp_path / "b.sqlite3"))
    assert done.returncode != 0 and "not empty" in done.stderr


def _postgres_admin():
    url = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    try:
        engine = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        engine.connect().close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    return engine


def test_postgresql_backup_with_pg_dump_restores_into_an_empty_database(tmp_path):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    admin = _postgres_admin()
    names = [f"yrd_backup_src_{os.getpid()}", f"yrd_backup_dst_{os.getpid()}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        source, target = (str(admin.url.set(database=n).render_as_string(hide_password=False)) for n in names)
        env = _env(tmp_path, source, tmp_path / "i1.sqlite3")
        for args in (("db", "upgrade"), ("geo", "load-regions"),
                     ("demo", "seed", "--homes", "30", "--reviews", "150", "--seed", "4")):
            done = _flask(env, *args)
            assert done.returncode == 0, done.stderr
        _add_audit_rows(env)
        assert _counts(source)["review_audit_log"] == 5
        done = _flask(env, "ops", "backup", str(tmp_path / "pg.dump"))
        assert done.returncode == 0, done.stderr
        done = _flask(_env(tmp_path, target, tmp_path / "i2.sqlite3"), "ops", "restore", str(tmp_path / "pg.dump"))
        assert done.returncode == 0, done.stderr
        assert _counts(target) == _counts(source)
    finally:
        admin.dispose()
        with _postgres_admin().connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
