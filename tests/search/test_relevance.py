"""The regression subset of the judged query set (bench/relevance): the same judgements, built from a small
seeded demo market, on every available backend. The full set and its figures: `make bench-relevance`."""

from datetime import UTC, datetime

import pytest

from bench.relevance.judged import NONSENSE, build
from bench.relevance.run import evaluate
from demo.market import seed_demo
from marketplace.search_documents import iter_all_documents

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
EXAMPLES = ("南京鼓楼", "杭州西湖", "宁波鄞州", "南通如皋", "失智 老人", "护理院", "suzhou", "鼓楼", "hangzou")


@pytest.fixture
def judged_market(app, backend):
    seed_demo(900, seed=3, now=NOW)
    docs = list(iter_all_documents())
    backend.upsert(docs)
    judged = build(docs)
    # a fixed slice of every family of the set: places, pinyin and English, care words, typos, nonsense
    subset = judged[:12] + judged[40:52] + judged[70:100:2] + [j for j in judged if j["q"] in EXAMPLES]
    subset += [j for j in judged if j["kind"] == "nonsense" or j.get("family")]  # nonsense, typos, initials
    return backend, list({j["q"]: j for j in subset}.values()), docs


def test_the_judged_subset_meets_the_relevance_targets(judged_market):
    backend, judged, docs = judged_market
    summary, rows = evaluate(backend, judged, docs)
    misses = [(r["q"], r["p10"], r["total"]) for r in rows if r["kind"] == "answerable" and r["p10"] < 0.9]
    assert summary["precision_at_10"] >= 0.9, misses
    assert summary["zero_result_rate"] == 0, [r["q"] for r in rows if r["total"] == 0]
    assert summary["nonsense_homes"] == 0 and summary["nonsense"] == len(NONSENSE)
    assert summary["answerable"] >= 40
