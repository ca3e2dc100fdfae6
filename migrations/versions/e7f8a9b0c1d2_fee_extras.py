"""optional monthly extras and the prepayment requirement

Revision ID: e7f8a9b0c1d2
Revises: d6e7f8a9b0c1
Create Date: 2026-11-23 14:00:00.000000

Extras are fee items with new kinds (extra_*: no schema change); the home's prepayment requirement is a column.
"""
import sqlalchemy as sa
from alembic import op

import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)

# revision identifiers, used by Alembic.
revision = 'e7f8a9b0c1d2'
down_revision = 'd6e7f8a9b0c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prepayment_months', sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.drop_column('prepayment_months')
