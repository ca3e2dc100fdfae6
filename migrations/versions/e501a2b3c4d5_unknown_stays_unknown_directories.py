"""unknown stays unknown; directories: city-level homes, pin precision, run counters, DB-stored source mappings

Revision ID: e501a2b3c4d5
Revises: d401a7c3e9f1
Create Date: 2026-12-06 20:50:00.000000

"""
from alembic import op
import sqlalchemy as sa
import core.db  # noqa: F401  (autogenerate renders core.db.UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e501a2b3c4d5'
down_revision = 'd401a7c3e9f1'  # re-chained at merge: after the hardening migration
branch_labels = None
depends_on = None


UTC = core.db.UTCDateTime(timezone=True)
# An imported home whose source never gave the field (no provenance row for it) got a default, not a fact.
_INVENTED = ("UPDATE homes SET {column} = NULL WHERE {column} = {default} AND is_demo = false "
             "AND id IN (SELECT home_id FROM ingest_field_provenance) "
             "AND id NOT IN (SELECT home_id FROM ingest_field_provenance WHERE field = '{column}')")


def upgrade():
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_precision', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('location_verified', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('former_district_name', sa.String(length=40), nullable=True))
        batch_op.alter_column('district_code', existing_type=sa.String(length=6), nullable=True)
        batch_op.alter_column('lat', existing_type=sa.Float(), nullable=True)
        batch_op.alter_column('lon', existing_type=sa.Float(), nullable=True)
        batch_op.alter_column('ownership', existing_type=sa.String(length=20), nullable=True)
        batch_op.alter_column('beds_total', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('phone', existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.alter_column('location_verified', server_default=None)
    op.execute("UPDATE homes SET phone = NULL WHERE phone = ''")
    op.execute(_INVENTED.format(column="beds_total", default="0"))
    op.execute(_INVENTED.format(column="ownership", default="'private'"))
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city_level', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('outside_region', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.alter_column('city_level', server_default=None)
        batch_op.alter_column('outside_region', server_default=None)
    with op.batch_alter_table('ingest_geocode_cache', schema=None) as batch_op:
        batch_op.add_column(sa.Column('precision', sa.String(length=20), nullable=True))
    op.create_table('ingest_source_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('jurisdiction_code', sa.String(length=6), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ingest_source_mappings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_source_mappings')),
    sa.UniqueConstraint('code', name=op.f('uq_ingest_source_mappings_code')),
    )
    op.create_table('ingest_source_mapping_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mapping_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=True),
    sa.Column('saved_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['mapping_id'], ['ingest_source_mappings.id'],
                            name=op.f('fk_ingest_source_mapping_versions_mapping_id_ingest_source_mappings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by_id'], ['users.id'],
                            name=op.f('fk_ingest_source_mapping_versions_saved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_source_mapping_versions')),
    sa.UniqueConstraint('mapping_id', 'version', name='uq_ingest_source_mapping_versions'),
    )
    with op.batch_alter_table('ingest_source_mapping_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_source_mapping_versions_mapping_id'), ['mapping_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('ingest_source_mapping_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_source_mapping_versions_mapping_id'))
    op.drop_table('ingest_source_mapping_versions')
    op.drop_table('ingest_source_mappings')
    with op.batch_alter_table('ingest_geocode_cache', schema=None) as batch_op:
        batch_op.drop_column('precision')
    with op.batch_alter_table('ingest_runs', schema=None) as batch_op:
        batch_op.drop_column('outside_region')
        batch_op.drop_column('city_level')
    # the old schema cannot say "unknown": it gets the old defaults back (a city-level home, its city centre)
    op.execute("UPDATE homes SET phone = '' WHERE phone IS NULL")
    op.execute("UPDATE homes SET beds_total = 0 WHERE beds_total IS NULL")
    op.execute("UPDATE homes SET ownership = 'private' WHERE ownership IS NULL")
    op.execute("UPDATE homes SET district_code = city_code WHERE district_code IS NULL")
    op.execute("UPDATE homes SET lat = 0, lon = 0 WHERE lat IS NULL OR lon IS NULL")
    with op.batch_alter_table('homes', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('beds_total', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('ownership', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('lon', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('lat', existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('district_code', existing_type=sa.String(length=6), nullable=False)
        batch_op.drop_column('former_district_name')
        batch_op.drop_column('location_verified')
        batch_op.drop_column('location_precision')
