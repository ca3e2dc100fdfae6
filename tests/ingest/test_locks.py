"""One writer per source: a second run meanwhile is refused (thread and separate process), never half-imported;
a dead holder's lock is taken over; a run that lost its lock commits nothing more."""

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from ingest import services
from ingest.models import ImportLock, ImportRun, QuarantinedRow
from marketplace.models import Home, ListingChange
from tests.conftest import TEST_DATABASE_URL, reset_schema
from tests.ingest.bigfile import write_shanghai
from tests.ingest.conftest import SAMPLES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROWS, BATCH = 120, 50


@pytest.fixture
def shared_app(request, tmp_path):
    """An app whose database other threads and processes open too: PostgreSQL, or a SQLite file."""
    if TEST_DATABASE_URL:
        app = request.getfixturevalue("app")
        app.config["INGEST_DIR"] = str(tmp_path / "ingest")
        yield app, TEST_DATABASE_URL
        return
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"),
                     INGEST_DIR=str(tmp_path / "ingest"))
    with app.app_context():
        reset_schema()
        from geo.services import load_regions

        load_regions()
        yield app, url
        db.session.remove()


def _start(path, source="shanghai"):
    with open(path, "rb") as fh:
        kept = services.store_file(fh, path.name)
    return services.start_run(source, kept)[0]


class _PausedRun:
    """Run an import in a thread of this process that stops after its first committed batch until released."""

    def __init__(self, app, path):
        self.app, self.path, self.outcome = app, path, {}
        self.paused, self.go = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._work)

    def __enter__(self):
        self.thread.start()
        assert self.paused.wait(60), self.outcome
        return self

    def __exit__(self, *exc):
        self.go.set()
        self.thread.join(120)

    def _pause(self, _rows):
        if not self.paused.is_set():
            self.paused.set()
            self.go.wait(120)

    def _work(self):
        with self.app.app_context():
            try:
                run = _start(self.path)
                self.outcome["run_id"] = run.id
                services.execute_run(run, on_progress=self._pause, batch_size=BATCH)
                self.outcome["status"] = run.status
            except Exception as exc:  # reported to the test, which asserts on it
                self.outcome["error"] = exc
            finally:
                self.paused.set()
                db.session.remove()


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_second_run_of_the_same_source_is_refused_while_one_runs(shared_app, tmp_path):
    app, _url = shared_app
    path = tmp_path / "big.csv"
    good, broken = write_shanghai(path, ROWS)
    with _PausedRun(app, path) as first:
        with pytest.raises(ServiceError) as same_file:
            services.execute_run(_start(path), batch_size=BATCH)
        assert (same_file.value.code, same_file.value.status) == ("import_running", 409)
        other = _start(SAMPLES / "shanghai_2025q1.csv")  # another file of the same source
        with pytest.raises(ServiceError) as same_source:
            services.execute_run(other)
        assert same_source.value.code == "import_running"
        db.session.rollback()
        assert db.session.get(ImportRun, other.id).rows_done == 0
        assert _count(Home, Home.name == "上海市徐汇区康乐养老院") == 0  # nothing of the refused run
        assert _count(ImportRun, ImportRun.id == first.outcome["run_id"], ImportRun.rows_done == BATCH) == 1
        anhui = _start(SAMPLES / "anhui_2025_gb18030.csv", "anhui")  # another source is not held up
        assert services.execute_run(anhui).status == "done"
    assert first.outcome.get("status") == "done", first.outcome
    db.session.rollback()
    run = db.session.get(ImportRun, first.outcome["run_id"])
    assert (run.rows_done, run.inserted, run.quarantined, run.updated) == (ROWS, good, broken, 0)
    assert _count(ListingChange, ListingChange.channel == "import") == good + anhui.inserted
    assert _count(ImportLock) == 0
    assert services.execute_run(db.session.get(ImportRun, other.id)).status == "done"  # now it may run


def test_flask_ingest_run_in_another_process_exits_nonzero_while_one_runs(shared_app, tmp_path):
    app, url = shared_app
    path = tmp_path / "big.csv"
    write_shanghai(path, ROWS)
    env = {**os.environ, "DATABASE_URL": url, "SEARCH_INDEX_PATH": str(tmp_path / "cli-index.sqlite3"),
           "INSTANCE_PATH": str(tmp_path / "instance"), "INGEST_DIR": app.config["INGEST_DIR"],
           "APP_CONFIG": "development", "FLASK_APP": "app"}
    command = [sys.executable, "-m", "flask", "--app", "app", "ingest", "run", "shanghai", str(path)]
    with _PausedRun(app, path) as first:
        refused = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert refused.returncode != 0
        # a CLI has no request: it speaks the default locale, zh-CN
        refusal = f"另一个同一数据格式的导入正在进行（导入批次 {first.outcome['run_id']}）"
        assert refusal in refused.stderr, refused.stderr
        db.session.rollback()
        assert db.session.get(ImportRun, first.outcome["run_id"]).rows_done == BATCH  # not touched by it
    assert first.outcome.get("status") == "done", first.outcome
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "already imported" in again.stdout, again.stderr


def _lock(owner, age_s=0):
    run = _start(SAMPLES / "shanghai_2025q2.csv")
    at = utcnow() - timedelta(seconds=age_s)
    db.session.add(ImportLock(source="shanghai", run_id=run.id, owner=owner, acquired_at=at, heartbeat_at=at))
    db.session.commit()


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_live_lock_on_another_machine_is_respected_and_a_stale_one_taken_over(app):
    _lock("web-2.example:4242:abc")
    run = _start(SAMPLES / "shanghai_2025q1.csv")
    with pytest.raises(ServiceError):
        services.execute_run(run)
    db.session.execute(sa.update(ImportLock).values(heartbeat_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    assert services.execute_run(run).status == "done" and run.inserted == 3
    assert _count(ImportLock) == 0


def test_the_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(app):
    _lock(f"{socket.gethostname()}:{_dead_pid()}:abc")
    assert services.execute_run(_start(SAMPLES / "shanghai_2025q1.csv")).status == "done"


def test_a_run_that_lost_its_lock_commits_nothing_more(shared_app, tmp_path):
    app, _url = shared_app
    path = tmp_path / "big.csv"
    write_shanghai(path, ROWS)
    with _PausedRun(app, path) as first:
        db.session.execute(sa.update(ImportLock).values(owner="web-2.example:4242:taken"))
        db.session.commit()
    assert first.outcome["error"].code == "import_lock_lost"
    db.session.rollback()
    run = db.session.get(ImportRun, first.outcome["run_id"])
    assert (run.status, run.rows_done) == ("running", BATCH)  # the second batch was rolled back
    assert _count(Home) == run.inserted and _count(QuarantinedRow) == run.quarantined
    assert _count(ImportLock, ImportLock.owner == "web-2.example:4242:taken") == 1  # the new holder keeps it


def test_a_quarantine_fix_waits_for_a_running_import_of_its_source(app):
    from tests.factories import make_user

    run = _start(SAMPLES / "shanghai_2025q1.csv")
    services.execute_run(run)
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == 6))
    _lock("web-2.example:4242:live")
    regulator = make_user("regulator", jurisdiction="310000")
    with pytest.raises(ServiceError) as refused:
        services.reimport_row(row, {"district_name": "长宁区"}, regulator)
    assert refused.value.code == "import_running"
    db.session.rollback()
    assert row.status == "open" and row.data["district_name"] == "虹桥新区"
    db.session.execute(sa.delete(ImportLock))
    db.session.commit()
    assert services.reimport_row(row, {"district_name": "长宁区"}, regulator)[0] == "inserted"
    assert _count(ImportLock) == 0
