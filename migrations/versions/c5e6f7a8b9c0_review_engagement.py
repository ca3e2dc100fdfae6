"""review replies, reports, helpful votes, verification codes

Revision ID: c5e6f7a8b9c0
Revises: e1a2b3c4d5e6
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c5e6f7a8b9c0'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)


def _fk(table, column, target, ondelete):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def upgrade():
    op.create_table('review_verification_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('home_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=4), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('revoked_at', UTC, nullable=True),
    sa.Column('used_at', UTC, nullable=True),
    sa.Column('used_by_review_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("relationship IN ('resident', 'family')",
                       name=op.f('ck_review_verification_codes_relationship_known')),
    _fk('review_verification_codes', 'home_id', 'homes', 'CASCADE'),
    _fk('review_verification_codes', 'issued_by_id', 'users', 'SET NULL'),
    _fk('review_verification_codes', 'used_by_review_id', 'reviews', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_verification_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_review_verification_codes_code_hash'))
    )
    with op.batch_alter_table('review_verification_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_verification_codes_home_id'), ['home_id'], unique=False)

    op.create_table('review_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('stated_relationship', sa.String(length=20), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("method IN ('code', 'regulator')", name=op.f('ck_review_verifications_method_known')),
    sa.CheckConstraint("relationship IN ('resident', 'family')",
                       name=op.f('ck_review_verifications_relationship_known')),
    _fk('review_verifications', 'review_id', 'reviews', 'CASCADE'),
    _fk('review_verifications', 'code_id', 'review_verification_codes', 'SET NULL'),
    _fk('review_verifications', 'verified_by_id', 'users', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_verifications')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_verifications_review_id'))
    )

    op.create_table('review_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("status IN ('pending', 'published', 'rejected')",
                       name=op.f('ck_review_replies_status_known')),
    _fk('review_replies', 'review_id', 'reviews', 'CASCADE'),
    _fk('review_replies', 'provider_id', 'providers', 'SET NULL'),
    _fk('review_replies', 'author_id', 'users', 'SET NULL'),
    _fk('review_replies', 'decided_by_id', 'users', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_replies')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_replies_review_id'))
    )
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.create_index('ix_review_replies_status_created', ['status', 'created_at'], unique=False)

    op.create_table('review_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reporter_role', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("reason IN ('false_information', 'personal_data', 'abusive_language', 'advertising', "
                       "'conflict_of_interest', 'not_first_hand', 'other')",
                       name=op.f('ck_review_reports_reason_known')),
    sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name=op.f('ck_review_reports_status_known')),
    _fk('review_reports', 'review_id', 'reviews', 'CASCADE'),
    _fk('review_reports', 'reporter_id', 'users', 'SET NULL'),
    _fk('review_reports', 'resolved_by_id', 'users', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reports')),
    sa.UniqueConstraint('review_id', 'reporter_id', name='uq_review_reports_review_reporter')
    )
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_reports_review_id'), ['review_id'], unique=False)
        batch_op.create_index('ix_review_reports_status_created', ['status', 'created_at'], unique=False)

    op.create_table('review_helpful_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    _fk('review_helpful_votes', 'review_id', 'reviews', 'CASCADE'),
    _fk('review_helpful_votes', 'user_id', 'users', 'CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_helpful_votes')),
    sa.UniqueConstraint('review_id', 'user_id', name='uq_review_helpful_votes_review_user')
    )
    with op.batch_alter_table('review_helpful_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_helpful_votes_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_helpful_votes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_helpful_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_helpful_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_review_helpful_votes_review_id'))
    op.drop_table('review_helpful_votes')
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_review_reports_status_created')
        batch_op.drop_index(batch_op.f('ix_review_reports_review_id'))
    op.drop_table('review_reports')
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_review_replies_status_created')
    op.drop_table('review_replies')
    op.drop_table('review_verifications')
    with op.batch_alter_table('review_verification_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_verification_codes_home_id'))
    op.drop_table('review_verification_codes')
