"""privacy: consents (the notice with its version; sensitive information) and the record of exports,
deletions, reveals and retention clean-ups

Revision ID: 0c1d2e3f4a5b
Revises: 0b1c2d3e4f5a
Create Date: 2026-12-06 21:45:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401


revision = '0c1d2e3f4a5b'
down_revision = '0b1c2d3e4f5a'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('privacy_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('granted_at', UTC, nullable=False),
    sa.Column('withdrawn_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consents'))
    )
    with op.batch_alter_table('privacy_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_consents_user_id'), ['user_id'], unique=False)
    op.create_table('privacy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests'))
    )
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_requests_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_requests_created_at'), ['created_at'], unique=False)
    # accounts made before the notice existed are asked to agree at their next visit (no consent row yet)
    # an erased inquiry (account deleted, retention period over) keeps no way of reaching the family
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inquiries_has_contact'), type_='check')
        batch_op.create_check_constraint(
            'has_contact', "contact_phone <> '' OR contact_email <> '' OR contact_name = ''")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_has_identifier'), type_='check')
        batch_op.create_check_constraint(
            'has_identifier', "email IS NOT NULL OR mobile IS NOT NULL OR oidc_subject IS NOT NULL OR NOT active")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_has_identifier'), type_='check')
        batch_op.create_check_constraint(
            'has_identifier', "email IS NOT NULL OR mobile IS NOT NULL OR oidc_subject IS NOT NULL")
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inquiries_has_contact'), type_='check')
        batch_op.create_check_constraint('has_contact', "contact_phone <> '' OR contact_email <> ''")
    with op.batch_alter_table('privacy_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_privacy_requests_subject_id'))
    op.drop_table('privacy_requests')
    with op.batch_alter_table('privacy_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_consents_user_id'))
    op.drop_table('privacy_consents')
