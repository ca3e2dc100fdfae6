"""The production stack started for real, for tests/ops/test_production_start.py and bench/visible.py:
a fresh PostgreSQL database, demo homes indexed in the real OpenSearch node, gunicorn (2 workers) with
APP_CONFIG=production and one `flask search worker`; yields what a client needs to talk to it."""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

_SETUP = """
import json
from app import create_app
from core.extensions import db
from marketplace.models import Home, Vacancy
from accounts import oauth2
from tests.factories import make_user, make_verified_provider
with create_app().app_context():
    provider = make_verified_provider("生产测试")
    homes = db.session.query(Home).order_by(Home.id).limit(%(homes)d).all()
    for home in homes:
        home.provider_id = provider.id
    db.session.commit()
    user = make_user(role="provider", provider=provider, email="ops-start@example.cn")
    client, secret = oauth2.create_api_client(provider, "ops", ["vacancies:write"], user)
    out = [{"home": h.id, "name": h.name,
            "levels": sorted(v.care_level for v in db.session.query(Vacancy).filter_by(home_id=h.id))}
           for h in homes]
    print(json.dumps({"homes": out, "client_id": client.client_id, "secret": secret}))
"""


def free_port():
    """Return a loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(tmp_path, **extra):
    """The environment of a production process: every required setting given, multiprocess metrics."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "ELASTICSEARCH_URL")}
    env.update({
        "APP_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
        "PASSWORD_RESET_SENDER": "accounts.senders.CollectingSender",
        "PASSWORD_RESET_BASE_URL": "https://care.example.cn", "INSTANCE_PATH": str(tmp_path / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "METRICS_TOKEN": "ops-test-token",
        "PYTHONPATH": str(ROOT), **extra,
    })
    (tmp_path / "prom").mkdir(exist_ok=True)
    return env


def reachable(url):
    """True when URL answers at all."""
    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


def _flask(env, *args):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def production_stack(tmp_path, opensearch_url, homes=30, provider_homes=1, worker_interval=0.2):
    """Start the stack; yield (base_url, setup, tmp_path) where setup names the operator's homes and API client."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"yrd_prod_stack_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = production_env(
        tmp_path, DATABASE_URL=admin.url.set(database=name).render_as_string(hide_password=False),
        REDIS_URL="redis://127.0.0.1:6379/11", SEARCH_BACKEND="opensearch", OPENSEARCH_URL=opensearch_url,
        SEARCH_INDEX_ALIAS=f"yrd-prod-stack-{os.getpid()}")
    processes, logs = [], contextlib.ExitStack()
    try:
        for args in (("db", "upgrade"), ("geo", "load-regions"),
                     ("demo", "seed", "--homes", str(homes), "--seed", "5"), ("search", "reindex")):
            _flask(env, *args)
        setup = subprocess.run([sys.executable, "-c", _SETUP % {"homes": provider_homes}], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        if setup.returncode != 0:
            raise RuntimeError(setup.stderr[-2000:])
        port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
        processes.append(subprocess.Popen(
            [gunicorn, "-c", str(ROOT / "docs/ops/gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "-w", "2",
             "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=logs.enter_context((tmp_path / "web.log").open("w"))))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "search", "worker", "--interval", str(worker_interval)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=logs.enter_context((tmp_path / "worker.log").open("w"))))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not reachable(base + "/healthz"):
            if time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "web.log").read_text()[-3000:])
            time.sleep(0.3)
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


def api_token(base, setup):
    """Get a bearer token for the stack's API client."""
    response = requests.post(base + "/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(setup["client_id"], setup["secret"]), timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def beds_in_search(base, name):
    """{home id: beds_free} of the search hits for NAME."""
    items = requests.get(base + "/api/v1/homes", params={"q": name, "per_page": 50}, timeout=10).json()["items"]
    return {item["id"]: item.get("beds_free") for item in items}
