"""The production configuration, started for real: gunicorn (2 workers) with APP_CONFIG=production against
PostgreSQL, Redis and the real OpenSearch node, plus `flask search worker`. Runs where OPENSEARCH_URL names a
node (CI's OpenSearch step); the refusal to start without required settings runs everywhere."""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL")

_SETUP = """
import json
from app import create_app
from core.extensions import db
from marketplace.models import Home, Vacancy
from accounts import oauth2
from tests.factories import make_user, make_verified_provider
with create_app().app_context():
    provider = make_verified_provider("生产测试")
    home = db.session.query(Home).order_by(Home.id).first()
    home.provider_id = provider.id
    db.session.commit()
    user = make_user(role="provider", provider=provider, email="ops-start@example.cn")
    client, secret = oauth2.create_api_client(provider, "ops", ["vacancies:write"], user)
    levels = sorted(v.care_level for v in db.session.query(Vacancy).filter_by(home_id=home.id))
    print(json.dumps({"home": home.id, "name": home.name, "levels": levels, "client_id": client.client_id,
                      "secret": secret}))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "ELASTICSEARCH_URL")}
    env.update({
        "APP_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
        "PASSWORD_RESET_SENDER": "accounts.senders.CollectingSender",
        "PASSWORD_RESET_BASE_URL": "https://care.example.cn", "INSTANCE_PATH": str(tmp_path / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "METRICS_TOKEN": "ops-test-token",
        **extra,
    })
    (tmp_path / "prom").mkdir(exist_ok=True)
    return env


def test_production_refuses_to_start_without_a_required_setting(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    done = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr and "production settings missing" in done.stderr


def _reach(url):
    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


@pytest.fixture
def production_stack(tmp_path):
    if not OPENSEARCH_URL:
        pytest.skip("OPENSEARCH_URL is not set: CI's OpenSearch step runs this with the real node")
    if not _reach(OPENSEARCH_URL):
        pytest.fail("OPENSEARCH_URL is set but the node does not answer")
    redis = pytest.importorskip("redis")
    redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"yrd_prod_start_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = _production_env(
        tmp_path, DATABASE_URL=admin.url.set(database=name).render_as_string(hide_password=False),
        REDIS_URL="redis://127.0.0.1:6379/11", SEARCH_BACKEND="opensearch", OPENSEARCH_URL=OPENSEARCH_URL,
        SEARCH_INDEX_ALIAS=f"yrd-prod-start-{os.getpid()}", PYTHONPATH=str(ROOT))
    processes, logs = [], contextlib.ExitStack()
    try:
        for args in (("db", "upgrade"), ("geo", "load-regions"), ("demo", "seed", "--homes", "30", "--seed", "5"),
                     ("search", "reindex")):
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr
        setup = subprocess.run([sys.executable, "-c", _SETUP], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)
        assert setup.returncode == 0, setup.stderr
        port = _free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
        processes.append(subprocess.Popen(
            [gunicorn, "-c", str(ROOT / "docs/ops/gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "-w", "2",
             "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=logs.enter_context((tmp_path / "web.log").open("w"))))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "search", "worker", "--interval", "0.2"], cwd=ROOT,
            env=env, stdout=subprocess.DEVNULL, stderr=logs.enter_context((tmp_path / "worker.log").open("w"))))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _reach(base + "/healthz"):
            assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()[-3000:]
            time.sleep(0.3)
        import json

        yield base, json.loads(setup.stdout.strip().splitlines()[-1]), tmp_path
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _beds_in_search(base, name):
    items = requests.get(base + "/api/v1/homes", params={"q": name, "per_page": 50}, timeout=10).json()["items"]
    return {item["id"]: item.get("beds_free") for item in items}


def test_production_start_serves_searches_and_writes_reach_the_index_through_the_worker(production_stack):
    base, setup, tmp_path = production_stack
    ready = requests.get(base + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert all(check["ok"] for check in ready.json()["checks"].values())
    assert "skipped" not in ready.json()["checks"]["redis"]

    search = requests.get(base + "/api/v1/homes", params={"q": "护理"}, timeout=10)
    assert search.status_code == 200 and search.json()["total"] > 0
    assert search.headers["X-Request-ID"]

    token = requests.post(base + "/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(setup["client_id"], setup["secret"]), timeout=10)
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "X-Request-ID": "ops-start-write"}
    url = f"{base}/api/v1/provider/homes/{setup['home']}/vacancies"
    wanted = {level: 41 + i for i, level in enumerate(setup["levels"] or ["self_care"])}
    written = requests.put(url, headers=headers, json={"free_beds": wanted}, timeout=10)
    assert written.status_code == 200, written.text
    expected = sum(v["beds_free"] for v in written.json()["vacancies"])

    deadline = time.monotonic() + 30
    while _beds_in_search(base, setup["name"]).get(setup["home"]) != expected:
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
        time.sleep(0.2)
    assert "ops-start-write" in (tmp_path / "worker.log").read_text()  # the request id followed the change

    metrics = requests.get(base + "/metrics", headers={"Authorization": "Bearer ops-test-token"}, timeout=10)
    assert metrics.status_code == 200 and "yrd_http_requests_total" in metrics.text
    assert requests.get(base + "/metrics", timeout=10).status_code in (200, 403)
