"""The declarative Model base and column types shared by every package."""

import os
import weakref
from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from core import time

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite stores it naive, in UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use core.time.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow():
    """Return the current time, timezone-aware, in UTC (the one clock: core.time)."""
    return time.utcnow()


def sqlite_pragmas(busy_timeout_ms):
    """Return a connect listener that gives every SQLite connection WAL and a busy timeout.

    WAL: readers never block the writer nor the writer them, so only writers queue; the busy timeout is how
    long a writer waits for the lock before SQLite gives up ("database is locked", answered 503).
    """
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")  # a no-op for in-memory databases
        finally:
            cursor.close()
    return on_connect


_ENGINES = weakref.WeakSet()  # every engine of every app in this process


def _forget_inherited_connections():
    """In a forked child (gunicorn's preloaded workers, the index builders): never use the parent's pooled
    connections, which the parent may still use; the child opens its own (SQLAlchemy's "using pools with
    multiprocessing")."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_connections)


def configure_engines(app, db):
    """Apply the per-dialect connection settings to every engine of APP (SQLite: WAL and busy timeout)."""
    with app.app_context():
        for engine in db.engines.values():
            _ENGINES.add(engine)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
