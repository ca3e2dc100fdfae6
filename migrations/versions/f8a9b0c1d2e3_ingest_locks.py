"""import run locks and quarantine resolution

Revision ID: f8a9b0c1d2e3
Revises: e7f8a9b0c1d2
Create Date: 2026-11-23 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f8a9b0c1d2e3'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None


UTC = core.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('ingest_locks',
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('acquired_at', UTC, nullable=False),
    sa.Column('heartbeat_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_runs.id'], name=op.f('fk_ingest_locks_run_id_ingest_runs')),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_ingest_locks')),
    )
    with op.batch_alter_table('ingest_quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('natural_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('resolved_run_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ingest_quarantine_resolved_run_id_ingest_runs'), 'ingest_runs',
                                    ['resolved_run_id'], ['id'])
        batch_op.create_index('ix_ingest_quarantine_source_key', ['source', 'natural_key'], unique=False)


def downgrade():
    with op.batch_alter_table('ingest_quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_ingest_quarantine_source_key')
        batch_op.drop_constraint(batch_op.f('fk_ingest_quarantine_resolved_run_id_ingest_runs'), type_='foreignkey')
        batch_op.drop_column('resolved_run_id')
        batch_op.drop_column('natural_key')
    op.drop_table('ingest_locks')
