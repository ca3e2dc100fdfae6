"""The embedded search backend: in process, no services. A SQLite file keeps the documents (store.py); each
process searches a numpy columnar index of it (engine.py).

A "main" segment (the whole file as of one change counter, superseded rows masked out per process) is built
once per generation and saved as array files that every process maps read-only (store.write_segment /
read_segment), plus a small in-memory "delta" segment of the documents changed since. When a process finds the
delta grown large it builds a new main from the file, saves it and switches the link; the others notice the new
files on their next search after a change and map them too. `reindex` saves the main of the new generation
before switching to it, so no process ever builds one at its first search after a reindex.
"""

import json
import logging
import os
import sqlite3
import threading
import time
import uuid

from core.errors import SearchUnavailable
from search.embedded.engine import (
    DuplicateDocument,
    FacetCache,
    Segment,
    SegmentBuilder,
    Vocab,
    build_segment,
    execute,
    make_plan,
    merge,
)
from search.embedded.store import (
    IndexFile,
    all_rows,
    build_generation,
    chunks,
    connect,
    delete_docs,
    next_seq,
    read_segment,
    remove_files,
    remove_orphan_segments,
    rows_since,
    segment_lock,
    segment_seq,
    stored_doc,
    upsert_rows,
    write_docs,
    write_segment,
)
from search.query import Hit, SearchResult

log = logging.getLogger(__name__)

try:  # the hits' display documents are parsed on every search: orjson does it in a third of the time
    from orjson import loads as _loads
except ImportError:  # pragma: no cover (pinned in requirements.txt)
    _loads = json.loads

# ---------------------------------------------------------------------------------------------------------
# The in-memory index of one generation


def _delta_limit(main_size):
    # The delta is rebuilt whole on every change, a new main reads the whole file: bound both costs.
    return max(1000, min(5000, main_size // 20))


class _Index:
    """Main + delta segments of one generation file, as of change counter `seq`."""

    def __init__(self, inode, main, vocab, seq, main_files=None):
        self.inode, self.main, self.vocab, self.seq = inode, main, vocab, seq
        self.main_seq, self.main_files = seq, main_files  # main_files: the mapped directory, None if in memory
        self.delta_docs = {}
        self.delta = build_segment([], self.vocab)
        self.facet_cache = FacetCache()  # of this generation as of seq: cleared by every change

    @property
    def delta_limit(self):
        return _delta_limit(self.main.size)

    def catch_up(self, conn, seq):
        """Apply the changes after self.seq up to SEQ (read in the caller's transaction)."""
        rows = rows_since(conn, self.seq)
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (self.seq,))]
        changed = {row[0]: stored_doc(*row[2:]) for row in rows}
        for doc_id in gone:
            if doc_id not in changed:
                self.delta_docs.pop(doc_id, None)
        self.delta_docs.update(changed)
        live = self.main.live.copy()  # copy on write: a Partial built earlier keeps its own view
        live[self.main.position_of(list(changed) + gone)] = False
        self.main.live = live
        self.delta = build_segment(self.delta_docs.values(), self.vocab)
        self.seq = seq
        self.facet_cache.clear()

    def run(self, query):
        """Run QUERY on both segments and merge (its facets from the cache when an equal query counted them)."""
        cached = self.facet_cache.get(query) if query.with_facets else None
        plan = make_plan(query, self.vocab, facets=cached is None)
        segments = (self.main, self.delta) if self.delta.size else (self.main,)  # the delta is mostly empty
        total, rows, facets, unpriced, last_key = merge([execute(seg, plan) for seg in segments], plan, self.vocab)
        if query.with_facets:
            facets = dict(cached) if cached is not None else self.facet_cache.put(query, facets)
        return total, rows, facets, unpriced, last_key

    @property
    def size(self):
        return int(self.main.live.sum()) + self.delta.size


def _changes_since(conn, seq):
    """How many rows changed after SEQ: what a delta would have to hold (an upper bound)."""
    return conn.execute("SELECT (SELECT count(*) FROM docs WHERE seq > ?) + "
                        "(SELECT count(*) FROM tombstones WHERE seq > ?)", (seq, seq)).fetchone()[0]


def _mapped_index(conn, real, inode, seq):
    """The index over the saved main segment of REAL caught up to SEQ, or None when there is none fit to use."""
    mapped = read_segment(real)
    if mapped is None or mapped.seq > seq or _changes_since(conn, mapped.seq) > _delta_limit(len(mapped.arrays["ids"])):
        return None
    index = _Index(inode, Segment.from_arrays(mapped.arrays), Vocab.from_arrays(mapped.arrays), mapped.seq,
                   mapped.directory)
    if seq > mapped.seq:
        index.catch_up(conn, seq)
    return index


def _build_main(conn):
    vocab = Vocab()
    builder = SegmentBuilder(vocab)
    for row in all_rows(conn):
        builder.add(stored_doc(*row[2:]))
    return builder.build(), vocab


def _save_main(real, seq, main, vocab):
    """Save MAIN as the segment files of REAL at SEQ; return False (and keep it in memory) if that fails."""
    try:
        write_segment(real, seq, {**main.arrays(), **vocab.arrays()})
    except OSError as exc:
        log.warning("search index: cannot save the main segment beside %s (%s); kept in this process's memory",
                    os.path.basename(real), exc.strerror or exc.__class__.__name__)
        return False
    return True


def _load_index(conn, real, inode, seq):
    """Map the saved main segment of REAL (building and saving it first, by one process at a time, if needed)."""
    index = _mapped_index(conn, real, inode, seq)
    if index is not None:
        return index
    with segment_lock(real):
        index = _mapped_index(conn, real, inode, seq)  # another process may have saved fresh files meanwhile
        if index is not None:
            return index
        main, vocab = _build_main(conn)
        newer = segment_seq(real)
        # an unlinked (superseded) generation gets no files: nobody would map or remove them
        if (newer is None or newer <= seq) and os.path.exists(real) and _save_main(real, seq, main, vocab):
            index = _mapped_index(conn, real, inode, seq)  # drop our copy: share the page cache's
        # else files newer than our snapshot exist: serve this snapshot from memory, map theirs next time
        return index or _Index(inode, main, vocab, seq)


# ---------------------------------------------------------------------------------------------------------
# The backend


class EmbeddedBackend:
    """The in-process search backend over the SQLite index file at PATH."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self._file = IndexFile(self.path)
        self._index = None
        self._lock = threading.RLock()  # one connection and one index per process, shared by its threads
        # the file is opened on first use: an unreadable one must not stop `flask search reindex` replacing it

    # -- searching

    def search(self, query):
        """Run QUERY (a SearchQuery) and return a SearchResult."""
        query.validate()
        with self._lock:
            conn = self._file.connection()
            conn.execute("BEGIN")  # one snapshot for the freshness check, the engine and the documents
            try:
                index = self._fresh_index(conn)
                started = time.perf_counter()  # the engine's own work: arrays, then the SQL fetching the hits
                total, rows, facets, unpriced, last_key = index.run(query)
                docs = self._bodies(conn, [doc_id for doc_id, _s, _d in rows])
                engine_ms = (time.perf_counter() - started) * 1000
            finally:
                conn.execute("COMMIT")
        hits = [Hit(id=doc_id, score=score, doc=docs[doc_id], distance_km=distance)
                for doc_id, score, distance in rows]
        return SearchResult(total=total, hits=hits, facets=facets, engine_ms=engine_ms, unpriced_excluded=unpriced,
                            last_key=last_key)

    def _fresh_index(self, conn):
        seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
        index, real, inode = self._index, self._file.real, self._file.inode
        saved = segment_seq(real)
        if saved is not None and saved > seq:  # files saved after our snapshot began: take a newer snapshot
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
        if index is None or index.inode != inode or seq < index.seq:
            index = self._index = _load_index(conn, real, inode, seq)
        elif seq > index.seq:
            if saved is not None and index.main_seq < saved <= seq:  # another process saved a newer main
                index = self._index = _load_index(conn, real, inode, seq)
            else:
                index.catch_up(conn, seq)
                if len(index.delta_docs) > index.delta_limit:
                    index = self._index = _load_index(conn, real, inode, seq)
        return index

    @staticmethod
    def _bodies(conn, ids):
        docs = {}
        for chunk in chunks(ids):
            sql = f"SELECT id, body FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            docs.update((doc_id, _loads(body)) for doc_id, body in conn.execute(sql, chunk))
        return docs

    # -- writing

    def upsert(self, docs):
        """Store DOCS; a doc whose version is not newer than the stored one is ignored."""
        docs = list(docs)
        if docs:
            with self._lock:
                self._file.write(lambda conn, seq: write_docs(conn, docs, seq))

    def delete(self, ids):
        """Remove the documents with these IDS (missing ones are fine)."""
        ids = list(ids)
        if ids:
            with self._lock:
                self._file.write(lambda conn, seq: delete_docs(conn, ids, seq))

    def reindex(self, docs):
        """Build a new generation file from DOCS, then switch to it atomically; return the document count."""
        with self._lock:
            try:
                start_seq = self._current_seq()  # first: it reopens a stale connection, which updates the inode
            except SearchUnavailable:  # an unreadable or older-format file: derived data, nothing to keep
                self._discard_file()
                start_seq = self._current_seq()
            start_inode = self._file.inode
        new_real = f"{self.path}.{uuid.uuid4().hex[:12]}.gen"
        try:
            count = self._build_generation(new_real, docs)
            with self._lock:
                self._file.write(lambda conn, _seq: self._swap(conn, new_real, start_inode, start_seq))
                self._file.close()
        except BaseException:
            remove_files(new_real)
            raise
        return count

    @staticmethod
    def _build_generation(new_real, docs):
        """Write DOCS into the generation file NEW_REAL and save its main segment; return the document count."""
        vocab = Vocab()
        builder = SegmentBuilder(vocab)

        def fed(docs):
            for doc in docs:
                builder.add(doc)  # the main segment is built as the file is written: no second pass over it
                yield doc

        count, seq = build_generation(new_real, fed(docs))
        try:
            main = builder.build()
        except DuplicateDocument:  # the file kept one version of each: build from what it kept
            conn = connect(new_real)
            try:
                main, vocab = _build_main(conn)
            finally:
                conn.close()
        _save_main(new_real, seq, main, vocab)
        return count

    def _discard_file(self):
        self._file.close()
        real = os.path.realpath(self.path)
        remove_files(real)
        if os.path.lexists(self.path):
            os.unlink(self.path)

    def _current_seq(self):
        return self._file.connection().execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]

    def _swap(self, conn, new_real, start_inode, start_seq):
        """Copy what was written during the build into NEW_REAL, then point the link at it (write lock held)."""
        since = start_seq if self._file.inode == start_inode else 0
        rows = rows_since(conn, since)
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (since,))]
        new = connect(new_real)
        try:
            new.execute("BEGIN IMMEDIATE")
            seq = next_seq(new)
            upsert_rows(new, [(i, v, seq, *rest) for i, v, *rest in rows])
            rewritten = {row[0] for row in rows}
            delete_docs(new, [i for i in gone if i not in rewritten], seq)
            new.execute("COMMIT")
        finally:
            new.close()
        old_real, link = self._file.real, f"{self.path}.{uuid.uuid4().hex[:12]}.link"
        os.symlink(os.path.basename(new_real), link)
        os.replace(link, self.path)
        # Readers of the old generation keep their open files (POSIX); nobody opens it by name again.
        # A first, plain file at PATH was already unlinked by os.replace: only its WAL files remain.
        remove_files(old_real, main=old_real != self.path)
        remove_orphan_segments(self.path)

    # -- inspecting

    def versions(self):
        """Return {id: version} of every stored document."""
        with self._lock:
            conn = self._file.connection()
            return dict(conn.execute("SELECT id, version FROM docs").fetchall())

    def health(self):
        """Return the index's state (documents, change counter, segments); raise SearchUnavailable if unreadable."""
        try:
            with self._lock:
                conn = self._file.connection()
                count = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
                index = self._index
                return {"backend": "embedded", "path": self.path, "file": self._file.real, "docs": count,
                        "seq": self._current_seq(),
                        "main_docs": index.main.size if index else 0,
                        "main_seq": index.main_seq if index else None,
                        "main_files": os.path.basename(index.main_files) if index and index.main_files else None,
                        "delta_docs": index.delta.size if index else 0}
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"search index unreadable: {exc}") from exc

    def close(self):
        """Close this process's connection."""
        with self._lock:
            self._file.close()
