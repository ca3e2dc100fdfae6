"""`make bench-relevance`: the judged query set (judged.py, queries.json) on the 3,000-home demo, per backend.

Reports precision@10 (share of the returned top 10 that are right answers, grade >= 1, as Elasticsearch's
`_rank_eval` precision counts), strict precision@10 (exact answers, grade 2, over min(10, how many exist)),
nDCG@10 (graded), the zero-result rate of answerable queries and the nonsense hit rate; on OpenSearch also
`_rank_eval` precision and nDCG as a cross-check. Every query goes through query understanding, as the search
page and the API run it (search.service.understood_search). Results: bench/results/relevance-<stamp>.json.
"""

import argparse
import json
import logging
import math
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path

from bench.relevance.judged import QUERIES, grade

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "bench" / "results" / "tmp"
TARGETS = {"precision_at_10": 0.9, "zero_result_rate": 0.01, "nonsense_hit_rate": 0.0, "backend_gap": 0.02}


def _log(message):
    print(f"[relevance {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _app(homes, seed):
    from app import create_app

    WORK.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{WORK / f'relevance-{homes}-{seed}.sqlite3'}"
    return create_app("development", SQLALCHEMY_DATABASE_URI=url,
                      SEARCH_INDEX_PATH=str(WORK / f"relevance-{homes}-{seed}.index")), url


def demo_documents(homes=3000, seed=1):
    """Seed (once) the demo market of HOMES homes from SEED and return every home's search document."""
    from core.extensions import db
    from demo.market import seed_demo
    from geo.services import load_regions
    from marketplace.search_documents import iter_all_documents

    app, url = _app(homes, seed)
    marker = Path(url.removeprefix("sqlite:///")).with_suffix(".done")
    with app.app_context():
        if not marker.exists():
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            db.create_all()
            load_regions()
            _log(f"seeding {homes} demo homes (seed {seed})")
            seed_demo(homes=homes, seed=seed)
            marker.write_text("ok")
        return list(iter_all_documents())


def final_query(backend, query, lexicon, result):
    """Return the structured query whose answer RESULT is (the dropped words left out)."""
    from search.service import _matches_nothing, structured_query
    from search.understanding import understand

    understood = understand(query.text, lexicon, known=lambda word: not _matches_nothing(backend, word))
    kept = replace(understood, free_words=tuple(w for w in understood.free_words if w not in result.dropped))
    # a word kept although it matches nothing as typed was kept for a typo of a name word (search/service.py)
    mistyped = tuple(w for w in kept.free_words if result.total and _matches_nothing(backend, w))
    return structured_query(query, kept, typo_words=mistyped)


def _dcg(grades):
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def evaluate(backend, judged, docs):
    """Run every judged query on BACKEND; return (summary, per-query rows)."""
    from marketplace.search_terms import lexicon
    from search.query import SearchQuery
    from search.service import understood_search

    by_id, rows = {d["id"]: d for d in docs}, []
    for j in judged:
        query = SearchQuery(text=j["q"], per_page=10, with_facets=False)
        started = time.perf_counter()
        result = understood_search(backend, query, lexicon())
        ms = (time.perf_counter() - started) * 1000
        grades = [grade(by_id[h.id], j) for h in result.hits]
        all_grades = sorted((g for g in (grade(d, j) for d in docs) if g), reverse=True)
        exact = sum(1 for g in all_grades if g == 2)
        rows.append({
            "q": j["q"], "kind": j["kind"], "total": result.total, "ids": [h.id for h in result.hits],
            "grades": grades, "ms": round(ms, 2), "dropped": list(result.dropped),
            "p10": sum(g >= 1 for g in grades) / len(grades) if grades else 0.0,
            "strict_p10": (sum(g == 2 for g in grades) / min(10, exact)) if exact else None,
            "ndcg10": _dcg(grades) / _dcg(all_grades[:10]) if all_grades else None,
            "final_query": final_query(backend, query, lexicon(), result),
        })
    return summarise(rows), rows


def _mean(values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def summarise(rows):
    """Return the headline figures of the per-query ROWS."""
    answerable = [r for r in rows if r["kind"] == "answerable"]
    nonsense = [r for r in rows if r["kind"] == "nonsense"]
    return {
        "queries": len(rows), "answerable": len(answerable), "nonsense": len(nonsense),
        "precision_at_10": _mean([r["p10"] for r in answerable]),
        "strict_precision_at_10": _mean([r["strict_p10"] for r in answerable]),
        "ndcg_at_10": _mean([r["ndcg10"] for r in answerable]),
        "zero_result_rate": round(sum(r["total"] == 0 for r in answerable) / max(1, len(answerable)), 4),
        "nonsense_hit_rate": round(sum(r["total"] > 0 for r in nonsense) / max(1, len(nonsense)), 4),
        "nonsense_homes": sum(r["total"] for r in nonsense),
        "mean_ms": _mean([r["ms"] for r in rows]),
    }


def rank_eval(backend, rows, judged, docs):
    """Cross-check on OpenSearch: `_rank_eval` precision@10 and nDCG@10 over the answerable queries."""
    from search.elastic import search_body

    by_id, requests, index = {d["id"]: d for d in docs}, [], backend._aliased_indices()[0][0]
    for i, (row, j) in enumerate(zip(rows, judged)):
        if j["kind"] != "answerable":
            continue
        body = search_body(replace(row["final_query"], with_facets=False))
        rated = {doc_id for doc_id in row["ids"]}
        ratings = [{"_index": index, "_id": str(doc_id), "rating": grade(by_id[doc_id], j)}
                   for doc_id in rated]
        requests.append({"id": f"q{i}", "request": {"query": body["query"], "sort": body["sort"]},
                         "ratings": ratings})
    out = {}
    for name, metric in (("precision_at_10", {"precision": {"k": 10, "relevant_rating_threshold": 1}}),
                         ("dcg_at_10", {"dcg": {"k": 10, "normalize": False}})):
        response = backend.client.rank_eval(index=backend.alias, body={"requests": requests, "metric": metric})
        out[name] = round(response["metric_score"], 4)
    return out


def _embedded(docs, homes, seed):
    from search.embedded import EmbeddedBackend

    path = WORK / f"relevance-{homes}-{seed}-{uuid.uuid4().hex[:8]}.index"
    backend = EmbeddedBackend(str(path))
    backend.reindex(docs)
    return backend, path


def _opensearch(url, docs):
    from search.elastic import ElasticBackend

    backend = ElasticBackend.connect("opensearch", url, alias=f"bench-relevance-{uuid.uuid4().hex[:8]}")
    backend.reindex(docs)
    return backend


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--opensearch-url", default=os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200"))
    args = parser.parse_args(argv)
    logging.getLogger("opensearch").setLevel(logging.WARNING)  # one line per request drowns the report
    judged = json.loads(QUERIES.read_text(encoding="utf-8"))
    app, _url = _app(args.homes, args.seed)
    docs = demo_documents(args.homes, args.seed)
    report = {"homes": len(docs), "judged": len(judged), "targets": TARGETS, "backends": {}}
    with app.app_context():
        backend, path = _embedded(docs, args.homes, args.seed)
        summary, rows = evaluate(backend, judged, docs)
        report["backends"]["embedded"] = {"summary": summary, "misses": _misses(rows)}
        _log(f"embedded: {summary}")
        backend.close()
        for leftover in WORK.glob(path.name + "*"):
            leftover.unlink()
        try:
            os_backend = _opensearch(args.opensearch_url, docs)
        except Exception as exc:  # no node: report the embedded figures alone
            _log(f"opensearch skipped: {type(exc).__name__}")
        else:
            try:
                summary, os_rows = evaluate(os_backend, judged, docs)
                summary["rank_eval"] = rank_eval(os_backend, os_rows, judged, docs)
                report["backends"]["opensearch"] = {"summary": summary, "misses": _misses(os_rows)}
                report["same_top10"] = sum(a["ids"] == b["ids"] for a, b in zip(rows, os_rows))
                _log(f"opensearch: {summary}")
            finally:
                os_backend.drop_everything()
    out = ROOT / "bench" / "results" / f"relevance-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    _log(f"wrote {out}")
    return report


def _misses(rows):
    def missed(r):
        return r["total"] > 0 if r["kind"] == "nonsense" else r["p10"] < 1 or r["total"] == 0

    return [{k: r[k] for k in ("q", "kind", "total", "p10", "grades", "dropped")} for r in rows if missed(r)]


if __name__ == "__main__":
    main()
