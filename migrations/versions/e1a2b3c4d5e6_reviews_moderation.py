"""review moderation, replies, reports, audit log, verification codes

Revision ID: e1a2b3c4d5e6
Revises: d21d3906967c
Create Date: 2026-11-23 13:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5e6'
down_revision = 'd21d3906967c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('device_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('risk_score', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('decision_statement', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reviews_author_id_users'), 'users', ['author_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_reviews_author_home', ['author_id', 'home_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_source_ip'), ['source_ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_fingerprint'), ['fingerprint'], unique=False)
    # the server defaults only filled the existing rows; the models set these values from now on
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.alter_column('risk_score', server_default=None)
        batch_op.alter_column('superseded', server_default=None)

    op.create_table('review_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('risk', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_signals_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_signals'))
    )
    with op.batch_alter_table('review_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_signals_review_id'), ['review_id'], unique=False)

    op.create_table('review_audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_review_audit_log_actor_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_audit_log_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_audit_log'))
    )
    with op.batch_alter_table('review_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_audit_log_review_id'), ['review_id'], unique=False)

    op.create_table('review_appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('appealed_status', sa.String(length=20), nullable=False),
    sa.Column('appealed_decider_id', sa.Integer(), nullable=True),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appealed_decider_id'], ['users.id'],
                            name=op.f('fk_review_appeals_appealed_decider_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_appeals_author_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_review_appeals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_appeals_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_appeals')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_appeals_review_id'))
    )


def downgrade():
    op.drop_table('review_appeals')
    with op.batch_alter_table('review_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_audit_log_review_id'))
        batch_op.drop_index(batch_op.f('ix_review_audit_log_actor_id'))
    op.drop_table('review_audit_log')
    with op.batch_alter_table('review_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_signals_review_id'))
    op.drop_table('review_signals')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_reviews_device_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_source_ip'))
        batch_op.drop_index('ix_reviews_author_home')
        batch_op.drop_constraint(batch_op.f('fk_reviews_author_id_users'), type_='foreignkey')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decision_statement')
        batch_op.drop_column('reason_code')
        batch_op.drop_column('superseded')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('risk_score')
        batch_op.drop_column('device_id')
        batch_op.drop_column('source_ip')
        batch_op.drop_column('author_id')
