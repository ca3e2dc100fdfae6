"""A forked child never uses its parent's pooled database connections (gunicorn's preloaded workers fork from a
master that may have used the database; so do the index builders)."""

import os

import sqlalchemy as sa

from app import create_app
from core.extensions import db


def _pooled(engine):
    return engine.pool.checkedin()


def test_a_forked_child_starts_with_an_empty_pool_and_the_parent_keeps_its_own(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'fork.sqlite3'}"  # a file: a real pool
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        _fork_and_check()


def _fork_and_check():
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    assert _pooled(db.engine) >= 1  # the parent holds a pooled connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it inherited, then use the database through a connection of its own
        try:
            inherited = _pooled(db.engine)
            with db.engine.connect() as conn:
                answer = conn.execute(sa.text("SELECT 41 + 1")).scalar()
            os.write(write, f"{inherited} {answer}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "0 42"
    assert db.session.execute(sa.text("SELECT 1")).scalar() == 1  # the parent's connections still work
