"""The app per test, on SQLite (default) or PostgreSQL (TEST_DATABASE_URL); never a mocked session."""

import logging
import os
from datetime import datetime
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, request_started

from app import create_app
from core.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


_POSTGRES_SCHEMA_READY = False  # the models' tables exist and the last test emptied them


def reset_schema(create=True):
    """Empty the bound database (PostgreSQL: drop and recreate `public`), then create every table."""
    global _POSTGRES_SCHEMA_READY
    _POSTGRES_SCHEMA_READY = create and db.engine.dialect.name == "postgresql"
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    if create:
        db.create_all()


def _empty_postgres_tables():
    global _POSTGRES_SCHEMA_READY
    try:
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    except sa.exc.SQLAlchemyError:  # a test changed the schema: the next test rebuilds it
        db.session.rollback()
        _POSTGRES_SCHEMA_READY = False


def _check_postgres(url):
    try:
        sa.create_engine(url).connect().close()
    except Exception as exc:
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {exc}", returncode=3)


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs():
    """Compile the translation catalogs when missing or older than the .po (`make` does it too)."""
    for po in Path(__file__).resolve().parent.parent.glob("translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as src, open(mo, "wb") as dst:
                write_mo(dst, read_po(src))


def pytest_addoption(parser):
    parser.addoption("--wall-clock", metavar="ISO_INSTANT", default=os.environ.get("TEST_WALL_CLOCK"),
                     help="run as if the machine's clock read ISO_INSTANT when the run began (it keeps ticking): "
                          "a test that passes only at some hours of the day fails here")


@pytest.fixture(scope="session", autouse=True)
def _wall_clock(pytestconfig):
    """Move the process's wall clock (time.time, datetime.now; not the monotonic clock) to --wall-clock."""
    instant = pytestconfig.getoption("--wall-clock")
    if not instant:
        yield None
        return
    import time_machine  # a test dependency only this option needs

    with time_machine.travel(datetime.fromisoformat(instant), tick=True) as traveller:
        yield traveller


_RUN_LOG = {}


@pytest.fixture(scope="session", autouse=True)
def _run_log(tmp_path_factory):
    """Every record logged during the run, through the production formatter, into one file checked at the end."""
    from ops.logs import ContextFilter, _formatter

    path = tmp_path_factory.mktemp("run-log") / "run.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_formatter("json"))
    handler.addFilter(ContextFilter())
    logging.getLogger().addHandler(handler)
    _RUN_LOG["path"] = path
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when any log line of it carries a phone number, an ID number or an e-mail address."""
    from tests.ops.logcheck import personal_data_in_log

    leaks = personal_data_in_log(_RUN_LOG.get("path"))
    if leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"personal data in {len(leaks)} log line(s) of this run:", red=True)
            for kind, line in leaks[:20]:
                reporter.write_line(f"  {kind}: {line}")
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def _database_reachable():
    if TEST_DATABASE_URL:
        _check_postgres(TEST_DATABASE_URL)


def _fresh_request_state(sender, **extra):
    # The fixture keeps one app context pushed, so test-client requests share its `g`: clear what
    # extensions cache there per request (the locale, Flask-Login's user, Flask-WTF's token and verdict),
    # as a real server's fresh context per request would.
    from accounts.auth import forget_session_globals

    flask_babel.refresh()
    forget_session_globals()
    g.pop("csrf_valid", None)


@pytest.fixture
def app(tmp_path):
    """A fresh app with an empty schema, the regions loaded, and its own embedded index file."""
    app = create_app("testing", SEARCH_INDEX_PATH=str(tmp_path / "search-index.sqlite3"))
    request_started.connect(_fresh_request_state, app)
    with app.app_context():
        if not (_POSTGRES_SCHEMA_READY and db.engine.dialect.name == "postgresql"):
            reset_schema()  # PostgreSQL: once, then each test's teardown empties the tables (much faster)
        from geo.services import load_regions

        load_regions()
        yield app
        backend = app.extensions.get("search_backend")
        if getattr(backend, "breaker", None) is not None:  # a test's engine that is down: stop probing it
            backend.breaker.stop()
        db.session.remove()
        if TEST_DATABASE_URL:
            _empty_postgres_tables()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """Freeze the one clock (core.time): `clock(instant)` holds it there, `clock.advance(delta)` moves it on.

    A naive INSTANT is read as business time (Asia/Shanghai); the clock is released after the test.
    """
    from contextlib import ExitStack

    from core import time

    class _Clock:
        def __call__(self, instant):
            stack.enter_context(time.frozen(instant))
            return time.utcnow()

        advance = staticmethod(time.advance)
        today = staticmethod(time.today)
        utcnow = staticmethod(time.utcnow)

    with ExitStack() as stack:
        yield _Clock()
