"""review photos, one current review per author and home

Revision ID: d6e7f8a9b0c1
Revises: b4d5e6f7a8b9
Create Date: 2026-11-23 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'd6e7f8a9b0c1'
down_revision = 'b4d5e6f7a8b9'
branch_labels = None
depends_on = None

UTC = core.db.UTCDateTime(timezone=True)
CURRENT = sa.text('NOT superseded')

# Before the index can exist, a race that already left two current reviews of one author and home is settled
# as the service settles it: the newest one counts, the older ones are superseded.
SUPERSEDE_OLDER_DUPLICATES = """
UPDATE reviews SET superseded = :yes
WHERE NOT superseded AND author_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM reviews AS newer
    WHERE newer.author_id = reviews.author_id AND newer.home_id = reviews.home_id
      AND NOT newer.superseded AND newer.id > reviews.id)
"""


def upgrade():
    op.create_table('review_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=80), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_photos_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_photos')),
    sa.UniqueConstraint('filename', name=op.f('uq_review_photos_filename'))
    )
    with op.batch_alter_table('review_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_photos_review_id'), ['review_id'], unique=False)

    op.get_bind().execute(sa.text(SUPERSEDE_OLDER_DUPLICATES), {'yes': True})
    op.create_index('uq_reviews_current_author_home', 'reviews', ['author_id', 'home_id'], unique=True,
                    sqlite_where=CURRENT, postgresql_where=CURRENT)


def downgrade():
    op.drop_index('uq_reviews_current_author_home', table_name='reviews')
    with op.batch_alter_table('review_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_photos_review_id'))
    op.drop_table('review_photos')
