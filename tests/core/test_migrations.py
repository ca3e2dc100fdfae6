"""Every schema change is a migration: upgrading an empty database gives exactly the models' schema."""

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from core.extensions import db
from tests.conftest import reset_schema


def _flask_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_migrations_build_the_models_schema_and_downgrade_cleanly(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        reset_schema(create=False)
        _flask_db(app, "upgrade")  # `flask db upgrade`, as make run and the deploy run it
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], diff
        _flask_db(app, "downgrade", "base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_db_commands_load_flask_migrate_only_when_used(tmp_path):
    import sys

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    assert "migrate" not in app.extensions  # a web worker never sets it up (tests/core/test_worker_imports.py)
    with app.app_context():
        assert "upgrade" in app.test_cli_runner().invoke(args=["db", "--help"]).output
        _flask_db(app, "upgrade")
        assert db.session.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
    assert "flask_migrate" in sys.modules and app.extensions["migrate"].directory.endswith("migrations")
