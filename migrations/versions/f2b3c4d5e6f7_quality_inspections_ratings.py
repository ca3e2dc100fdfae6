"""inspections, sanctions, grade certificates, staffing, quality ratings

Revision ID: f2b3c4d5e6f7
Revises: c5e6f7a8b9c0
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f2b3c4d5e6f7'
down_revision = 'c5e6f7a8b9c0'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def _fk(table, column, target, ondelete):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def _pk(table):
    return sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))


def _index(table, column):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade():
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality_stars', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('quality_warning', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('quality_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('inspector', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('quality_inspections', 'home_id', 'homes', 'CASCADE'),
    _fk('quality_inspections', 'recorded_by_id', 'users', 'SET NULL'),
    _pk('quality_inspections'),
    )
    with op.batch_alter_table('quality_inspections', schema=None) as batch_op:
        batch_op.create_index('ix_quality_inspections_home_date', ['home_id', 'inspected_on'], unique=False)

    op.create_table('quality_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    _fk('quality_findings', 'inspection_id', 'quality_inspections', 'CASCADE'),
    _pk('quality_findings'),
    )
    _index('quality_findings', 'inspection_id')

    op.create_table('quality_sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('quality_sanctions', 'home_id', 'homes', 'CASCADE'),
    _fk('quality_sanctions', 'recorded_by_id', 'users', 'SET NULL'),
    _pk('quality_sanctions'),
    )
    _index('quality_sanctions', 'home_id')

    op.create_table('quality_grade_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('issuing_body', sa.String(length=200), nullable=False),
    sa.Column('certificate_no', sa.String(length=60), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_quality_grade_certificates_level_1_to_5')),
    _fk('quality_grade_certificates', 'home_id', 'homes', 'CASCADE'),
    _fk('quality_grade_certificates', 'recorded_by_id', 'users', 'SET NULL'),
    _pk('quality_grade_certificates'),
    )
    _index('quality_grade_certificates', 'home_id')

    op.create_table('quality_staffing_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('care_staff', sa.Integer(), nullable=False),
    sa.Column('nurses', sa.Integer(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('reported_at', UTC, nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', UTC, nullable=True),
    sa.CheckConstraint('residents > 0', name=op.f('ck_quality_staffing_reports_residents_positive')),
    sa.CheckConstraint('care_staff >= 0 AND nurses >= 0', name=op.f('ck_quality_staffing_reports_staff_not_negative')),
    _fk('quality_staffing_reports', 'home_id', 'homes', 'CASCADE'),
    _fk('quality_staffing_reports', 'reported_by_id', 'users', 'SET NULL'),
    _fk('quality_staffing_reports', 'checked_by_id', 'users', 'SET NULL'),
    _pk('quality_staffing_reports'),
    )
    _index('quality_staffing_reports', 'home_id')

    op.create_table('quality_provider_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    _fk('quality_provider_responses', 'home_id', 'homes', 'CASCADE'),
    _fk('quality_provider_responses', 'author_id', 'users', 'SET NULL'),
    _pk('quality_provider_responses'),
    )
    _index('quality_provider_responses', 'home_id')
    with op.batch_alter_table('quality_provider_responses', schema=None) as batch_op:
        batch_op.create_index('ix_quality_provider_responses_record', ['record_type', 'record_id'], unique=False)

    op.create_table('quality_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('rules_id', sa.String(length=20), nullable=False),
    sa.Column('overall', sa.SmallInteger(), nullable=True),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('warning', sa.Boolean(), nullable=False),
    sa.Column('sub_ratings', sa.JSON(), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.Column('computed_at', UTC, nullable=False),
    _fk('quality_ratings', 'home_id', 'homes', 'CASCADE'),
    _pk('quality_ratings'),
    sa.UniqueConstraint('home_id', name=op.f('uq_quality_ratings_home_id')),
    )


def downgrade():
    for table in ('quality_ratings', 'quality_provider_responses', 'quality_staffing_reports',
                  'quality_grade_certificates', 'quality_sanctions', 'quality_findings', 'quality_inspections'):
        op.drop_table(table)
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.drop_column('quality_warning')
        batch_op.drop_column('quality_stars')
