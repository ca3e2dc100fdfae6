"""No lost index update: outbox ids are never reused, a drain deletes only the rows it read, `flask search check
--repair` re-queues what differs, and the search commands tell "index differs" from "engine unreachable"."""

import socket
import threading

import pytest
import sqlalchemy as sa

from app import create_app
from core.extensions import db
from marketplace.models import Home
from search import outbox
from search.backend import current_backend
from search.cli import EXIT_DIFFERS, EXIT_UNREACHABLE, compare_index
from tests.conftest import reset_schema
from tests.factories import make_home


def _ids():
    return list(db.session.scalars(sa.select(outbox.OutboxEntry.id).order_by(outbox.OutboxEntry.id)))


def test_outbox_ids_are_never_reused_after_a_drain(app):
    home = make_home()
    used = max(_ids())
    outbox.drain(current_backend())
    assert _ids() == []
    outbox.requeue([home.id])
    assert min(_ids()) > used


def test_the_migrated_sqlite_outbox_never_reuses_ids(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        reset_schema(create=False)
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        with db.engine.begin() as conn:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'search_outbox'").scalar()
            assert "AUTOINCREMENT" in sql
            conn.exec_driver_sql("INSERT INTO search_outbox (home_id, created_at) VALUES (1, '2026-01-01')")
            conn.exec_driver_sql("DELETE FROM search_outbox")
            conn.exec_driver_sql("INSERT INTO search_outbox (home_id, created_at) VALUES (1, '2026-01-01')")
            assert conn.exec_driver_sql("SELECT id FROM search_outbox").scalar() == 2
        db.session.remove()


class _Interleaving:
    """A real backend whose first upsert lets another drainer and a writer run, as a second worker would."""

    def __init__(self, backend, meanwhile):
        self.backend, self.meanwhile, self.done = backend, meanwhile, False

    def upsert(self, docs):
        if not self.done:
            self.done = True
            worker = threading.Thread(target=self.meanwhile)
            worker.start()
            worker.join(30)
        self.backend.upsert(docs)

    def delete(self, ids):
        self.backend.delete(ids)


def test_a_drain_never_deletes_a_row_written_after_it_read_its_batch(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"), SEARCH_SYNC="worker")
    with app.app_context():
        reset_schema()
        from geo.services import load_regions

        load_regions()
        home_id = make_home().id

        def second_worker_then_a_write():
            with app.app_context():
                outbox.drain(current_backend())  # drains (and deletes) the same row first
                home = db.session.get(Home, home_id)
                home.fee_items[0].amount_fen += 1000  # a newer version, a new outbox row
                db.session.commit()
                db.session.remove()

        outbox.drain_batch(_Interleaving(current_backend(), second_worker_then_a_write))
        assert len(_ids()) == 1  # the newer row survived the first drainer's delete
        outbox.drain(current_backend())
        report = compare_index(current_backend())
        assert report["stale"] == [] and report["missing"] == []
        db.session.remove()


def test_check_repair_requeues_stale_missing_and_extra_homes(app, runner):
    homes = [make_home() for _ in range(3)]
    outbox.drain(current_backend())
    backend = current_backend()
    backend.delete([homes[0].id])
    db.session.execute(sa.update(Home).where(Home.id == homes[1].id).values(version=Home.version + 5))
    extra = dict(backend_doc(homes[2].id), id=999_999)
    backend.upsert([extra])
    db.session.commit()
    checked = runner.invoke(args=["search", "check"])
    assert checked.exit_code == EXIT_DIFFERS, checked.output
    repaired = runner.invoke(args=["search", "check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "re-queued 3 homes" in repaired.output and "index matches SQL" in repaired.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def backend_doc(home_id):
    from search.sources import documents_for

    return documents_for([home_id])[home_id]


@pytest.fixture
def dead_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


@pytest.mark.parametrize("command", [["search", "check"], ["search", "drain"], ["search", "check", "--repair"]])
def test_search_commands_say_in_one_line_that_the_engine_is_unreachable(app, runner, dead_port, command):
    app.config.update(SEARCH_BACKEND="opensearch", ELASTICSEARCH_URL=f"http://127.0.0.1:{dead_port}",
                      SEARCH_TIMEOUT_S=1)
    app.extensions.pop("search_backend", None)
    make_home(commit=True) if command[1] == "drain" else None
    result = runner.invoke(args=command)
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("search engine unreachable (opensearch)"), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["search", "check"], ["search", "drain"]])
def test_the_real_command_prints_one_line_and_no_traceback_when_the_engine_is_unreachable(tmp_path, dead_port,
                                                                                         command):
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    with app.app_context():
        db.create_all()
        db.session.add(outbox.OutboxEntry(home_id=1))
        db.session.commit()
        db.session.remove()
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, APP_CONFIG="development", DATABASE_URL=url, SEARCH_BACKEND="opensearch",
               ELASTICSEARCH_URL=f"http://127.0.0.1:{dead_port}", INSTANCE_PATH=str(tmp_path / "instance"))
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_UNREACHABLE, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("search engine unreachable (opensearch)"), done.stderr[-2000:]
