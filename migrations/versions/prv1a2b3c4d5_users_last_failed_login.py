"""users: when the last failed sign-in was, so the failure count can be kept only as long as login records are

Revision ID: prv1a2b3c4d5
Revises: c3b2f3a4b5c6
Create Date: 2026-12-06 23:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = 'prv1a2b3c4d5'
down_revision = 'c3b2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_login_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_failed_login_at')
