"""Authorization rows for the import pages (ingest/views.py): regulators and admins only, each run within its
jurisdiction. The run, its quarantined row and the conflict are in Jiangsu (reg_in's province)."""

import tempfile

from flask import current_app

from tests.matrix import PAGE, signed_in

KEYS = {"ingest_run": 1, "ingest_row": 2, "ingest_conflict": 3, "ingest_file": 4}
REGULATORS = signed_in(PAGE, reg_in=200, reg_out=200, admin=200)
IN_PLACE = signed_in(PAGE, reg_in=200, admin=200)
IN_PLACE_POST = signed_in(PAGE, reg_in=400, admin=400)  # allowed, but the form carries no action

ROWS = [
    ("GET", "/regulator/imports/", REGULATORS),
    ("POST", "/regulator/imports/", signed_in(PAGE, reg_in=400, reg_out=400, admin=400)),
    ("GET", "/regulator/imports/runs/{ingest_run}", IN_PLACE),
    ("GET", "/regulator/imports/runs/{ingest_run}/progress", IN_PLACE),
    ("GET", "/regulator/imports/runs/{ingest_run}/problems.csv", IN_PLACE),
    ("GET", "/regulator/imports/quarantine", REGULATORS),
    ("GET", "/regulator/imports/quarantine/{ingest_row}", IN_PLACE),
    ("POST", "/regulator/imports/quarantine/{ingest_row}", IN_PLACE_POST),
    ("GET", "/regulator/imports/files/{ingest_file}/mapping", signed_in(PAGE, reg_in=200, admin=200)),
    ("POST", "/regulator/imports/files/{ingest_file}/mapping", signed_in(PAGE, reg_in=400, admin=400)),
    ("GET", "/regulator/imports/conflicts", REGULATORS),
    ("POST", "/regulator/imports/conflicts/{ingest_conflict}", IN_PLACE_POST),
]


def setup(world):
    """Import the Jiangsu sample as reg_in; flag a conflict on home A."""
    import sqlalchemy as sa

    from core.db import utcnow
    from core.extensions import db
    from ingest.models import ImportConflict, QuarantinedRow
    from tests.ingest.conftest import import_sample

    current_app.config["INGEST_DIR"] = tempfile.mkdtemp(prefix="matrix-ingest-")
    run = import_sample("jiangsu", "jiangsu_2025.xlsx", user=world.users["reg_in"])
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id))
    conflict = ImportConflict(run_id=run.id, home_id=world.home_a.id, field="phone", current_value="0512-1",
                              incoming_value="0512-2", edited_by="regulator", edited_at=utcnow(), row_number=2)
    db.session.add(conflict)
    db.session.commit()
    return {"ingest_run": run.id, "ingest_row": row.id, "ingest_conflict": conflict.id, "ingest_file": run.file_id}
