"""An import whose worker died (left 'running', its heartbeat stale) is finished by `flask ingest resume` and
ends exactly as one clean run of the same file."""

from datetime import timedelta

import sqlalchemy as sa

from core.db import utcnow
from core.extensions import db
from ingest import services
from ingest.models import FieldProvenance, ImportLock, ImportRun, QuarantinedRow
from marketplace.models import FeeItem, Home, ListingChange
from tests.conftest import reset_schema
from tests.ingest.bigfile import write_shanghai

ROWS, BATCH = 130, 40


class WorkerDied(Exception):
    """Stands for the web worker going away in the middle of its background import."""


def _start(path):
    with open(path, "rb") as fh:
        kept = services.store_file(fh, path.name)
    return services.start_run("shanghai", kept)[0]


def _die_after_first_batch(_rows):
    raise WorkerDied


def _state():
    """Everything an import writes, without ids or times."""
    run = db.session.scalar(sa.select(ImportRun))
    homes = sorted((h.name, h.address, h.district_code, h.grade, h.beds_total, h.lat, h.lon)
                   for h in db.session.scalars(sa.select(Home)))
    fees = sorted((f.home.name, f.care_level, f.kind, f.amount_fen) for f in db.session.scalars(sa.select(FeeItem)))
    quarantine = sorted((q.row_number, q.status, str(q.problems))
                        for q in db.session.scalars(sa.select(QuarantinedRow)))
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (ListingChange, FieldProvenance)]
    return (run.status, run.rows_done, run.rows_total, run.counts()), homes, fees, quarantine, counts


def test_a_run_left_running_with_a_stale_heartbeat_is_resumed_to_the_clean_end_state(app, runner, tmp_path):
    path = tmp_path / "upload.csv"
    write_shanghai(path, ROWS)
    run = _start(path)
    try:
        services.execute_run(run, on_progress=_die_after_first_batch, batch_size=BATCH)
    except WorkerDied:
        pass
    # as the dead worker on another machine left it: its lock and the run's heartbeat both stale
    stale = utcnow() - timedelta(minutes=10)
    db.session.add(ImportLock(source="shanghai", run_id=run.id, owner="web-3.example:77:dead", acquired_at=stale,
                              heartbeat_at=stale))
    db.session.execute(sa.update(ImportRun).values(heartbeat_at=stale))
    db.session.commit()
    assert (run.status, run.rows_done) == ("running", BATCH)
    assert services.resumable_runs() == [run]

    result = runner.invoke(args=["ingest", "resume"])
    assert result.exit_code == 0, result.output
    assert f"run {run.id} done: rows={ROWS}" in result.output
    resumed = _state()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportLock)) == 0
    assert runner.invoke(args=["ingest", "resume"]).output.strip() == "nothing to resume"

    db.session.remove()
    reset_schema()
    from geo.services import load_regions

    load_regions()
    services.execute_run(_start(path), batch_size=BATCH)
    assert _state() == resumed


def test_a_run_with_a_live_heartbeat_is_not_resumed(app, runner, tmp_path):
    path = tmp_path / "upload.csv"
    write_shanghai(path, 60)
    run = _start(path)
    db.session.add(ImportLock(source="shanghai", run_id=run.id, owner="web-3.example:77:alive"))
    db.session.commit()
    assert services.resumable_runs() == []
    assert runner.invoke(args=["ingest", "resume"]).output.strip() == "nothing to resume"
    assert db.session.get(ImportRun, run.id).rows_done == 0
