"""hardening: import attempts (a run that dies twice at one place fails); outbox ids never reused (SQLite)

Revision ID: d401a7c3e9f1
Revises: b201c1a1d0e1
Create Date: 2026-12-06 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd401a7c3e9f1'
down_revision = 'b201c1a1d0e1'  # re-chained after the claim disputes at merge
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempt_row', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        # AUTOINCREMENT: SQLite would otherwise hand a drained row's id to the next row, and a drainer that
        # read the old row would delete the new one (a lost index update). PostgreSQL sequences never reuse ids.
        with op.batch_alter_table('search_outbox', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            pass


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('search_outbox', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': False}) as batch_op:
            pass
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.drop_column('attempt_row')
        batch_op.drop_column('attempts')
