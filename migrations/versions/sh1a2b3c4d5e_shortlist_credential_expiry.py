"""shortlist on the account (a private note per home); API client secrets that expire

Revision ID: sh1a2b3c4d5e
Revises: prv1a2b3c4d5
Create Date: 2026-12-06 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401


revision = 'sh1a2b3c4d5e'
down_revision = 'prv1a2b3c4d5'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('shortlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('added_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['home_id'], ['homes.id'], name=op.f('fk_shortlist_entries_home_id_homes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shortlist_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_entries')),
    sa.UniqueConstraint('user_id', 'home_id', name=op.f('uq_shortlist_entries_user_id'))
    )
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_entries_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlist_entries_home_id'), ['home_id'], unique=False)
    # existing clients: no expiry was ever stated, so none is invented (NULL: the secret does not expire)
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_expires_at', UTC, nullable=True))


def downgrade():
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.drop_column('secret_expires_at')
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_home_id'))
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_user_id'))
    op.drop_table('shortlist_entries')
