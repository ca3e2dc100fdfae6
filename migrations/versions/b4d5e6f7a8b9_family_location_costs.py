"""no schema change: the cost estimator and the family location need no tables (the location lives in the session)

Revision ID: b4d5e6f7a8b9
Revises: a3c4d5e6f7a8
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b4d5e6f7a8b9'
down_revision = 'a3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
