"""Where the OpenSearch/Elasticsearch node's own time goes, per family of the mix: today's one request (hits,
facets, exact total), the hits alone, the facets alone from the node's request cache; and a deep page by
`page=` against the same page by cursor (`search_after`).

    python -m bench.node_time --db URL [--url http://127.0.0.1:9200] [--runs 100]

Needs the index `bench-homes` that `python -m bench.worker build --backend opensearch` builds. Prints JSON
(the node's `took`, ms, p50/p95). Never part of the test run.
"""

import argparse
import json
import sys
from dataclasses import replace

from app import create_app
from bench.mix import FAMILIES, params_for, to_query
from search.backend import current_backend
from search.elastic import search_body, split_bodies


def _pct(samples):
    ordered = sorted(samples)
    return {"p50": ordered[len(ordered) // 2], "p95": ordered[int(0.95 * (len(ordered) - 1))]}


def _family(backend, family, runs):
    client, combined, hits, facets = backend.search_client, [], [], []
    for params in params_for(family, runs):
        query = to_query(params)
        combined.append(client.search(index=backend.alias, body=search_body(query))["took"])
        hits_body, counts_body = split_bodies(query)
        hits_body = {**hits_body, "track_total_hits": False}
        client.search(index=backend.alias, body=counts_body, request_cache=True)  # fills the cache
        hits.append(client.search(index=backend.alias, body=hits_body)["took"])
        facets.append(client.search(index=backend.alias, body=counts_body, request_cache=True)["took"])
    return {"combined": _pct(combined), "hits_only": _pct(hits), "facets_cached": _pct(facets)}


def _deep(backend, per_page=25, first=351, last=400):
    query, after, by_cursor = to_query({"sort": "price", "per_page": per_page}), None, []
    for page in range(1, last + 1):
        result = backend.search(replace(query, page=page, after=after, with_facets=False))
        if page >= first:
            by_cursor.append(result.engine_ms)
        after = result.last_key
    by_page = [backend.search(replace(query, page=n, with_facets=False)).engine_ms for n in range(first, last + 1)]
    return {"by_page": _pct(by_page), "by_cursor": _pct(by_cursor)}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.db, SEARCH_BACKEND="opensearch",
                     ELASTICSEARCH_URL=args.url, SEARCH_INDEX_ALIAS="bench-homes", SEARCH_TIMEOUT_S=30)
    with app.app_context():
        backend = current_backend()
        figures = {family: _family(backend, family, args.runs) for family in FAMILIES}
        figures["deep_page_351_400_price"] = _deep(backend)
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
