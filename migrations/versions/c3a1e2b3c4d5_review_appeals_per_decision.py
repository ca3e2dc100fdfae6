"""review appeals: one per decision (a later change opens a new appeal right), at most one open

Revision ID: c3a1e2b3c4d5
Revises: e501a2b3c4d5
Create Date: 2026-12-06 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1e2b3c4d5'
down_revision = 'e501a2b3c4d5'  # re-chained at merge: after the directories migration
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade():
    with op.batch_alter_table('review_appeals', schema=None) as batch_op:
        batch_op.drop_constraint('uq_review_appeals_review_id', type_='unique')
        batch_op.create_index('ix_review_appeals_review_id', ['review_id'], unique=False)
        batch_op.create_index('uq_review_appeals_open_review_id', ['review_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    # keeps the latest appeal of each review: the old schema held one
    op.execute("DELETE FROM review_appeals WHERE id NOT IN (SELECT max(id) FROM review_appeals GROUP BY review_id)")
    with op.batch_alter_table('review_appeals', schema=None) as batch_op:
        batch_op.drop_index('uq_review_appeals_open_review_id')
        batch_op.drop_index('ix_review_appeals_review_id')
        batch_op.create_unique_constraint('uq_review_appeals_review_id', ['review_id'])
