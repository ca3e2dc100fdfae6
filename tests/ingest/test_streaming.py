"""Large files: bounded memory, progress reported per batch, and a kill -9 mid-import resumed to one clean end."""

import gc
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest
import sqlalchemy as sa

from core.extensions import db
from ingest import services
from ingest.models import ImportRun, QuarantinedRow
from marketplace.models import Home, ListingChange
from tests.conftest import reset_schema
from tests.ingest.bigfile import bad, number_of, write_shanghai

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _import(path, batch_size=100, on_progress=None):
    with open(path, "rb") as fh:
        kept = services.store_file(fh, path.name)
    run, _created = services.start_run("shanghai", kept)
    return services.execute_run(run, on_progress=on_progress, batch_size=batch_size)


def test_memory_stays_flat_from_batch_to_batch(app, tmp_path):
    """The memory held after each committed batch does not grow with the rows already imported."""
    path = tmp_path / "big.csv"
    write_shanghai(path, 1000)
    held = []

    def sample(_rows):
        gc.collect()
        held.append(tracemalloc.get_traced_memory()[0])

    tracemalloc.start()
    try:
        run = _import(path, batch_size=100, on_progress=sample)
    finally:
        tracemalloc.stop()
    assert run.rows_done == 1000 and len(held) == 11
    growth_kib = (max(held[2:]) - held[1]) / 1024
    assert growth_kib < 256, [h // 1024 for h in held]  # 9 more batches, not 9 batches' worth of rows


def test_progress_is_reported_after_every_committed_batch(app, tmp_path):
    path = tmp_path / "progress.csv"
    write_shanghai(path, 250)
    seen = []
    run = _import(path, batch_size=100, on_progress=seen.append)
    assert seen == [100, 100, 50] and run.rows_total == 250 and run.status == "done"


@pytest.mark.skipif(sys.platform != "linux", reason="uses SIGKILL on a child process")
def test_an_import_killed_mid_way_then_rerun_ends_as_one_clean_run(tmp_path):
    """kill -9 `flask ingest run` part-way; the re-run resumes and the end state is that of one clean run."""
    from app import create_app

    rows = 800
    path = tmp_path / "kill.csv"
    good, broken = write_shanghai(path, rows)
    db_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": db_url, "SEARCH_INDEX_PATH": str(tmp_path / "kill-index.sqlite3"),
           "INSTANCE_PATH": str(tmp_path / "instance"), "APP_CONFIG": "development", "FLASK_APP": "app"}
    app = create_app("development", SQLALCHEMY_DATABASE_URI=db_url, SEARCH_INDEX_PATH=env["SEARCH_INDEX_PATH"])
    with app.app_context():
        reset_schema()
        from geo.services import load_regions

        load_regions()
    command = [sys.executable, "-m", "flask", "--app", "app", "ingest", "run", "shanghai", str(path),
               "--batch-size", "20"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with app.app_context():
        deadline = time.monotonic() + 120
        while _rows_done() < 200 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
            db.session.rollback()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db.session.rollback()
        killed_at = _rows_done()
        assert 0 < killed_at < rows, "the kill should land mid-way"
    rerun = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with app.app_context():
        run = db.session.scalar(sa.select(ImportRun))
        assert (run.status, run.rows_done, run.inserted, run.quarantined) == ("done", rows, good, broken)
        assert (run.updated, run.unchanged, run.conflicts) == (0, 0, 0)
        homes = db.session.scalars(sa.select(Home)).all()
        assert len(homes) == good == len({h.name for h in homes})
        assert all(h.current_fees()["self_care"]["bed"].amount_fen == (2000 + number_of(h.name)) * 100
                   for h in homes)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange)) == good  # applied once
        quarantined = sorted(q.row_number for q in db.session.scalars(sa.select(QuarantinedRow)))
        assert quarantined == [i + 2 for i in range(rows) if bad(i)]
        db.session.remove()
        reset_schema(create=False)


def _rows_done():
    try:
        return db.session.scalar(sa.select(ImportRun.rows_done)) or 0
    except sa.exc.OperationalError:  # SQLite: the writer holds the lock for a moment
        db.session.rollback()
        return 0
