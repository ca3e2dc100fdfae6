"""home claims without a filing number: the operator's unified social credit code and its documents

Revision ID: imp12a0c1a1m
Revises: sa1ed5ea4c01
Create Date: 2026-12-06 23:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'imp12a0c1a1m'
down_revision = 'sa1ed5ea4c01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('home_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_code', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('home_claims', schema=None) as batch_op:
        batch_op.drop_column('evidence')
        batch_op.drop_column('credit_code')
