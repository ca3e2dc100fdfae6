"""One measured step of the benchmark, run in its own process so its peak memory is its own.

    python -m bench.worker build   --db URL --index PATH [--backend embedded|opensearch --url URL]
    python -m bench.worker search  --db URL --index PATH [--backend ...] --runs N
    python -m bench.worker open    --db URL --index PATH --runs N   (a new worker: open + first query, memory)
    python -m bench.worker answers --db URL --index PATH --out FILE [--against FILE]  (2,000 answers)

Prints one JSON object on stdout.
"""

import argparse
import json
import resource
import statistics
import sys
import time

STARTED = time.perf_counter()  # before the app's imports: "open" counts them as a new worker pays them

from app import create_app  # noqa: E402  (after STARTED, on purpose)
from bench.mix import FAMILIES, params_for, to_query  # noqa: E402


def _peak_rss_mb(pid="self"):
    """A process's own peak resident memory in MiB (this one's by default).

    VmHWM, not getrusage: Linux carries ru_maxrss across execve, so a worker started by a parent that
    seeded a large database would report the parent's peak as its own.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: the best there is


def _app(args):
    overrides = {"SQLALCHEMY_DATABASE_URI": args.db, "SEARCH_INDEX_PATH": args.index,
                 "SEARCH_BACKEND": args.backend, "ELASTICSEARCH_URL": args.url, "SEARCH_INDEX_ALIAS": "bench-homes",
                 "SEARCH_TIMEOUT_S": 30}
    return create_app("development", **overrides)


def build(args):
    """Rebuild the index from SQL; report seconds and peak memory."""
    from marketplace.search_documents import iter_all_documents
    from search.backend import current_backend

    with _app(args).app_context():
        started = time.perf_counter()
        count = current_backend().reindex(iter_all_documents(batch_size=2000))
        seconds = time.perf_counter() - started
    # the forked document builders are separate processes: report the largest one too (it counts the pages
    # it shares copy-on-write with this process, so parent + workers x largest is an upper bound)
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"documents": count, "seconds": round(seconds, 2), "peak_rss_mb": round(_peak_rss_mb(), 1),
            "largest_pool_worker_rss_mb": round(child_mb, 1)}


def _percentiles(samples_ms):
    ordered = sorted(samples_ms)
    pick = lambda p: ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]  # noqa: E731
    return {"p50": round(pick(50), 2), "p95": round(pick(95), 2), "p99": round(pick(99), 2),
            "mean": round(statistics.fmean(ordered), 2), "n": len(ordered)}


def search(args):
    """Run the query mix in process; report latency percentiles per family and the raw engine time."""
    from marketplace.search_terms import lexicon
    from search.backend import current_backend
    from search.service import understood_search

    with _app(args).app_context():
        backend = current_backend()
        words = lexicon()
        backend.search(to_query({"q": "养老"}))  # load the index once, as a warm worker would have it
        loaded_rss = _peak_rss_mb()
        families = {}
        for family in FAMILIES:
            queries = [to_query(p) for p in params_for(family, args.runs)]
            total, engine = [], []
            for query in queries:
                t0 = time.perf_counter()
                # as the API runs it: the typed words understood first (search.service.run_search)
                result = understood_search(backend, query, words) if query.text else backend.search(query)
                total.append((time.perf_counter() - t0) * 1000)
                engine.append(result.engine_ms or 0.0)
            stats = _percentiles(total)
            raw_ms = statistics.fmean(engine)
            stats["raw_engine_mean_ms"] = round(raw_ms, 3)
            stats["overhead_ratio"] = round(stats["mean"] / raw_ms, 2) if raw_ms else None
            families[family] = stats
    return {"families": families, "rss_after_load_mb": round(loaded_rss, 1), "peak_rss_mb": round(_peak_rss_mb(), 1)}


def memory_mb(pid="self"):
    """A process's resident and proportional (PSS: shared pages divided among their users) memory in MiB; for
    another process (a gunicorn worker), its peak resident too."""
    figures = {} if pid == "self" else {"peak_rss": round(_peak_rss_mb(pid), 1)}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Shared_Clean", "Private_Clean", "Private_Dirty"):
                figures[name.lower()] = round(int(rest.split()[0]) / 1024, 1)
    return figures


def open_and_mix(args):
    """As a new worker: open the index, run a first query, then the mix; report the times and memory.

    Prints {"ready": true} and waits for a line on stdin before reading its memory, so the parent can hold
    several of these processes alive together and read each one's share (PSS) as gunicorn workers would have it.
    """
    from marketplace.search_terms import lexicon
    from search.backend import current_backend
    from search.service import understood_search

    app = _app(args)
    with app.app_context():
        app_s = time.perf_counter() - STARTED
        t0 = time.perf_counter()
        backend = current_backend()
        backend.search(to_query({"q": "护理"}))
        first_s = time.perf_counter() - t0
        loading_peak = _peak_rss_mb()
        after_open = memory_mb()
        words = lexicon()
        for family in FAMILIES:
            for query in (to_query(p) for p in params_for(family, args.runs)):
                understood_search(backend, query, words) if query.text else backend.search(query)
        print(json.dumps({"ready": True}), flush=True)
        sys.stdin.readline()
        return {"app_s": round(app_s, 3), "open_first_query_s": round(first_s, 3),
                "loading_peak_rss_mb": round(loading_peak, 1), "after_open": after_open,
                "after_mix": memory_mb(), "peak_rss_mb": round(_peak_rss_mb(), 1)}


def _answer(result):
    return {"total": result.total, "unpriced": result.unpriced_excluded, "ids": [h.id for h in result.hits],
            "scores": [round(h.score, 6) for h in result.hits],
            "distances": [None if h.distance_km is None else round(h.distance_km, 6) for h in result.hits],
            "facets": {name: [list(pair) for pair in pairs] for name, pairs in sorted(result.facets.items())}}


def answers(args):
    """Record (or compare with --against) the ids, order, scores, distances and facets of 1,000 queries of the
    mix, and of 1,000 of the HTTP mix run as the API runs them (the typed words understood first)."""
    from bench.mix import wide_params
    from marketplace.search_terms import lexicon
    from search.backend import current_backend
    from search.service import understood_search

    with _app(args).app_context():
        backend, words = current_backend(), lexicon()
        got = {}
        for family in FAMILIES:
            for i, params in enumerate(params_for(family, 200, seed=11)):
                got[f"{family}-{i}"] = _answer(backend.search(to_query(params)))
        for i, params in enumerate(wide_params(200, seed=11)):
            query = to_query(params)
            got[f"wide-{i}"] = _answer(understood_search(backend, query, words) if query.text else
                                       backend.search(query))
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(got, out, ensure_ascii=False)
    if not args.against:
        return {"queries": len(got)}
    with open(args.against, encoding="utf-8") as before:
        expected = json.load(before)
    differ = sorted(key for key in expected if expected[key] != got.get(key))
    return {"queries": len(got), "compared": len(expected), "different": len(differ), "first": differ[:5]}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("build", "search", "open", "answers"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--backend", default="embedded")
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out")
    parser.add_argument("--against")
    args = parser.parse_args(argv)
    steps = {"build": build, "search": search, "open": open_and_mix, "answers": answers}
    print(json.dumps(steps[args.step](args)))


if __name__ == "__main__":
    sys.exit(main())
