"""A frozen search engine (process stopped, not dead) costs one search budget, not timeout x tries; then a
circuit breaker answers 503 at once and a background probe closes it when the engine answers again.

The engine is a real process: a tiny HTTP server speaking just enough of OpenSearch (every index is missing,
so a search answers an empty result), stopped with SIGSTOP and woken with SIGCONT."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

STUB = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Engine(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _any(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path.split("?")[0] == "/":
            return self._answer(200, {"version": {"number": "2.5.0", "distribution": "opensearch"}})
        self._answer(404, {"error": {"type": "index_not_found_exception", "reason": "no such index"},
                           "status": 404})

    do_GET = do_POST = do_HEAD = do_PUT = _any

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Engine)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@pytest.fixture
def engine():
    """A running stub engine process; yields (process, url)."""
    process = subprocess.Popen([sys.executable, "-c", STUB], stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline())
    yield process, f"http://127.0.0.1:{port}"
    os.kill(process.pid, signal.SIGCONT)
    process.kill()
    process.wait()


@pytest.fixture
def searching_app(app, engine):
    _process, url = engine
    app.config.update(SEARCH_BACKEND="opensearch", ELASTICSEARCH_URL=url, SEARCH_BUDGET_S=1.0,
                      SEARCH_TIMEOUT_S=5.0)
    app.extensions.pop("search_backend", None)
    return app


def _timed(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_a_frozen_engine_costs_one_budget_then_the_breaker_answers_at_once_until_it_wakes(searching_app, engine):
    process, _url = engine
    client = searching_app.test_client()
    response, _elapsed = _timed(client, "/api/v1/homes?q=suzhou")
    assert response.status_code == 200  # the engine answers: no index yet, an empty result

    os.kill(process.pid, signal.SIGSTOP)  # frozen: the kernel still accepts connections, nobody answers
    response, elapsed = _timed(client, "/api/v1/homes?q=suzhou")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "search_unavailable"
    assert elapsed < 2.5, f"a frozen engine held the search for {elapsed:.1f}s (budget 1s)"

    for _ in range(3):  # known down: no waiting at all
        response, elapsed = _timed(client, "/api/v1/homes?q=hangzhou")
        assert response.status_code == 503 and elapsed < 0.3, elapsed

    os.kill(process.pid, signal.SIGCONT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response, _elapsed = _timed(client, "/api/v1/homes?q=suzhou")
        if response.status_code == 200:
            break
        time.sleep(0.3)
    assert response.status_code == 200, "the breaker did not close after the engine woke up"


def test_pages_that_need_no_search_are_not_held_by_a_frozen_engine(searching_app, engine):
    process, _url = engine
    client = searching_app.test_client()
    os.kill(process.pid, signal.SIGSTOP)
    _timed(client, "/api/v1/homes?q=suzhou")
    response, elapsed = _timed(client, "/api/v1/regions")
    assert response.status_code == 200 and elapsed < 1.0


def test_a_listening_socket_that_never_answers_is_a_503_within_the_budget(app):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # accepts (in the kernel's backlog), never reads, never answers
        app.config.update(SEARCH_BACKEND="opensearch", SEARCH_BUDGET_S=1.0,
                          ELASTICSEARCH_URL=f"http://127.0.0.1:{silent.getsockname()[1]}")
        app.extensions.pop("search_backend", None)
        response, elapsed = _timed(app.test_client(), "/api/v1/homes?q=suzhou")
    assert response.status_code == 503 and elapsed < 2.5
