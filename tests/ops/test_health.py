"""/healthz and /readyz: each dependency taken away for real (a stopped server, a closed port), never mocked."""

import socket
import threading

import pytest

from core.extensions import db
from search.outbox import OutboxEntry
from tests.factories import make_home


def _closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SilentServer:
    """A TCP server that accepts connections and never answers: a frozen dependency."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


def test_healthz_answers_without_touching_any_dependency(app, client):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_every_dependency_answers(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "search", "redis", "outbox"}
    assert body["checks"]["redis"] == {"ok": True, "skipped": True, "ms": body["checks"]["redis"]["ms"]}


def test_readyz_names_redis_when_it_cannot_be_reached_and_shows_no_address(app, client):
    port = _closed_port()
    app.config["REDIS_URL"] = f"redis://:s3cret@127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["redis"]
    text = response.get_data(as_text=True)
    assert str(port) not in text and "127.0.0.1" not in text and "s3cret" not in text


def test_readyz_checks_a_real_redis_when_one_runs(app, client):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    body = client.get("/readyz").get_json()
    assert body["checks"]["redis"]["ok"] is True and "skipped" not in body["checks"]["redis"]


def test_readyz_times_out_a_frozen_search_engine_within_its_budget(app, client):
    from search.elastic import ElasticBackend

    frozen = _SilentServer()
    try:
        app.config["READINESS_TIMEOUT_S"] = 0.5
        app.extensions["search_backend"] = ElasticBackend.connect(
            "opensearch", f"http://127.0.0.1:{frozen.port}", "yrd-homes", 30.0)
        response = client.get("/readyz")
        body = response.get_json()
        assert response.status_code == 503
        assert body["failing"] == ["search"]
        assert body["checks"]["search"] == {"ok": False, "error": "timeout"}
        assert str(frozen.port) not in response.get_data(as_text=True)
    finally:
        frozen.close()


def test_readyz_names_a_search_engine_that_refuses_connections(app, client):
    from search.elastic import ElasticBackend

    app.extensions["search_backend"] = ElasticBackend.connect(
        "opensearch", f"http://127.0.0.1:{_closed_port()}", "yrd-homes", 1.0)
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["search"] and body["checks"]["search"]["error"] == "unavailable"


def test_readyz_fails_when_the_outbox_lags_behind(app, client):
    from datetime import timedelta

    from core import time

    home = make_home()
    db.session.add(OutboxEntry(home_id=home.id, created_at=time.utcnow() - timedelta(seconds=300)))
    db.session.commit()
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["outbox"]
    assert body["checks"]["outbox"]["error"] == "lagging" and body["checks"]["outbox"]["oldest_age_s"] >= 300


def test_readyz_follows_a_real_redis_process_that_is_stopped(app, client, tmp_path):
    import shutil
    import subprocess
    import time

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _closed_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        process.terminate()
        process.wait(timeout=10)
        response = client.get("/readyz")
        assert response.status_code == 503 and response.get_json()["failing"] == ["redis"]
    finally:
        if process.poll() is None:
            process.kill()


def test_readyz_names_the_database_when_it_cannot_be_reached(tmp_path):
    from app import create_app

    port = _closed_port()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://yrd:pw@127.0.0.1:{port}/yrd",
                     SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"),
                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert "database" in body["failing"] and body["checks"]["database"]["error"] in ("unavailable", "timeout")
    assert str(port) not in response.get_data(as_text=True) and "pw" not in response.get_data(as_text=True)
    assert app.test_client().get("/healthz").status_code == 200
