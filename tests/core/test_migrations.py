"""Every schema change is a migration: upgrading an empty database gives exactly the models' schema."""

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from core.extensions import db
from tests.conftest import reset_schema


def test_migrations_build_the_models_schema_and_downgrade_cleanly(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        reset_schema(create=False)
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], diff
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
