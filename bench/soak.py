"""`make bench-soak`: mixed load against gunicorn (2 workers) on SQLite with a worker killed every minute.

For --minutes (default 10): family searches (the query mix of bench/mix.py), provider API fee writes (each a
new natural key, with an Idempotency-Key, retried with the same key after a dropped connection or a 503 as a
client would) and a large `flask ingest run` in its own process. Every --kill-every seconds one gunicorn
worker gets SIGKILL (the master starts another). Afterwards:

- every acknowledged (200) write is in SQL with its value: 0 missing;
- `flask search drain` then `flask search check` say the index equals SQL;
- no 500 in the access log, no traceback in the error log;
- the import finished (resumed by `flask ingest resume` if its process had to be).

Writes bench/results/soak-<stamp>.json and prints a summary. Never part of the test run.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mix import FAMILIES, params_for, to_path  # noqa: E402
from core import time as clock  # noqa: E402
from tests.gunicorn_server import Gunicorn  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(work, homes, import_rows):
    """Create the database (schema, regions, demo homes, index), an operator with an API token, the big file."""
    from accounts import oauth2
    from app import create_app
    from core.extensions import db
    from demo.market import seed_demo
    from geo.services import load_regions
    from search.backend import current_backend
    from search.sources import iter_all_documents
    from tests.accounts.test_oauth2 import issue_token
    from tests.factories import make_home, make_user, make_verified_provider
    from tests.ingest.bigfile import write_shanghai

    url = f"sqlite:///{work / 'soak.sqlite3'}"
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(work / "index.sqlite3"),
                     TESTING=True, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        load_regions()
        seed_demo(homes=homes, seed=7)
        provider = make_verified_provider()
        home_ids = [make_home(provider_id=provider.id).id for _ in range(20)]
        api_client, secret = oauth2.create_api_client(provider, "soak", ["listings:write", "vacancies:write"],
                                                      make_user(role="provider", provider=provider))
        token = issue_token(app.test_client(), api_client, secret)
        current_backend().reindex(iter_all_documents())
        from search import outbox

        outbox.drain(current_backend())
        db.session.remove()
    write_shanghai(work / "big-import.csv", import_rows)
    return url, home_ids, token


class Load:
    """The load threads and what they saw."""

    def __init__(self, server, home_ids, token):
        self.server, self.home_ids, self.token = server, home_ids, token
        self.stop = threading.Event()
        self.statuses = Counter()
        self.acked = {}  # (home id, effective_from iso) -> amount_fen
        self.unacked = 0
        self.lock = threading.Lock()
        self.sequence = iter(range(10**9))

    def searcher(self, seed):
        paths = [to_path(p) for family in FAMILIES for p in params_for(family, 50, seed=seed)]
        rng = random.Random(seed)
        session = requests.Session()
        while not self.stop.is_set():
            try:
                status = session.get(self.server.url + rng.choice(paths), timeout=30).status_code
            except requests.RequestException:
                status = "dropped"
                session = requests.Session()
            with self.lock:
                self.statuses[f"search {status}"] += 1

    def writer(self):
        session = requests.Session()
        while not self.stop.is_set():
            with self.lock:
                i = next(self.sequence)
            home_id = self.home_ids[i % len(self.home_ids)]
            starts = (clock.today() + timedelta(days=1 + i // len(self.home_ids))).isoformat()
            amount = 100_000 + i
            body = {"items": [{"care_level": "full", "kind": "bed", "amount_fen": amount, "effective_from": starts}]}
            status = self._put_until_answered(session, home_id, body, f"soak-{i}")
            with self.lock:
                if status == 200:
                    self.acked[(home_id, starts)] = amount
                else:
                    self.unacked += 1

    def _put_until_answered(self, session, home_id, body, key, tries=40):
        """PUT with KEY; after a dropped connection, a 503 or a 409 in progress, retry with the same key (as a
        client should; an in-progress key cut by a kill lapses after IDEMPOTENCY_PENDING_S)."""
        url = f"{self.server.url}/api/v1/provider/homes/{home_id}/fees"
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        status = None
        for _attempt in range(tries):
            try:
                response = session.put(url, json=body, headers=headers, timeout=30)
                status = response.status_code
            except requests.RequestException:
                status = "dropped"
            with self.lock:
                self.statuses[f"write {status}"] += 1
            if status not in ("dropped", 503, 409):
                return status
            time.sleep(0.5)
        return status


def _flask(work, url, *args, timeout=1800):
    env = dict(os.environ, APP_CONFIG="development", DATABASE_URL=url, SEARCH_INDEX_PATH=str(work / "index.sqlite3"),
               INSTANCE_PATH=str(work / "instance"), INGEST_DIR=str(work / "ingest"), PYTHONPATH=str(ROOT))
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _start_import(work, url):
    env = dict(os.environ, APP_CONFIG="development", DATABASE_URL=url, SEARCH_INDEX_PATH=str(work / "index.sqlite3"),
               INSTANCE_PATH=str(work / "instance"), INGEST_DIR=str(work / "ingest"), PYTHONPATH=str(ROOT))
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "ingest", "run", "shanghai",
                             str(work / "big-import.csv"), "--batch-size", "200"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def verify(work, url, load, server_log):
    """Check the promises after the load; return the findings."""
    from app import create_app
    from core.extensions import db
    from marketplace.models import FeeItem

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(work / "index.sqlite3"))
    with app.app_context():
        rows = {(h, d.isoformat()): a for h, d, a in db.session.execute(
            db.select(FeeItem.home_id, FeeItem.effective_from, FeeItem.amount_fen)
            .where(FeeItem.care_level == "full", FeeItem.kind == "bed", FeeItem.effective_from > clock.today()))}
        from ingest.models import ImportRun

        runs = [(r.id, r.status, r.rows_done, r.error) for r in db.session.scalars(db.select(ImportRun))]
        db.session.remove()
    missing = [key for key, amount in load.acked.items() if rows.get(key) != amount]
    resumed = _flask(work, url, "ingest", "resume")
    drained = _flask(work, url, "search", "drain")
    checked = _flask(work, url, "search", "check")
    access_500 = len(re.findall(r'" 500 ', server_log))
    tracebacks = server_log.count("Traceback")
    return {"acknowledged_writes": len(load.acked), "missing_acknowledged_writes": len(missing),
            "missing_examples": missing[:10], "unacknowledged_writes": load.unacked,
            "import_runs": runs, "resume": resumed.stdout.strip()[-200:], "drain": drained.stdout.strip(),
            "check_exit": checked.returncode, "check": checked.stdout.strip()[-400:] + checked.stderr.strip()[-200:],
            "http_500_in_access_log": access_500, "tracebacks_in_log": tracebacks}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--kill-every", type=float, default=60, help="seconds between worker kills")
    parser.add_argument("--homes", type=int, default=2000, help="demo homes to search over")
    parser.add_argument("--import-rows", type=int, default=20000)
    parser.add_argument("--searchers", type=int, default=3)
    parser.add_argument("--writers", type=int, default=3)
    args = parser.parse_args(argv)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = RESULTS / "tmp" / f"soak-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    _log(f"preparing {args.homes} homes and a {args.import_rows}-row import in {work}")
    url, home_ids, token = prepare(work, args.homes, args.import_rows)

    server = Gunicorn(work, url, access_log=True, SEARCH_SYNC="inline", IDEMPOTENCY_PENDING_S="5")
    server.wait_ready()
    load = Load(server, home_ids, token)
    threads = [threading.Thread(target=load.searcher, args=(s,)) for s in range(args.searchers)]
    threads += [threading.Thread(target=load.writer) for _ in range(args.writers)]
    importer = _start_import(work, url)
    for thread in threads:
        thread.start()
    started, kills = time.monotonic(), 0
    _log(f"load running for {args.minutes} min, a worker killed every {args.kill_every:.0f}s")
    next_kill = started + args.kill_every
    while time.monotonic() - started < args.minutes * 60:
        time.sleep(1)
        if time.monotonic() >= next_kill:
            kills += server.kill_one_worker()
            next_kill += args.kill_every
            _log(f"killed a worker ({kills} so far); {dict(load.statuses)}")
    load.stop.set()
    for thread in threads:
        thread.join(60)
    _log("load stopped; waiting for the import")
    import_err = importer.communicate(timeout=3600)[1]
    server.stop()
    findings = verify(work, url, load, server.output())
    findings.update(minutes=args.minutes, kills=kills, statuses=dict(load.statuses), homes=args.homes,
                    import_rows=args.import_rows, import_exit=importer.returncode,
                    import_stderr=import_err.strip()[-300:], workers=2, database="sqlite (WAL)")
    out = RESULTS / f"soak-{stamp}.json"
    out.write_text(json.dumps(findings, indent=2, ensure_ascii=False), encoding="utf-8")
    _log(f"results in {out}")
    print(json.dumps(findings, indent=2, ensure_ascii=False))
    ok = (findings["missing_acknowledged_writes"] == 0 and findings["check_exit"] == 0
          and findings["http_500_in_access_log"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
