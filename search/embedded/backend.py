"""The embedded search backend: in process, no services. A SQLite file keeps the documents (store.py); each
process searches a numpy columnar index built from it (engine.py).

In memory: a big "main" segment (the whole file when it was loaded, superseded rows masked out) plus a small
"delta" segment of the documents changed since; main is rebuilt when delta grows large.
"""

import json
import os
import sqlite3
import threading
import time
import uuid

from core.errors import SearchUnavailable
from search.embedded.engine import FacetCache, SegmentBuilder, Vocab, build_segment, execute, make_plan, merge
from search.embedded.store import (
    ROW_COLUMNS,
    UPSERT,
    IndexFile,
    build_generation,
    chunks,
    connect,
    delete_docs,
    next_seq,
    remove_files,
    stored_doc,
    write_docs,
)
from search.query import Hit, SearchResult

try:  # the hits' display documents are parsed on every search: orjson does it in a third of the time
    from orjson import loads as _loads
except ImportError:  # pragma: no cover (pinned in requirements.txt)
    _loads = json.loads

# ---------------------------------------------------------------------------------------------------------
# The in-memory index of one generation


class _Index:
    """Main + delta segments of one generation file, as of change counter `seq`."""

    def __init__(self, conn, inode):
        self.inode, self.vocab = inode, Vocab()
        self.seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
        builder = SegmentBuilder(self.vocab)
        for row in conn.execute(f"SELECT {ROW_COLUMNS} FROM docs ORDER BY id"):
            builder.add(stored_doc(*row))
        self.main, self.delta_docs = builder.build(), {}
        self.delta = build_segment([], self.vocab)
        self.facet_cache = FacetCache()  # of this generation as of seq: cleared by every change

    @property
    def delta_limit(self):
        # The delta is rebuilt whole on every change, main reloads the whole file: bound both costs.
        return max(1000, min(5000, self.main.size // 20))

    def catch_up(self, conn, seq):
        """Apply the changes after self.seq up to SEQ (read in the caller's transaction)."""
        rows = conn.execute(f"SELECT id, {ROW_COLUMNS} FROM docs WHERE seq > ?", (self.seq,)).fetchall()
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (self.seq,))]
        changed = {row[0]: stored_doc(*row[1:]) for row in rows}
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
        total, rows, facets, unpriced, last_key = merge([execute(self.main, plan), execute(self.delta, plan)],
                                                        plan, self.vocab)
        if query.with_facets:
            facets = dict(cached) if cached is not None else self.facet_cache.put(query, facets)
        return total, rows, facets, unpriced, last_key

    @property
    def size(self):
        return int(self.main.live.sum()) + self.delta.size


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
        index = self._index
        if index is None or index.inode != self._file.inode or seq < index.seq:
            index = self._index = _Index(conn, self._file.inode)
        elif seq > index.seq:
            index.catch_up(conn, seq)
            if len(index.delta_docs) > index.delta_limit:
                index = self._index = _Index(conn, self._file.inode)
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
            count = build_generation(new_real, docs)
            with self._lock:
                self._file.write(lambda conn, _seq: self._swap(conn, new_real, start_inode, start_seq))
                self._file.close()
        except BaseException:
            remove_files(new_real)
            raise
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
        rows = conn.execute(f"SELECT id, version, {ROW_COLUMNS} FROM docs WHERE seq > ?", (since,)).fetchall()
        gone = [i for (i,) in conn.execute("SELECT id FROM tombstones WHERE seq > ?", (since,))]
        new = connect(new_real)
        try:
            new.execute("BEGIN IMMEDIATE")
            seq = next_seq(new)
            new.executemany(UPSERT, [(i, v, seq, *rest) for i, v, *rest in rows])
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
                        "delta_docs": index.delta.size if index else 0}
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"search index unreadable: {exc}") from exc

    def close(self):
        """Close this process's connection."""
        with self._lock:
            self._file.close()
