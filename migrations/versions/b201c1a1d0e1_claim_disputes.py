"""claim disputes: the current operator is told of an approved claim and may dispute it before it takes effect

Revision ID: b201c1a1d0e1
Revises: 0c1d2e3f4a5b
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b201c1a1d0e1'
down_revision = '0c1d2e3f4a5b'
branch_labels = None
depends_on = None


UTC = core.db.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('home_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_provider_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transfer_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('transferred_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('disputed_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('disputed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dispute_note', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_home_claims_previous_provider_id'), ['previous_provider_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_home_claims_previous_provider_id_providers'), 'providers',
                                    ['previous_provider_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_home_claims_disputed_by_id_users'), 'users',
                                    ['disputed_by_id'], ['id'])
    # claims approved before disputes existed moved their home at once
    op.execute("UPDATE home_claims SET transferred_at = decided_at WHERE status = 'approved'")
    with op.batch_alter_table('home_claims', schema=None) as batch_op:
        batch_op.alter_column('dispute_note', server_default=None)


def downgrade():
    with op.batch_alter_table('home_claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_home_claims_disputed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_home_claims_previous_provider_id_providers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_home_claims_previous_provider_id'))
        batch_op.drop_column('dispute_note')
        batch_op.drop_column('disputed_by_id')
        batch_op.drop_column('disputed_at')
        batch_op.drop_column('transferred_at')
        batch_op.drop_column('transfer_due_on')
        batch_op.drop_column('previous_provider_id')
