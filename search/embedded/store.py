"""The embedded backend's document store: the SQLite file (derived data: `flask search reindex` rebuilds it from
SQL), its generations and the write transactions.

The file has three tables: docs (id, version, seq, body as JSON), tombstones (id, seq: deletions, so other
processes can see them) and meta (the change counter `seq`). Every write transaction bumps `seq` and stamps the
rows it wrote with it. A process notices changes by reading `seq` (and the inode of the file) at the start of
each search, inside the read transaction that also fetches the hits' documents, so a result is always one
consistent snapshot.

Reindex builds a new generation file next to the old one and switches `path` to it with os.replace of a
symlink. We swap a link rather than the database file itself because SQLite names its -wal/-shm files after
the database path: a new file renamed over a live WAL database would inherit the old file's WAL and shared
memory and be corrupted. Connections open the link's target by its real name, so each generation has its own
WAL. Writers check, while holding the write lock, that they still write to the current generation.
"""

import json
import os
import sqlite3

from core.errors import SearchUnavailable
from search.query import TOKEN_FIELDS, display_document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                                 body TEXT NOT NULL, tokens_name TEXT NOT NULL, tokens_place TEXT NOT NULL,
                                 tokens_body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
CREATE TABLE IF NOT EXISTS tombstones (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_seq ON tombstones (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('format', 5);
"""
_FORMAT = 5  # bump when the file layout changes: an older file must be rebuilt with `flask search reindex`
# 4: names carry `ip:` initials prefixes instead of `i:` initial bigrams everywhere (analysis.py)
# 5: names carry `t:` typo keys (their words and positioned one-letter deletions, analysis.py)
# 3: documents carry quality_stars / quality_warning (format-2 documents lack them: rebuild, not guess)
UPSERT = """INSERT INTO docs (id, version, seq, body, tokens_name, tokens_place, tokens_body)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, seq = excluded.seq, body = excluded.body,
    tokens_name = excluded.tokens_name, tokens_place = excluded.tokens_place, tokens_body = excluded.tokens_body
WHERE excluded.version > docs.version"""
# the display document as JSON, then each token field space-joined (tokens hold no white space): hits decode
# only the small display part, and loading splits strings instead of parsing JSON lists
ROW_COLUMNS = "body, tokens_name, tokens_place, tokens_body"
_SQL_CHUNK = 500  # stays well under SQLite's bound-parameter limit


# ---------------------------------------------------------------------------------------------------------
# The file


def connect(real_path, create=False):
    # mode=rw: never create a missing generation file by accident (a reader racing a swap)
    uri = f"file:{real_path}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def chunks(items, size=_SQL_CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def next_seq(conn):
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'seq'")
    return conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]


def _row(doc, seq):
    body = json.dumps(display_document(doc), ensure_ascii=False, separators=(",", ":"))
    return (int(doc["id"]), int(doc["version"]), seq, body, *(" ".join(doc.get(f) or ()) for f in TOKEN_FIELDS))


def stored_doc(body, *token_columns):
    """Rebuild a stored document from its row's body and token columns."""
    doc = json.loads(body)
    doc.update(zip(TOKEN_FIELDS, (column.split() for column in token_columns)))
    return doc


def write_docs(conn, docs, seq):
    rows = [_row(d, seq) for d in docs]
    conn.executemany(UPSERT, rows)
    return len(rows)


def delete_docs(conn, ids, seq):
    ids = [int(i) for i in ids]
    for chunk in chunks(ids):
        conn.execute(f"DELETE FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    conn.executemany("INSERT OR REPLACE INTO tombstones (id, seq) VALUES (?, ?)", [(i, seq) for i in ids])


def remove_files(real_path, main=True):
    for name in ([real_path] if main else []) + [real_path + "-wal", real_path + "-shm"]:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


class IndexFile:
    """This process's connection to the current generation of the index file."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.conn, self.inode, self.real, self.pid = None, None, None, None

    def stale(self):
        """Return True when the connection is missing, inherited over fork, or points at an old generation."""
        if self.conn is None or self.pid != os.getpid():
            return True
        try:
            return os.stat(self.path).st_ino != self.inode
        except FileNotFoundError:
            return True

    def connection(self):
        """Return a connection to the current generation, (re)opening it when stale."""
        if self.stale():
            self._open()
        return self.conn

    def _open(self):
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None
        create = not os.path.lexists(self.path)
        for _attempt in range(20):
            try:
                real = os.path.realpath(self.path)
                inode = os.stat(real).st_ino if not create else None
                conn = connect(real, create=create)
            except (FileNotFoundError, sqlite3.OperationalError):
                continue  # the link moved on between resolving and opening: resolve again
            if create or os.stat(self.path).st_ino == inode:
                break
            conn.close()
        else:
            raise SearchUnavailable(f"cannot open the search index {self.path}")
        _check_format(conn)
        conn.executescript(_SCHEMA)
        self.conn, self.real, self.pid = conn, real, os.getpid()
        self.inode = os.stat(real).st_ino

    def write(self, work):
        """Run WORK(conn, seq) in one write transaction on the current generation; return its result."""
        for _attempt in range(20):
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            if self.stale():  # a reindex swapped generations while we waited for the lock
                conn.execute("ROLLBACK")
                continue
            try:
                result = work(conn, next_seq(conn))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        raise SearchUnavailable("the search index keeps changing under the writer")

    def close(self):
        """Close the connection (if this process opened it)."""
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None


def _check_format(conn):
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
    found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if has_meta else (_FORMAT,)
    if (found or (1,))[0] != _FORMAT:
        raise SearchUnavailable("the search index file has an older format: run `flask search reindex`")


def build_generation(real_path, docs):
    """Write DOCS into a fresh generation file at REAL_PATH; return how many were written."""
    conn = sqlite3.connect(real_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a crash mid-build leaves a file nobody points at
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        seq, count, batch = next_seq(conn), 0, []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= 1000:
                count += write_docs(conn, batch, seq)
                batch = []
        count += write_docs(conn, batch, seq)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return count
