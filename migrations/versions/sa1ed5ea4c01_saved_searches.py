"""saved searches with alerts: a family's saved searches and the homes that match each one now

Revision ID: sa1ed5ea4c01
Revises: sh1a2b3c4d5e
Create Date: 2026-12-06 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401


revision = 'sa1ed5ea4c01'
down_revision = 'sh1a2b3c4d5e'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_searches_user_id'), ['user_id'], unique=False)
    op.create_table('saved_search_matches',
    sa.Column('saved_search_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('home_name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('matched_at', UTC, nullable=False),
    sa.Column('notified_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['saved_search_id'], ['saved_searches.id'], name=op.f('fk_saved_search_matches_saved_search_id_saved_searches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('saved_search_id', 'home_id', name=op.f('pk_saved_search_matches'))
    )
    with op.batch_alter_table('saved_search_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_search_matches_home_id'), ['home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_search_matches_notified_at'), ['notified_at'], unique=False)


def downgrade():
    with op.batch_alter_table('saved_search_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_search_matches_notified_at'))
        batch_op.drop_index(batch_op.f('ix_saved_search_matches_home_id'))
    op.drop_table('saved_search_matches')
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_searches_user_id'))
    op.drop_table('saved_searches')
