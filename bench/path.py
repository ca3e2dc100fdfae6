"""The whole request path in process: the mix's families through the Flask test client (routing, argument
parsing, query understanding, the engine, facets, presenters, JSON, Babel), the single home's JSON, and where
the time goes (cProfile).

    python -m bench.path --db URL --index PATH [--runs 200] [--deep-cursor] [--profile FAMILY|home [tottime]]

Prints one JSON object (wall and CPU p50/p95/p99 per family, ms); with --profile, the top of the profile on
stderr instead.
Never part of the test run.
"""

import argparse
import cProfile
import io
import json
import pstats
import sys
import time

from app import create_app
from bench.mix import FAMILIES, params_for, to_path
from bench.worker import _percentiles


def _client(args):
    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.db, SEARCH_INDEX_PATH=args.index,
                     SEARCH_BACKEND=args.backend, ELASTICSEARCH_URL=args.url, SEARCH_INDEX_ALIAS="bench-homes",
                     SEARCH_TIMEOUT_S=30)
    return app, app.test_client()


def _timed(client, paths):
    """Wall and CPU ms per request: on a shared machine the CPU time is what the request itself costs."""
    wall, cpu = [], []
    for path in paths:
        t0, c0 = time.perf_counter(), time.thread_time()
        response = client.get(path)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return {**_percentiles(wall), "cpu": _percentiles(cpu)}


def _home_paths(app, client, n):
    ids = [item["id"] for item in client.get("/api/v1/homes?per_page=100").get_json()["items"]]
    return [f"/api/v1/homes/{ids[i % len(ids)]}" for i in range(n)]


def _cursor_walk(client, pages=400, per_page=25):
    """Walk the price sort by cursor to the PAGES-th page; return the CPU ms of the last 50 steps."""
    path, samples = f"/api/v1/homes?sort=price&per_page={per_page}", []
    for _ in range(pages):
        t0 = time.thread_time()
        body = client.get(path).get_json()
        samples.append((time.thread_time() - t0) * 1000)
        if not body.get("next_cursor"):
            break
        path = f"/api/v1/homes?sort=price&per_page={per_page}&cursor={body['next_cursor']}"
    return _percentiles(samples[-50:])


def _profile(client, paths, order="cumulative", top=35):
    profiler = cProfile.Profile()
    profiler.enable()
    for path in paths:
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
    print(out.getvalue(), file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--backend", default="embedded")
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", help="a family name, or home")
    parser.add_argument("order", nargs="?", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--deep-cursor", action="store_true", help="also walk 400 pages by cursor")
    args = parser.parse_args(argv)
    app, client = _client(args)
    client.get(to_path({"q": "养老"}))  # load the index, as a warm worker has it
    paths = {family: [to_path(p) for p in params_for(family, args.runs)] for family in FAMILIES}
    paths["home_json"] = _home_paths(app, client, args.runs)
    if args.profile:
        _profile(client, paths["home_json" if args.profile == "home" else args.profile], args.order)
        return
    figures = {family: _timed(client, family_paths) for family, family_paths in paths.items()}
    if args.deep_cursor:
        figures["deep_page_by_cursor"] = _cursor_walk(client)
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
