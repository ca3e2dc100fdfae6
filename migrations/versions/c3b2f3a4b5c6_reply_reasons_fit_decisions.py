"""review replies: a published reply carries the publish reason, a rejected one a rejection reason

Revision ID: c3b2f3a4b5c6
Revises: c3a1e2b3c4d5
Create Date: 2026-12-06 21:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3b2f3a4b5c6'
down_revision = 'c3a1e2b3c4d5'
branch_labels = None
depends_on = None

REJECT_REASONS = ("personal_data", "abusive_language", "advertising", "off_topic", "reveals_reviewer", "other")


def upgrade():
    # rows written before the check: a published reply always got the publish reason; make sure of it
    op.execute("UPDATE review_replies SET reason_code = 'meets_guidelines' WHERE status = 'published'")
    reject = ", ".join(f"'{r}'" for r in REJECT_REASONS)
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_review_replies_published_reason_fits'),
                                         "status != 'published' OR COALESCE(reason_code, '') = 'meets_guidelines'")
        batch_op.create_check_constraint(op.f('ck_review_replies_rejected_reason_fits'),
                                         f"status != 'rejected' OR COALESCE(reason_code, '') IN ({reject})")


def downgrade():
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_replies_rejected_reason_fits'), type_='check')
        batch_op.drop_constraint(op.f('ck_review_replies_published_reason_fits'), type_='check')
