"""The Elasticsearch / OpenSearch backend against a real node: reindex under writes, outages, versions, aliases.

Needs OPENSEARCH_URL and/or ELASTICSEARCH_URL (`make opensearch` starts a local OpenSearch 2.5.0 test node);
skips with the reason otherwise. Each test works on its own alias and drops its indices afterwards.
The outage test starts and stops a second, throwaway OpenSearch node (scripts/opensearch.sh on another port)
so that it never stops the node other tests use.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

from core.errors import SearchUnavailable
from search.elastic import ElasticBackend
from search.query import SearchQuery

Q = SearchQuery
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "opensearch.sh"
NODES = {"opensearch": "OPENSEARCH_URL", "elasticsearch": "ELASTICSEARCH_URL"}


def _doc(home_id, version=1, grade=3):
    return {"id": home_id, "version": version, "name": f"home {home_id}", "province_code": "320000",
            "city_code": "320500", "district_code": "320508", "location": {"lat": 31.3, "lon": 120.6},
            "ownership": "private", "grade": grade, "care_levels": ["full"], "features": [], "price_min": 500_000,
            "price_full": 500_000, "free_full": 1, "beds_free": 1, "rating": None, "review_count": 0,
            "rank_boost": 0.25, "tokens_name": ["养老"], "tokens_place": [], "tokens_body": []}


@pytest.fixture(params=list(NODES))
def node(request):
    """(flavour, url) of each configured node."""
    url = os.environ.get(NODES[request.param])
    if not url:
        pytest.skip(f"{request.param}: no node configured (set {NODES[request.param]}; "
                    "`make opensearch` starts a local OpenSearch 2.5.0)")
    return request.param, url


@pytest.fixture
def backend(node):
    """A backend on a fresh alias of the node; its indices are dropped afterwards."""
    flavour, url = node
    instance = ElasticBackend.connect(flavour, url, f"test-{uuid.uuid4().hex[:12]}")
    yield instance
    instance.drop_everything()


def _indices(backend):
    return sorted(backend.client.indices.get(index=f"{backend.alias}-*"))


def test_reindex_during_writes_loses_nothing(backend, node):
    old = {i: _doc(i, version=1) for i in range(1, 401)}
    backend.upsert(old.values())
    writer = ElasticBackend.connect(*node, backend.alias)  # another process's view: a sync worker
    gone = {i for i in old if i % 50 == 0}
    build_started, stop = threading.Event(), threading.Event()
    failures = []

    def sync_worker():
        build_started.wait(30)
        try:
            for round_ in range(2, 5):  # every home changes three times while the build runs
                writer.upsert(_doc(i, version=round_, grade=round_) for i in old if i not in gone)
            writer.delete(sorted(gone))
        except Exception as exc:
            failures.append(exc)
        stop.set()

    def sql_snapshot():
        # the build read SQL before the writes: it carries version 1 of every home, deleted ones included
        for i, doc in old.items():
            if i == 100:
                build_started.set()
                stop.wait(60)  # the worker writes (and deletes) while the build is half done
            yield doc

    thread = threading.Thread(target=sync_worker)
    thread.start()
    assert backend.reindex(sql_snapshot()) == len(old)
    thread.join()
    assert not failures
    expected = {i: 4 for i in old if i not in gone}
    assert backend.versions() == expected
    assert backend.search(Q(min_grade=4, per_page=1)).total == len(expected)


def test_writes_after_a_reindex_reach_the_new_index(backend):
    backend.upsert([_doc(1), _doc(2)])
    backend.reindex(iter([_doc(1, version=2)]))
    backend.upsert([_doc(3, version=1)])
    assert backend.versions() == {1: 2, 3: 1}


def test_version_conflicts_are_ignored(backend):
    backend.upsert([_doc(1, version=5, grade=5), _doc(2, version=1)])
    backend.upsert([_doc(1, version=3, grade=1), _doc(1, version=5, grade=2), _doc(2, version=2, grade=4)])
    assert backend.versions() == {1: 5, 2: 2}
    grades = {h.id: h.doc["grade"] for h in backend.search(Q()).hits}
    assert grades == {1: 5, 2: 4}


def test_deleting_unknown_homes_and_deleting_from_an_empty_alias_are_fine(backend):
    backend.delete([1, 2])
    backend.upsert([_doc(1)])
    backend.delete([1, 999])
    assert backend.versions() == {}


def test_alias_swap_leaves_exactly_one_index(backend):
    backend.upsert([_doc(1)])
    first = _indices(backend)
    for round_ in range(2, 4):
        backend.reindex(iter([_doc(1, version=round_), _doc(2, version=round_)]))
    (only,) = _indices(backend)
    assert only not in first
    aliases = backend.client.indices.get_alias(index=only)[only]["aliases"]
    assert set(aliases) == {backend.alias}
    health = backend.health()
    assert (health["index"], health["building"], health["documents"]) == (only, [], 2)


def test_a_failed_reindex_keeps_the_old_index_serving(backend):
    backend.upsert([_doc(1), _doc(2)])
    before = _indices(backend)

    def broken():
        yield _doc(1, version=2)
        raise RuntimeError("SQL went away")

    with pytest.raises(RuntimeError):
        backend.reindex(broken())
    assert _indices(backend) == before
    assert backend.versions() == {1: 1, 2: 1}


def test_an_abandoned_build_is_cleared_by_the_next_reindex(backend):
    backend.upsert([_doc(1)])
    stale = f"{backend.alias}-20000101000000-deadbeef"
    backend.client.indices.create(index=stale, body={"aliases": {backend.next_alias: {}}})
    assert backend.health()["building"] == [stale]
    backend.reindex(iter([_doc(1, version=2)]))
    assert len(_indices(backend)) == 1 and backend.health()["building"] == []


def test_drop_everything_touches_only_its_own_indices(backend, node):
    neighbour = ElasticBackend.connect(*node, backend.alias + "x")
    try:
        neighbour.upsert([_doc(1)])
        backend.upsert([_doc(1)])
        backend.drop_everything()
        assert _indices(backend) == [] and neighbour.versions() == {1: 1}
    finally:
        neighbour.drop_everything()


# -- a node that stops -------------------------------------------------------------------------------------


def _free_port_pair():
    """Return a port P with P and P + 100 free (the script puts the transport port there)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 100 < 65536:
            try:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port + 100))
                return port
            except OSError:
                continue
    pytest.skip("no free port pair")


@pytest.fixture
def throwaway_node():
    """Start a second OpenSearch test node with scripts/opensearch.sh; yield (url, stop); remove it after."""
    if not os.environ.get("OPENSEARCH_URL"):
        pytest.skip("opensearch: no node configured (set OPENSEARCH_URL; `make opensearch` starts one)")
    if not shutil.which("java") or not shutil.which("curl"):
        pytest.skip("the throwaway node needs java and curl")
    base = tempfile.mkdtemp(prefix="yrd-opensearch-test-", dir="/var/tmp")
    os.chmod(base, 0o755)  # the node's user must reach it when the script runs as root
    env = dict(os.environ, OPENSEARCH_PORT=str(_free_port_pair()), OPENSEARCH_DIR=base)

    def run(command):
        return subprocess.run(["bash", str(SCRIPT), command], check=False, env=env, capture_output=True, text=True,
                              timeout=300)

    started = run("start")
    if started.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start a throwaway node: {started.stderr[-2000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1], lambda: run("stop")
    finally:
        run("stop")
        shutil.rmtree(base, ignore_errors=True)


def test_a_stopped_node_makes_search_unavailable(throwaway_node):
    url, stop = throwaway_node
    backend = ElasticBackend.connect("opensearch", url, "test-outage", timeout_s=15.0)
    backend.upsert([_doc(1)])
    assert backend.search(Q()).total == 1
    stop()
    for call in (lambda: backend.search(Q()), backend.health, lambda: backend.upsert([_doc(2)])):
        with pytest.raises(SearchUnavailable):
            call()
