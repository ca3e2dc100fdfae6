"""review replies, reports, helpful votes, verification codes (owned by the review-engagement work; fill in upgrade/downgrade by hand, matching the models)

Revision ID: c5e6f7a8b9c0
Revises: e1a2b3c4d5e6
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c5e6f7a8b9c0'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
