"""inspections, sanctions, grade certificates, staffing, quality ratings (owned by the quality work; fill in upgrade/downgrade by hand, matching the models)

Revision ID: f2b3c4d5e6f7
Revises: c5e6f7a8b9c0
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f2b3c4d5e6f7'
down_revision = 'c5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
