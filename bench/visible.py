"""`make bench-visible`: time to visible. The production stack (gunicorn, APP_CONFIG=production,
SEARCH_SYNC=worker, PostgreSQL, Redis, the real OpenSearch node, one `flask search worker`); an operator's API
client changes free beds, and we time each change from the acknowledged PUT until a family's search shows it.
Target: p95 under 2 s. Never part of the test run; the figures go to BENCHMARKS.md by hand."""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.ops.stack import api_token, beds_in_search, production_stack, reachable


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(base, setup, changes):
    """Make CHANGES free-bed changes round-robin over the operator's homes; return the seconds each took."""
    headers = {"Authorization": f"Bearer {api_token(base, setup)}"}
    delays = []
    for i in range(changes):
        home = setup["homes"][i % len(setup["homes"])]
        wanted = {level: (i * 7 + j) % 50 + 1 for j, level in enumerate(home["levels"] or ["self_care"])}
        response = requests.put(f"{base}/api/v1/provider/homes/{home['home']}/vacancies", headers=headers,
                                json={"free_beds": wanted}, timeout=10)
        response.raise_for_status()
        acknowledged = time.perf_counter()
        expected = sum(v["beds_free"] for v in response.json()["vacancies"])
        while beds_in_search(base, home["name"]).get(home["home"]) != expected:
            if time.perf_counter() - acknowledged > 30:
                raise RuntimeError(f"change {i} not visible after 30 s")
            time.sleep(0.02)
        delays.append(time.perf_counter() - acknowledged)
    return delays


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--worker-interval", type=float, default=0.2)
    args = parser.parse_args()
    url = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
    if not reachable(url):
        raise SystemExit(f"no OpenSearch node at {url}: run `make opensearch` first")
    with tempfile.TemporaryDirectory() as tmp, \
            production_stack(Path(tmp), url, homes=args.homes, provider_homes=20,
                             worker_interval=args.worker_interval) as (base, setup, _):
        delays = measure(base, setup, args.changes)
    result = {"changes": len(delays), "worker_interval_s": args.worker_interval,
              "p50_s": round(statistics.median(delays), 3), "p95_s": round(_percentile(delays, 0.95), 3),
              "max_s": round(max(delays), 3), "target_p95_s": 2.0}
    result["met"] = result["p95_s"] <= result["target_p95_s"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
