"""Imports: kept source files, runs with their counts, quarantined rows, conflicts, field provenance."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

RUN_STATUSES = ("running", "done", "failed")
QUARANTINE_STATUSES = ("open", "imported", "dismissed", "resolved")  # resolved: a later valid row came in
QUARANTINE_KINDS = ("invalid", "duplicate")
CONFLICT_STATUSES = ("open", "kept", "accepted")


class SourceFile(db.Model):
    """One uploaded file, kept byte for byte under INGEST_DIR (named by its SHA-256)."""

    __tablename__ = "ingest_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(db.Model):
    """One import of one file through one adapter; its counters advance with each committed batch."""

    __tablename__ = "ingest_runs"
    __table_args__ = (sa.UniqueConstraint("file_id", "source", name="uq_ingest_runs_file_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_files.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    jurisdiction_code: Mapped[str | None] = mapped_column(sa.String(6))  # the importing regulator's; None: all
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)  # data rows handled and committed (the resume point)
    last_row: Mapped[int] = mapped_column(default=0)  # the file row number of the last committed row
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    conflicts: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    city_level: Mapped[int] = mapped_column(default=0)  # accepted with a city but no district
    outside_region: Mapped[int] = mapped_column(default=0)  # rows placed outside the YRD: counted, not errors
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # attempts in a row that started from the same resume point (attempt_row) without committing a batch: a run
    # whose process dies twice at the same place (out of memory, killed) is marked failed instead of retried
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    attempt_row: Mapped[int | None] = mapped_column()
    started_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)

    file: Mapped[SourceFile] = relationship()

    def counts(self):
        """Return the report counters as a dict."""
        return {k: getattr(self, k) for k in ("inserted", "updated", "unchanged", "quarantined", "conflicts",
                                              "merged", "city_level", "outside_region")}


class SourceRecord(db.Model):
    """Which home a source's row stands for (its natural key), and the normalised row last applied."""

    __tablename__ = "ingest_source_records"
    __table_args__ = (sa.UniqueConstraint("source", "natural_key", name="uq_ingest_source_records_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(40))
    natural_key: Mapped[str] = mapped_column(sa.String(300))
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    row_hash: Mapped[str] = mapped_column(sa.String(64))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_files.id"))
    row_number: Mapped[int] = mapped_column()
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class FieldProvenance(db.Model):
    """Where the current value of one field of one home came from: source, file, row, date."""

    __tablename__ = "ingest_field_provenance"
    __table_args__ = (sa.UniqueConstraint("home_id", "field", name="uq_ingest_field_provenance_home_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(sa.String(60))  # a Home column, or fee.<care level>.<kind>
    value: Mapped[object | None] = mapped_column(sa.JSON)
    source: Mapped[str] = mapped_column(sa.String(40))
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_files.id"))
    row_number: Mapped[int] = mapped_column()
    recorded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class QuarantinedRow(db.Model):
    """A rejected or doubtful row, with its raw fields and the reasons; fixable and re-importable."""

    __tablename__ = "ingest_quarantine"
    __table_args__ = (sa.UniqueConstraint("file_id", "source", "row_number", name="uq_ingest_quarantine_row"),
                      sa.Index("ix_ingest_quarantine_source_key", "source", "natural_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_runs.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_files.id"))
    source: Mapped[str] = mapped_column(sa.String(40))
    row_number: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(20), default="invalid")  # invalid | duplicate
    data: Mapped[dict] = mapped_column(sa.JSON)  # {field: text, "fees": {column: text}}
    problems: Mapped[list] = mapped_column(sa.JSON)  # [{code, field, value}]
    candidate_home_id: Mapped[int | None] = mapped_column(sa.ForeignKey("homes.id", ondelete="SET NULL"))
    score: Mapped[float | None] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    home_id: Mapped[int | None] = mapped_column(sa.ForeignKey("homes.id", ondelete="SET NULL"))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # the row's identity in its source as far as it could be read (None: not even that), so a later valid
    # version of the row closes this entry, naming the run that brought it
    natural_key: Mapped[str | None] = mapped_column(sa.String(300))
    resolved_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ingest_runs.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[ImportRun] = relationship(foreign_keys="QuarantinedRow.run_id")


class ImportLock(db.Model):
    """The one run of a source allowed to write now, claimed in its own transaction; kept alive per batch.

    A lock whose heartbeat is older than INGEST_STALE_AFTER_S (or whose owner is a dead process on this
    host) may be taken over; the loser notices at its next batch, rolls it back and stops.
    """

    __tablename__ = "ingest_locks"

    source: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_runs.id"))
    owner: Mapped[str] = mapped_column(sa.String(120))  # host:pid:token of the claiming process
    acquired_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ImportConflict(db.Model):
    """An incoming value not applied because a verified provider or a regulator set the field more recently."""

    __tablename__ = "ingest_conflicts"
    __table_args__ = (sa.UniqueConstraint("run_id", "home_id", "field", name="uq_ingest_conflicts_run_home_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_runs.id"), index=True)
    home_id: Mapped[int] = mapped_column(sa.ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(sa.String(60))
    current_value: Mapped[object | None] = mapped_column(sa.JSON)
    incoming_value: Mapped[object | None] = mapped_column(sa.JSON)
    edited_by: Mapped[str] = mapped_column(sa.String(20))  # the channel of the newer edit: portal | api | regulator
    edited_at: Mapped[object] = mapped_column(UTCDateTime)
    row_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[ImportRun] = relationship()


class GeocodeCache(db.Model):
    """A geocoder's answer for one address, in WGS-84, so the same address is never asked twice."""

    __tablename__ = "ingest_geocode_cache"

    query: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    provider: Mapped[str] = mapped_column(sa.String(40))
    precision: Mapped[str | None] = mapped_column(sa.String(20))  # rooftop | street | district | city
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class SourceMapping(db.Model):
    """A regulator's named source: how the columns of their files map to the platform's fields (no deploy).

    `spec` has the shape of an adapter TOML file ({label, scope, price_unit, grade_scale, coord_system,
    columns: {field: [header, ...]}, fees: [{column, kind, levels}]}); every save adds a SourceMappingVersion.
    """

    __tablename__ = "ingest_source_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    jurisdiction_code: Mapped[str | None] = mapped_column(sa.String(6))  # None: an admin's, everywhere
    spec: Mapped[dict] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class SourceMappingVersion(db.Model):
    """One saved version of a SourceMapping: who saved what, when."""

    __tablename__ = "ingest_source_mapping_versions"
    __table_args__ = (sa.UniqueConstraint("mapping_id", "version", name="uq_ingest_source_mapping_versions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(sa.ForeignKey("ingest_source_mappings.id", ondelete="CASCADE"),
                                            index=True)
    version: Mapped[int] = mapped_column()
    spec: Mapped[dict] = mapped_column(sa.JSON)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    saved_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
