"""review moderation, replies, reports, audit log, verification codes (owned by the reviews work; fill in upgrade/downgrade by hand, matching the models)

Revision ID: e1a2b3c4d5e6
Revises: d21d3906967c
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5e6'
down_revision = 'd21d3906967c'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
