"""`make bench`: 100,000 demo homes and 1,000,000 reviews, the index build, and the family query mix in process,
over HTTP (gunicorn on loopback, 16 concurrent clients) and against a real OpenSearch node when one runs.

Results go to bench/results/<stamp>.json and the table in BENCHMARKS.md. Never part of the test run.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

from bench.mix import to_path
from core import time as clock

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "results" / "tmp"
TARGETS = {"p95_ms": 30, "http_rps": 700, "http_p99_ms": 40, "http_static_ratio": 0.3, "overhead_ratio": 1.5,
           "build_s": 60, "peak_rss_mb": 1024}


def _log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _db_url(homes, reviews, seed):
    return f"sqlite:///{WORK / f'bench-{homes}-{reviews}-{seed}.sqlite3'}"


def seed(homes, reviews, seed_value, fresh):
    """Seed the benchmark database once (reused while homes/reviews/seed are unchanged)."""
    from app import create_app
    from core.extensions import db
    from demo.market import seed_demo
    from demo.review_records import seed_demo_reviews
    from geo.services import load_regions

    url = _db_url(homes, reviews, seed_value)
    path = Path(url.removeprefix("sqlite:///"))
    marker = path.with_suffix(".done")
    if marker.exists() and not fresh:
        _log(f"reusing {path.name}")
        return url, json.loads(marker.read_text())
    path.unlink(missing_ok=True)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SEARCH_INDEX_PATH=str(WORK / "unused.sqlite3"))
    with app.app_context():
        db.create_all()
        load_regions()
        t0 = time.perf_counter()
        seed_demo(homes=homes, seed=seed_value)
        t1 = time.perf_counter()
        seed_demo_reviews(reviews=reviews, seed=seed_value)
        t2 = time.perf_counter()
    figures = {"seed_homes_s": round(t1 - t0, 1), "seed_reviews_s": round(t2 - t1, 1)}
    marker.write_text(json.dumps(figures))
    _log(f"seeded {homes} homes in {figures['seed_homes_s']}s, {reviews} reviews in {figures['seed_reviews_s']}s")
    return url, figures


def _worker(step, db_url, index, backend="embedded", url=None, runs=200):
    cmd = [sys.executable, "-m", "bench.worker", step, "--db", db_url, "--index", str(index),
           "--backend", backend, "--runs", str(runs)] + (["--url", url] if url else [])
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"bench.worker {step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def new_workers(db_url, index, workers=2, runs=50):
    """Start WORKERS new search processes together, as gunicorn starts its workers: each opens the index, answers
    a first query and runs the mix; their memory is read while all are still alive (PSS shares the mapped index).
    """
    cmd = [sys.executable, "-m", "bench.worker", "open", "--db", db_url, "--index", str(index), "--runs", str(runs)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(workers)]
    try:
        for proc in procs:
            if '"ready"' not in (proc.stdout.readline() or ""):
                raise RuntimeError(f"bench.worker open failed:\n{proc.communicate(timeout=60)[1][-3000:]}")
        figures = [json.loads(proc.communicate("go\n", timeout=120)[0].strip().splitlines()[-1]) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    worst = lambda key: max(f[key] for f in figures)  # noqa: E731
    return {"workers": figures, "open_first_query_s": worst("open_first_query_s"),
            "app_s": worst("app_s"), "loading_peak_rss_mb": worst("loading_peak_rss_mb"),
            "pss_after_mix_mb": max(f["after_mix"]["pss"] for f in figures), "peak_rss_mb": worst("peak_rss_mb")}


def _request_path(db_url, index, runs):
    """The whole request path in process (bench/path.py): per family, wall and CPU ms through the Flask app."""
    cmd = [sys.executable, "-m", "bench.path", "--db", db_url, "--index", str(index), "--runs", str(runs),
           "--deep-cursor"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"bench.path failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _python_load(port, paths, seconds, clients):
    """A plain threaded HTTP client (used when wrk is not installed)."""
    latencies, errors, stop = [], [0], time.monotonic() + seconds

    def client(offset):
        conn, i = HTTPConnection("127.0.0.1", port, timeout=30), offset
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn.request("GET", paths[i % len(paths)])
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - t0) * 1000)
            errors[0] += response.status != 200
            i += 1

    threads = [threading.Thread(target=client, args=(n * 37,)) for n in range(clients)]
    started = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    pick = lambda p: round(ordered[int(p / 100 * (len(ordered) - 1))], 2)  # noqa: E731
    return {"tool": "python-threads", "requests": len(ordered), "rps": round(len(ordered) / elapsed, 1),
            "p50_ms": pick(50), "p95_ms": pick(95), "p99_ms": pick(99), "errors": errors[0]}


def _wrk_load(port, paths_file, seconds, clients):
    env = {**os.environ, "BENCH_PATHS": str(paths_file)}
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "bench" / "mix.lua"),
           f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    figures = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    figures["rps"] = round(figures["requests"] / (figures["duration_us"] / 1e6), 1)
    figures["errors"] = figures.pop("errors_status") + figures.pop("errors_connect") + figures.pop("errors_timeout")
    return {"tool": "wrk", **figures}


def _home_paths(db_url, n=2000):
    """Paths of N single homes' JSON, spread over the whole table (seeded)."""
    import random
    import sqlite3

    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM homes")]
    rng = random.Random(11)
    return [f"/api/v1/homes/{rng.choice(ids)}" for _ in range(n)]


def _load(port, name, paths, seconds, clients):
    """Load the server with PATHS (cycled) for SECONDS: wrk when installed, else Python threads."""
    if not shutil.which("wrk"):
        return _python_load(port, paths, seconds, clients)
    paths_file = WORK / f"paths-{name}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    return _wrk_load(port, paths_file, seconds, clients)


def _worker_memory(master_pid):
    """Each gunicorn worker's memory (PSS, resident, peak resident) in MiB, read while all of them are alive."""
    from bench.worker import memory_mb

    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [memory_mb(pid) for pid in children]


def http(db_url, index, seconds, clients, workers, per_family=4000):
    """Serve with gunicorn on loopback; load it with CLIENTS concurrent clients: the wide search mix for SECONDS
    (at least 10,000 distinct queries, bench.mix.wide_params), then, in the same run, a static file and single
    homes' JSON for SECONDS / 2 each (the yardsticks the issue compares the search rate with)."""
    from bench.mix import wide_params

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "SEARCH_INDEX_PATH": str(index), "APP_CONFIG": "development"}
    threads = os.environ.get("BENCH_THREADS", "1")
    worker_class = ["-k", os.environ["BENCH_WORKER_CLASS"]] if os.environ.get("BENCH_WORKER_CLASS") else []
    # the production settings (docs/ops/gunicorn.conf.py: preloaded app, GUNICORN_PRELOAD=0 turns it off) with the
    # bench's workers, threads and worker class
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "docs" / "ops" / "gunicorn.conf.py"),
                               "-w", str(workers), "--threads", threads, *worker_class,
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"],
                              cwd=ROOT, env=env)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/v1/regions")
        paths = [to_path(p) for p in wide_params(per_family)]
        warm = [to_path({"q": "养老"})] * (workers * 4)
        _python_load(port, warm, 3, workers)  # every worker loads its index before we measure
        figures = {**_load(port, "search", paths, seconds, clients), "clients": clients, "workers": workers,
                   "paths": len(paths), "distinct_queries": len(set(paths))}
        figures["worker_memory_after_mix"] = _worker_memory(server.pid)
        figures["static"] = _load(port, "static", ["/static/css/app.css"], max(5, seconds // 2), clients)
        figures["home_json"] = _load(port, "home", _home_paths(db_url), max(5, seconds // 2), clients)
        figures["ratio_to_static"] = round(figures["rps"] / figures["static"]["rps"], 3)
        return figures
    finally:
        server.terminate()
        server.wait(timeout=30)


def _opensearch_url(explicit):
    url = explicit or os.environ.get("OPENSEARCH_URL") or "http://127.0.0.1:9200"
    try:
        urllib.request.urlopen(url, timeout=2).read()
        return url
    except OSError:
        return None


def _machine():
    meminfo, cpuinfo = Path("/proc/meminfo").read_text(), Path("/proc/cpuinfo").read_text()
    mem_kb = next(int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1024**2, 1),
            "python": platform.python_version(), "os": platform.platform()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--homes", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=200, help="queries per family in process")
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (and new workers started together)")
    parser.add_argument("--opensearch-url")
    parser.add_argument("--fresh", action="store_true", help="re-seed even if a matching database exists")
    parser.add_argument("--report", metavar="RESULTS_JSON", help="only print the table of an earlier run")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(Path(args.report).read_text(encoding="utf-8"))))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    db_url, seeding = seed(args.homes, args.reviews, args.seed, args.fresh)
    index = WORK / f"index-{args.homes}.sqlite3"
    results = {"when": clock.utcnow().isoformat(timespec="seconds"), "machine": _machine(),
               "homes": args.homes, "reviews": args.reviews, "seed": args.seed, "seeding": seeding}
    _log("building the embedded index")
    results["embedded_build"] = _worker("build", db_url, index)
    _log(f"build: {results['embedded_build']}")
    results["embedded_in_process"] = _worker("search", db_url, index, runs=args.runs)
    results["embedded_new_workers"] = new_workers(db_url, index, args.workers, runs=args.runs)
    _log(f"new workers: {results['embedded_new_workers']}")
    _log("in process: " + json.dumps(results["embedded_in_process"]["families"]))
    results["embedded_request_path"] = _request_path(db_url, index, args.runs)
    _log("request path: " + json.dumps(results["embedded_request_path"]))
    _log("HTTP load")
    results["embedded_http"] = http(db_url, index, args.http_seconds, args.clients, args.workers)
    _log(f"http: {results['embedded_http']}")
    os_url = _opensearch_url(args.opensearch_url)
    if os_url:
        _log(f"OpenSearch at {os_url}")
        results["opensearch_build"] = _worker("build", db_url, index, "opensearch", os_url)
        results["opensearch_in_process"] = _worker("search", db_url, index, "opensearch", os_url, runs=args.runs)
    else:
        results["opensearch"] = "skipped: no node answered (make opensearch starts one)"
    out = ROOT / "bench" / "results" / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.homes}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    _log(f"results written to {out.relative_to(ROOT)}")
    print(report(results))


def _mark(ok):
    return "✅" if ok else "❌"


def _new_worker_lines(figures):
    if not figures:
        return []
    return [f"- a new worker (of {len(figures['workers'])} started together): open + first query "
            f"{figures['open_first_query_s']} s (after {figures['app_s']} s of imports and app), loading peak "
            f"{figures['loading_peak_rss_mb']} MiB resident; after the whole mix {figures['pss_after_mix_mb']} MiB "
            f"PSS each, peak {figures['peak_rss_mb']} MiB resident"]


def _http_lines(h):
    lines = [f"- HTTP ({h['tool']}, {h['clients']} clients, {h['workers']} gunicorn workers, "
             f"{h.get('distinct_queries', '?')} distinct queries): {h['rps']} searches/s "
             f"{_mark(h['rps'] >= TARGETS['http_rps'])} (≥ {TARGETS['http_rps']}), p50 {h['p50_ms']} ms, "
             f"p95 {h['p95_ms']} ms, p99 {h['p99_ms']} ms {_mark(h['p99_ms'] <= TARGETS['http_p99_ms'])} "
             f"(≤ {TARGETS['http_p99_ms']}), errors {h['errors']} {_mark(h['errors'] == 0)}"]
    if h.get("worker_memory_after_mix"):
        memory = h["worker_memory_after_mix"]
        worst = max(m["pss"] for m in memory)
        lines += [f"- gunicorn workers after the HTTP mix: PSS {', '.join(str(m['pss']) for m in memory)} MiB "
                  f"{_mark(worst <= 150)} (≤ 150), peak resident {max(m.get('peak_rss', 0) for m in memory)} MiB"]
    if "static" in h:
        lines += [f"- same run: a static file {h['static']['rps']}/s, a single home's JSON {h['home_json']['rps']}/s "
                  f"(p99 {h['home_json']['p99_ms']} ms); searches ÷ static = {h['ratio_to_static']} "
                  f"{_mark(h['ratio_to_static'] >= TARGETS['http_static_ratio'])} (≥ {TARGETS['http_static_ratio']})"]
    return lines


def report(results):
    """Return a Markdown table of the results against the targets."""
    lines = ["| query family | p50 ms | p95 ms | p99 ms | raw engine ms (mean) | our overhead × | p95 target |",
             "|---|---|---|---|---|---|---|"]
    for backend in ("embedded", "opensearch"):
        fam = results.get(f"{backend}_in_process", {}).get("families", {})
        for name, s in fam.items():
            lines.append(f"| {backend}: {name} | {s['p50']} | {s['p95']} | {s['p99']} | {s['raw_engine_mean_ms']} | "
                         f"{s['overhead_ratio']} | {_mark(s['p95'] <= TARGETS['p95_ms'])} ≤ {TARGETS['p95_ms']} |")
    for name, s in results.get("embedded_request_path", {}).items():
        lines.append(f"| request path (Flask app, CPU ms in the cpu columns): {name} | {s.get('p50')} "
                     f"(cpu {s.get('cpu', s)['p50']}) | {s.get('p95')} (cpu {s.get('cpu', s)['p95']}) | "
                     f"{s.get('p99')} | | | |")
    b, h = results["embedded_build"], results["embedded_http"]
    lines += ["", f"- index build: {b['seconds']} s for {b['documents']} homes {_mark(b['seconds'] <= 60)} (≤ 60 s); "
              f"peak memory {b['peak_rss_mb']} MiB {_mark(b['peak_rss_mb'] <= 1024)} (≤ 1 GiB)",
              f"- search process after loading the index: {results['embedded_in_process']['rss_after_load_mb']} MiB",
              *_new_worker_lines(results.get("embedded_new_workers")),
              *_http_lines(h)]
    if "opensearch_build" in results:
        lines.append(f"- OpenSearch index build: {results['opensearch_build']['seconds']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
