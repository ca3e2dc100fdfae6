"""The embedded backend's main segment as memory-mapped array files: shared by processes, stamped with a format
and generation, switched atomically, and never served when damaged."""

import glob
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from search.embedded import EmbeddedBackend
from search.embedded.engine import SortedStrings
from search.query import SearchQuery
from tests.search.reference import reference_search
from tests.search.test_conformance import QUERIES, assert_same_answer, build_corpus

ROOT = Path(__file__).resolve().parents[2]

# A second process: answers each line on stdin with the ids it finds and the segment files it has mapped.
READER = r"""
import json, sys
from search.embedded import EmbeddedBackend
from search.query import SearchQuery

backend = EmbeddedBackend(sys.argv[1])
for line in sys.stdin:
    result = backend.search(SearchQuery(per_page=100))
    with open("/proc/self/maps", encoding="utf-8") as maps:
        mapped = {line.split()[-1] for line in maps if line.rstrip().endswith(".npy")}
    print(json.dumps({"ids": sorted(h.id for h in result.hits), "dirs": sorted({m.rsplit("/", 2)[1] for m in mapped}),
                      "main_files": backend.health()["main_files"]}), flush=True)
"""


@pytest.fixture
def docs(app):
    """The conformance corpus's documents."""
    return build_corpus()


@pytest.fixture
def index_path(tmp_path):
    return str(tmp_path / "index.sqlite3")


def _same(backend, docs, query):
    assert_same_answer(backend.search(query), reference_search(docs, query), query)


def _main_dir(backend):
    """The directory of segment files BACKEND has mapped (after a search)."""
    name = backend.health()["main_files"]
    assert name is not None, "the main segment is not mapped from files"
    return Path(backend.path).parent / name


def _mapped_npy(pid):
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps:
        return {line.split()[-1] for line in maps if line.rstrip().endswith(".npy")}


@pytest.fixture
def reader(index_path):
    """A second process searching the same index; call it to ask for a search."""
    process = subprocess.Popen([sys.executable, "-c", READER, index_path], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)

    def ask():
        process.stdin.write("search\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    yield ask
    process.stdin.close()
    process.wait(timeout=30)


def test_a_second_process_maps_the_same_files_and_sees_a_new_generation(index_path, docs, reader):
    backend = EmbeddedBackend(index_path)
    backend.reindex(iter(docs))
    _same(backend, docs, SearchQuery(per_page=100))
    first = _main_dir(backend)
    assert {str(first / "ids.npy"), str(first / "tokens_body.positions.npy")} <= _mapped_npy(os.getpid())
    answer = reader()
    assert answer["ids"] == sorted(d["id"] for d in docs)
    assert answer["dirs"] == [first.name] and answer["main_files"] == first.name  # the same files, mapped

    backend.reindex(iter(docs[:9]))
    answer = reader()
    assert answer["ids"] == sorted(d["id"] for d in docs[:9])
    second = Path(index_path).parent / answer["main_files"]
    assert second != first and not first.exists()  # the old generation's files are gone from disk
    assert answer["dirs"] == [second.name]  # and no longer mapped by the reader
    _same(backend, docs[:9], SearchQuery(per_page=100))
    assert _main_dir(backend) == second


def test_reindex_saves_the_main_segment_before_the_switch(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.reindex(iter(docs))
    generation = os.path.realpath(index_path)
    saved = glob.glob(generation + ".main-*")
    assert len(saved) == 1 and os.readlink(generation + ".main") == os.path.basename(saved[0])
    manifest = json.loads(Path(saved[0], "manifest.json").read_text())
    assert manifest["format"] >= 1 and manifest["generation"] == os.path.basename(generation)
    assert manifest["docs"] == len(docs)
    reader = EmbeddedBackend(index_path)
    _same(reader, docs, QUERIES["text_huli"])
    assert str(_main_dir(reader)) == saved[0]  # mapped as saved, not rebuilt


def test_vocabularies_are_arrays_not_pickles_or_json(index_path, docs):
    backend = EmbeddedBackend(index_path)
    backend.reindex(iter(docs))
    directory = Path(glob.glob(os.path.realpath(index_path) + ".main-*")[0])
    for path in directory.glob("*.npy"):
        array = np.load(path, mmap_mode="r", allow_pickle=False)  # an object array would refuse to load
        assert array.dtype != object
    assert sorted(p.name for p in directory.iterdir() if p.suffix != ".npy") == ["manifest.json"]


@pytest.mark.parametrize("damage", ["truncate", "flip_a_byte", "remove", "old_format", "other_generation"])
def test_a_damaged_segment_is_rebuilt_not_served(index_path, docs, damage):
    EmbeddedBackend(index_path).reindex(iter(docs))
    directory = Path(glob.glob(os.path.realpath(index_path) + ".main-*")[0])
    target, manifest_path = directory / "tokens_body.positions.npy", directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if damage == "truncate":
        os.truncate(target, target.stat().st_size - 4)
    elif damage == "flip_a_byte":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0x01  # same size: only the checksum can tell
        target.write_bytes(bytes(data))
    elif damage == "remove":
        (directory / "ids.npy").unlink()
    elif damage == "old_format":
        manifest_path.write_text(json.dumps(dict(manifest, format=manifest["format"] - 1)))
    else:
        manifest_path.write_text(json.dumps(dict(manifest, generation="index.sqlite3.0123456789ab.gen")))
    backend = EmbeddedBackend(index_path)
    for name in ("everything", "text_huli", "sort_price_for_dementia_care", "last_page"):
        _same(backend, docs, QUERIES[name])
    rebuilt = _main_dir(backend)
    assert rebuilt != directory and not directory.exists()
    _same(EmbeddedBackend(index_path), docs, QUERIES["text_huli"])  # the rebuilt files serve the next process


def test_an_index_without_segment_files_builds_and_saves_them_once(index_path, docs):
    writer = EmbeddedBackend(index_path)
    writer.upsert(docs)  # written, never reindexed: no files yet
    assert not glob.glob(index_path + ".main-*")
    _same(writer, docs, QUERIES["everything"])
    saved = _main_dir(writer)
    other = EmbeddedBackend(index_path)
    _same(other, docs, QUERIES["text_huli"])
    assert _main_dir(other) == saved


def test_a_new_main_saved_by_one_process_is_mapped_by_the_others(index_path, docs):
    writer, reader = EmbeddedBackend(index_path), EmbeddedBackend(index_path)
    writer.reindex(iter(docs))
    reader.search(SearchQuery())
    first = _main_dir(reader)
    many = [dict(docs[i % len(docs)], id=10_000 + i) for i in range(1200)]  # beyond the delta's limit
    writer.upsert(many)
    _same(writer, docs + many, SearchQuery(text="护理", page=2))  # the writer folds the delta: new files
    assert writer.health()["delta_docs"] == 0 and _main_dir(writer) != first
    _same(reader, docs + many, SearchQuery(per_page=100, sort="grade"))
    assert _main_dir(reader) == _main_dir(writer)
    assert not first.exists()


def test_generation_switches_under_a_concurrent_reader(index_path, docs):
    halves = (docs[: len(docs) // 2], docs[len(docs) // 2 :])
    expected = [sorted(d["id"] for d in half) for half in halves]
    writer = EmbeddedBackend(index_path)
    writer.reindex(iter(halves[0]))
    seen, failures, stop = set(), [], threading.Event()

    def read():
        reader = EmbeddedBackend(index_path)
        while not stop.is_set():
            try:
                ids = sorted(h.id for h in reader.search(SearchQuery(per_page=100)).hits)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(exc))
                return
            if ids not in expected:
                failures.append(f"a mixed answer: {ids}")
                return
            seen.add(expected.index(ids))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for i in range(12):
            writer.reindex(iter(halves[(i + 1) % 2]))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures
    assert seen == {0, 1}
    generation = os.path.realpath(index_path)
    assert [os.path.basename(d) for d in glob.glob(index_path + "*.main-*")] == [os.readlink(generation + ".main")]


def test_sorted_strings_find_every_string_and_nothing_else():
    words = ["护理", "护", "ip:shcn", "ip:shcnx", "ip:shcny", "ip:shcnxyzab", "suzhou", "suzhou2", "a", "é", "",
             "zzzzzzzzzzzzzzzzzzzz"]
    strings, ranks = SortedStrings.build(words)
    assert [strings.find(w) for w in words] == list(ranks)
    assert sorted(ranks.tolist()) == list(range(len(words)))
    for missing in ("ip:shc", "ip:shcnxy", "suzho", "护理院", "b", "zzzzzzzzzzzzzzzzzzzzz"):
        assert strings.find(missing) == -1
