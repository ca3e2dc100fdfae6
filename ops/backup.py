"""Backups. SQL is the system of record and the search index is derived: a backup is the database alone, and a
restore is the database first, then a reindex. SQLite uses its online backup API (consistent while the app
runs); PostgreSQL uses pg_dump's custom format and pg_restore (docs/deploy.md)."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from core.extensions import db


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


def _sqlite_path(url):
    path = url.database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return path


def _libpq_url(url):
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_copy(source_path, target_path):
    """Copy one SQLite database into another through SQLite's online backup API (consistent while in use)."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def backup_database(dest):
    """Write a consistent copy of the database to DEST; return the kind of backup written."""
    url = db.engine.url
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(url), dest)
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", _libpq_url(url)])
        return "pg_dump"
    raise BackupError(f"no backup procedure for {url.get_backend_name()}")


def _database_is_empty():
    return not sa.inspect(db.engine).get_table_names()


def restore_database(source, force=False):
    """Restore the backup SOURCE into the configured database (empty unless FORCE); the caller reindexes."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if not force and not _database_is_empty():
        raise BackupError("the database is not empty: restore into an empty database, or pass --force")
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(source, _sqlite_path(url))
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
              f"--dbname={_libpq_url(url)}", str(source)])
        return "pg_restore"
    raise BackupError(f"no restore procedure for {url.get_backend_name()}")


def _run(argv):
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        # the first line of the tool's own words; the URL (with any password) is never echoed
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise BackupError(f"{argv[0]} failed: {first}")
