"""Saved-search alerts at scale: many saved searches, a stream of vacancy changes (issue 15).

    python -m bench.saved_searches [--searches 100000] [--homes 3000] [--changes 200] [--rate 4]
                                   [--backend embedded|opensearch --url http://127.0.0.1:9200]
                                   [--db postgresql+psycopg://...  (a database of yours the run empties)]

Builds a demo market in a throwaway SQLite database, saves SEARCHES searches for 1,000 families (city, district,
province, near a place with a radius; care levels, price limits, free beds, grades, features), then measures:

* matching: the changed documents of 500 homes (their free beds raised) matched against every stored query,
  on the chosen backend (OpenSearch: the percolator index; embedded: the QueryTable), as documents and
  alerts (matched query-document pairs) per second;
* delay: with a worker process running (outbox drain + notification delivery, as `flask search worker` and
  `flask notify worker` do), CHANGES homes whose beds were all taken free a bed at RATE per second through
  marketplace.services.confirm_vacancies (the provider API's service); for each alert recorded, the time
  from the change's commit to the notification (recorded) and to its e-mail (sent), as p50/p95/max.

Prints one JSON object and writes it to bench/results/saved-searches-<backend>-<searches>-rate<rate>.json.
"""

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _app(db_url, index, backend, url, alias):
    from app import create_app

    return create_app("development", SQLALCHEMY_DATABASE_URI=db_url, SEARCH_INDEX_PATH=index, SEARCH_BACKEND=backend,
                      ELASTICSEARCH_URL=url, SEARCH_INDEX_ALIAS=alias, SEARCH_SYNC="worker", MAIL_BACKEND="locmem",
                      SEARCH_TIMEOUT_S=60, LOG_LEVEL="WARNING")


def _queries(rng, count):
    """COUNT saved-search queries drawn from the shapes families save."""
    from geo.gazetteer import gazetteer
    from search.query import CARE_LEVELS, SearchQuery

    gz = gazetteer()
    cities, districts = gz.cities, gz.districts
    out = []
    for _ in range(count):
        shape, level = rng.random(), rng.choice(CARE_LEVELS)
        if shape < 0.40:
            q = SearchQuery(city=rng.choice(cities).code, care_level=level, has_vacancy=True,
                            max_price_fen=rng.randrange(3000, 12000, 500) * 100)
        elif shape < 0.60:
            q = SearchQuery(district=rng.choice(districts).code, has_vacancy=True)
        elif shape < 0.75:
            q = SearchQuery(province=rng.choice(gz.provinces).code, care_level=level, has_vacancy=True,
                            min_grade=rng.randint(2, 5))
        elif shape < 0.90:
            city = rng.choice(cities)
            q = SearchQuery(near=(city.lat, city.lon), radius_km=float(rng.choice((5, 10, 20, 30))),
                            care_level=level, has_vacancy=True)
        else:
            q = SearchQuery(city=rng.choice(cities).code, features=("dementia_unit",), has_vacancy=True)
        out.append(q)
    return out


def _seed(args, rng):
    """The market, 1,000 families and their saved searches; return the stored (id, query) items."""
    import sqlalchemy as sa

    from accounts.models import User
    from core.extensions import db
    from geo.services import load_regions
    from notify.saved_searches import SavedSearch
    from search.query import query_to_dict

    db.drop_all()
    db.create_all()
    load_regions()
    from flask import current_app

    result = current_app.test_cli_runner().invoke(args=["demo", "seed", "--homes", str(args.homes)])
    assert result.exit_code == 0, result.output
    db.session.execute(sa.insert(User), [{"email": f"bench-family-{i}@example.cn", "role": "family",
                                          "display_name": f"family {i}"} for i in range(1000)])
    user_ids = db.session.scalars(sa.select(User.id).where(User.role == "family")).all()
    queries = _queries(rng, args.searches)
    rows = [{"user_id": rng.choice(user_ids), "name": f"search {i}", "frequency": "immediately",
             "args": {}, "query": query_to_dict(q)} for i, q in enumerate(queries)]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(SavedSearch), rows[start:start + 5000])
    db.session.commit()
    ids = db.session.scalars(sa.select(SavedSearch.id).order_by(SavedSearch.id)).all()
    return list(zip(ids, queries))


def _freed(doc, rng):
    """DOC with a free bed or more at every care level it offers (a newer version)."""
    from search.query import CARE_LEVELS

    freed = {**doc, "version": doc["version"] + 1}
    total = 0
    for level in CARE_LEVELS:
        if level in (doc.get("care_levels") or ()):
            freed[f"free_{level}"] = rng.randint(1, 5)
            total += freed[f"free_{level}"]
    freed["beds_free"] = total
    return freed


def _matching(backend, items, rng):
    """Match 500 freed documents against every stored query; report throughput."""
    import sqlalchemy as sa

    from core.extensions import db
    from marketplace.models import Home
    from notify.saved_searches import _fingerprint
    from search import sources, stored

    ids = db.session.scalars(sa.select(Home.id).order_by(Home.id)).all()
    docs = [_freed(d, rng) for d in sources.documents_for(rng.sample(ids, min(500, len(ids)))).values()]
    started = time.perf_counter()
    stored.matching(backend, docs[:1], lambda: items, _fingerprint())  # embedded: builds the QueryTable
    warm_s = time.perf_counter() - started
    started = time.perf_counter()
    found = stored.matching(backend, docs, lambda: items, _fingerprint())
    seconds = time.perf_counter() - started
    pairs = sum(len(v) for v in found.values())
    return {"documents": len(docs), "matched_pairs": pairs, "seconds": round(seconds, 3),
            "documents_per_s": round(len(docs) / seconds, 1), "alerts_per_s": round(pairs / seconds, 1),
            "first_call_s (embedded: loads the query table)": round(warm_s, 2)}


def _percentiles(values):
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    pick = lambda p: ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]  # noqa: E731
    return {"n": len(ordered), "p50": round(pick(50), 3), "p95": round(pick(95), 3), "max": round(ordered[-1], 3)}


def _stream(args, rng, worker_cmd):
    """Take every bed of CHANGES homes, start the worker, free a bed in each at RATE per second; measure."""
    import sqlalchemy as sa

    from core import time as clock
    from core.extensions import db
    from marketplace import services
    from marketplace.models import Home
    from notify.models import Delivery, Notification
    from search.backend import current_backend
    from search.outbox import drain

    actor = services.Actor(user=None, api_client_id="bench", channel="api")  # as the provider API's calls
    homes = rng.sample(db.session.scalars(sa.select(Home).where(Home.is_demo.is_(True))).all(), args.changes)
    for home in homes:
        services.confirm_vacancies(home, {v.care_level: 0 for v in home.vacancies}, actor)
    drain(current_backend())
    workers = [subprocess.Popen(worker_cmd + ["--role", role], stdout=subprocess.PIPE, text=True)
               for role in ("drain", "deliver")]
    assert all(w.stdout.readline().strip() == "ready" for w in workers)
    changed_at = {}
    try:
        for home in homes:
            services.confirm_vacancies(home, {v.care_level: rng.randint(1, 5) for v in home.vacancies}, actor)
            changed_at[(home.id, home.version)] = clock.utcnow()
            time.sleep(1 / args.rate)
        deadline = time.time() + 120
        while time.time() < deadline and current_backend_outbox_pending():
            db.session.rollback()
            time.sleep(0.5)
        time.sleep(15)  # e-mails: whatever the notify worker sends in 15 s more (its throughput is reported)
    finally:
        for w in workers:
            w.terminate()
            w.wait()
    db.session.rollback()
    recorded, sent = [], []
    rows = db.session.execute(sa.select(Notification.dedupe_key, Notification.created_at, Delivery.sent_at)
                              .join(Delivery, Delivery.notification_id == Notification.id, isouter=True)
                              .where(Notification.kind == "saved_search_match")).all()
    for key, created_at, sent_at in rows:
        _saved, _sid, hid, version = key.split(":")
        at = changed_at.get((int(hid), int(version[1:])))
        if at is None:
            continue
        recorded.append((created_at - at).total_seconds())
        if sent_at is not None:
            sent.append((sent_at - at).total_seconds())
    unsent = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status != "sent"))
    return {"changes": len(homes), "rate_per_s": args.rate, "alerts": len(rows), "emails_unsent_at_end": unsent,
            "change_to_notification_s": _percentiles(recorded), "change_to_email_sent_s": _percentiles(sent)}


def current_backend_outbox_pending():
    """Outbox rows still waiting."""
    from search.outbox import pending_count

    return pending_count()


def worker(args):
    """A worker process until killed: --role drain (as `flask search worker`: the outbox, matching saved
    searches) or deliver (as `flask notify worker`: e-mails)."""
    from notify.delivery import deliver_due
    from notify.saved_searches import _all_queries, _fingerprint
    from search import stored
    from search.backend import current_backend
    from search.outbox import drain_batch

    with _app(args.db, args.index, args.backend, args.url, args.alias).app_context():
        backend = current_backend()
        stored.matching(backend, [], _all_queries, _fingerprint())  # a warm worker has its query table
        print("ready", flush=True)
        while True:
            done = drain_batch(backend, 500) if args.role == "drain" else deliver_due(200)
            if not done:
                time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "worker"))
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--homes", type=int, default=3000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--backend", default="embedded", choices=("embedded", "opensearch"))
    parser.add_argument("--url", default=None)
    parser.add_argument("--db"), parser.add_argument("--index"), parser.add_argument("--alias")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--role", default="drain", choices=("drain", "deliver"))
    args = parser.parse_args(argv)
    if args.mode == "worker":
        return worker(args)
    tmp = Path(tempfile.mkdtemp(prefix="bench-saved-"))
    # --db: a database of your own that the run may empty (PostgreSQL, as production); default a new SQLite file
    args.db, args.index = args.db or f"sqlite:///{tmp / 'bench.sqlite3'}", str(tmp / "index.sqlite3")
    args.alias = f"bench-saved-{uuid.uuid4().hex[:8]}"
    rng = random.Random(args.seed)
    from search import stored
    from search.backend import current_backend

    with _app(args.db, args.index, args.backend, args.url, args.alias).app_context():
        started = time.perf_counter()
        items = _seed(args, rng)
        seeded_s = time.perf_counter() - started
        backend = current_backend()
        started = time.perf_counter()
        stored.store(backend, items)
        stored_s = time.perf_counter() - started
        report = {"backend": args.backend, "database": args.db.split(":")[0], "searches": len(items),
                  "homes": args.homes, "changes": args.changes,
                  "seed_s": round(seeded_s, 1), "store_queries_s": round(stored_s, 1),
                  "matching": _matching(backend, items, rng)}
        worker_cmd = [sys.executable, "-m", "bench.saved_searches", "worker", "--db", args.db, "--index", args.index,
                      "--backend", args.backend, "--alias", args.alias] + (["--url", args.url] if args.url else [])
        report["stream"] = _stream(args, rng, worker_cmd)
        if hasattr(backend, "drop_everything"):
            backend.drop_everything()
        from core.extensions import db

        db.session.remove()
        db.drop_all()
    shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"saved-searches-{args.backend}-{args.searches}-rate{args.rate:g}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
