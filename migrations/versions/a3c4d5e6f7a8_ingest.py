"""ingest sources, files, runs, quarantine, field provenance

Revision ID: a3c4d5e6f7a8
Revises: f2b3c4d5e6f7
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a3c4d5e6f7a8'
down_revision = 'f2b3c4d5e6f7'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def _pk(table):
    return sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))


def _index(table, column):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade():
    op.create_table('ingest_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('ingest_files', 'uploaded_by_id', 'users'),
    _pk('ingest_files'),
    sa.UniqueConstraint('sha256', name=op.f('uq_ingest_files_sha256')),
    )

    op.create_table('ingest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('last_row', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('quarantined', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('started_at', UTC, nullable=False),
    sa.Column('heartbeat_at', UTC, nullable=False),
    sa.Column('finished_at', UTC, nullable=True),
    _fk('ingest_runs', 'file_id', 'ingest_files'),
    _fk('ingest_runs', 'started_by_id', 'users'),
    _pk('ingest_runs'),
    sa.UniqueConstraint('file_id', 'source', name=op.f('uq_ingest_runs_file_source')),
    )
    _index('ingest_runs', 'file_id')

    op.create_table('ingest_source_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('natural_key', sa.String(length=300), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    _fk('ingest_source_records', 'home_id', 'homes', 'CASCADE'),
    _fk('ingest_source_records', 'file_id', 'ingest_files'),
    _pk('ingest_source_records'),
    sa.UniqueConstraint('source', 'natural_key', name=op.f('uq_ingest_source_records_source_key')),
    )
    _index('ingest_source_records', 'home_id')

    op.create_table('ingest_field_provenance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('recorded_at', UTC, nullable=False),
    _fk('ingest_field_provenance', 'home_id', 'homes', 'CASCADE'),
    _fk('ingest_field_provenance', 'file_id', 'ingest_files'),
    _pk('ingest_field_provenance'),
    sa.UniqueConstraint('home_id', 'field', name=op.f('uq_ingest_field_provenance_home_field')),
    )
    _index('ingest_field_provenance', 'home_id')

    op.create_table('ingest_quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('candidate_home_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('ingest_quarantine', 'run_id', 'ingest_runs'),
    _fk('ingest_quarantine', 'file_id', 'ingest_files'),
    _fk('ingest_quarantine', 'candidate_home_id', 'homes', 'SET NULL'),
    _fk('ingest_quarantine', 'home_id', 'homes', 'SET NULL'),
    _fk('ingest_quarantine', 'resolved_by_id', 'users'),
    _pk('ingest_quarantine'),
    sa.UniqueConstraint('file_id', 'source', 'row_number', name=op.f('uq_ingest_quarantine_row')),
    )
    _index('ingest_quarantine', 'run_id')
    _index('ingest_quarantine', 'status')

    op.create_table('ingest_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('current_value', sa.JSON(), nullable=True),
    sa.Column('incoming_value', sa.JSON(), nullable=True),
    sa.Column('edited_by', sa.String(length=20), nullable=False),
    sa.Column('edited_at', UTC, nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('ingest_conflicts', 'run_id', 'ingest_runs'),
    _fk('ingest_conflicts', 'home_id', 'homes', 'CASCADE'),
    _fk('ingest_conflicts', 'resolved_by_id', 'users'),
    _pk('ingest_conflicts'),
    sa.UniqueConstraint('run_id', 'home_id', 'field', name=op.f('uq_ingest_conflicts_run_home_field')),
    )
    _index('ingest_conflicts', 'run_id')
    _index('ingest_conflicts', 'home_id')
    _index('ingest_conflicts', 'status')

    op.create_table('ingest_geocode_cache',
    sa.Column('query', sa.String(length=400), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('query', name=op.f('pk_ingest_geocode_cache')),
    )


def downgrade():
    for table in ('ingest_geocode_cache', 'ingest_conflicts', 'ingest_quarantine', 'ingest_field_provenance',
                  'ingest_source_records', 'ingest_runs', 'ingest_files'):
        op.drop_table(table)
