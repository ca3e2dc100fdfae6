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

The main segment's arrays live beside the file they were built from, one `.npy` per array, in a directory
`<generation>.main-<seq>-<random>` with a manifest (segment format, generation, seq, each file's size, CRC-32
and times: a file whose size differs is refused, one whose times moved has its CRC checked);
`<generation>.main` is a symlink to the current one, switched with os.replace as the generation link is. Every
process maps the arrays read-only (numpy.load(mmap_mode="r")), so they share one copy in the page cache. A
directory whose manifest, format, generation or files do not check out is never mapped: the caller rebuilds it
from the generation file (derived data again). One process builds at a time (`<generation>.main.lock`).
"""

import contextlib
import fcntl
import glob
import json
import os
import shutil
import sqlite3
import uuid
import zlib

import numpy as np

from core.errors import SearchUnavailable
from search.query import TOKEN_FIELDS, display_document

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                                 body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc_tokens (id INTEGER PRIMARY KEY, tokens_name TEXT NOT NULL,
                                       tokens_place TEXT NOT NULL, tokens_body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
CREATE TABLE IF NOT EXISTS tombstones (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_seq ON tombstones (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('format', 6);
"""
_FORMAT = 6  # bump when the file layout changes: an older file must be rebuilt with `flask search reindex`
# 6: the token columns live in doc_tokens: a docs row (the display document, ~1 KB) fits its page, so a page of hits
#    reads one page per hit instead of a row spilling into overflow pages behind 4 KB of tokens
# 5: names carry `t:` typo keys (their words and positioned one-letter deletions, analysis.py)
# 4: names carry `ip:` initials prefixes instead of `i:` initial bigrams everywhere (analysis.py)
# 3: documents carry quality_stars / quality_warning (format-2 documents lack them: rebuild, not guess)
_UPSERT_DOC = """INSERT INTO docs (id, version, seq, body) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, seq = excluded.seq, body = excluded.body
WHERE excluded.version > docs.version"""
# a document's tokens are written only where its docs row was (a newer version stored elsewhere stays whole)
_UPSERT_TOKENS = """INSERT INTO doc_tokens (id, tokens_name, tokens_place, tokens_body)
SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM docs WHERE id = ? AND version = ? AND seq = ?)
ON CONFLICT (id) DO UPDATE SET tokens_name = excluded.tokens_name, tokens_place = excluded.tokens_place,
    tokens_body = excluded.tokens_body"""
# the display document as JSON, then each token field space-joined (tokens hold no white space): hits decode
# only the small display part, and loading splits strings instead of parsing JSON lists
_ROWS = """SELECT d.id, d.version, d.body, t.tokens_name, t.tokens_place, t.tokens_body
FROM docs d JOIN doc_tokens t ON t.id = d.id"""
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


def upsert_rows(conn, rows):
    """Store ROWS (id, version, seq, body, token columns...); a row whose version is not newer is ignored."""
    rows = list(rows)
    conn.executemany(_UPSERT_DOC, [row[:4] for row in rows])
    conn.executemany(_UPSERT_TOKENS, [(row[0], *row[4:], row[0], row[1], row[2]) for row in rows])


def rows_since(conn, seq):
    """Return the stored rows (id, version, body, token columns...) written after SEQ."""
    return conn.execute(f"{_ROWS} WHERE d.seq > ?", (seq,)).fetchall()


def all_rows(conn):
    """Iterate over every stored row (id, version, body, token columns...) by id."""
    return conn.execute(f"{_ROWS} ORDER BY d.id")


def stored_doc(body, *token_columns):
    """Rebuild a stored document from its row's body and token columns."""
    doc = json.loads(body)
    doc.update(zip(TOKEN_FIELDS, (column.split() for column in token_columns)))
    return doc


def write_docs(conn, docs, seq):
    rows = [_row(d, seq) for d in docs]
    upsert_rows(conn, rows)
    return len(rows)


def delete_docs(conn, ids, seq):
    ids = [int(i) for i in ids]
    for chunk in chunks(ids):
        for table in ("docs", "doc_tokens"):
            conn.execute(f"DELETE FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    conn.executemany("INSERT OR REPLACE INTO tombstones (id, seq) VALUES (?, ?)", [(i, seq) for i in ids])


def remove_files(real_path, main=True):
    """Remove the generation file at REAL_PATH (unless MAIN is False), its WAL files and its segment files."""
    for name in ([real_path] if main else []) + [real_path + "-wal", real_path + "-shm"]:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
    remove_segments(real_path)


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
    """Write DOCS into a fresh generation file at REAL_PATH; return (how many were written, their seq)."""
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
    return count, seq


# ---------------------------------------------------------------------------------------------------------
# The main segment's array files

SEGMENT_FORMAT = 2  # bump when the arrays change: an older directory is rebuilt from the generation file
# 2: prices and free beds per level, then position (a level's column contiguous)
_MANIFEST = "manifest.json"
_CRC_CHUNK = 1 << 20


class Mapped:
    """A main segment's arrays mapped from disk: {name: read-only array}, with the seq it reflects."""

    def __init__(self, directory, seq, arrays):
        self.directory, self.seq, self.arrays = directory, seq, arrays


def _pointer(real_path):
    return real_path + ".main"


def segment_seq(real_path):
    """Return the seq of the current main segment files of REAL_PATH (from the link alone), or None."""
    try:
        target = os.readlink(_pointer(real_path))
    except OSError:
        return None
    try:
        return int(target.rsplit(".main-", 1)[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def write_segment(real_path, seq, arrays):
    """Save ARRAYS as the main segment of REAL_PATH at SEQ and switch the link to them; return the directory."""
    name = f"{os.path.basename(real_path)}.main-{seq}-{uuid.uuid4().hex[:12]}"
    final = os.path.join(os.path.dirname(real_path), name)
    tmp = final + ".tmp"
    os.mkdir(tmp)
    try:
        files = {key: _save(os.path.join(tmp, f"{key}.npy"), array) for key, array in arrays.items()}
        manifest = {"format": SEGMENT_FORMAT, "generation": os.path.basename(real_path), "seq": seq,
                    "docs": int(len(arrays["ids"])), "files": files}
        with open(os.path.join(tmp, _MANIFEST), "w", encoding="utf-8") as out:
            json.dump(manifest, out)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, final)
        link = f"{final}.link"
        os.symlink(name, link)
        os.replace(link, _pointer(real_path))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_other_segments(real_path, keep=final)
    return final


def _save(path, array):
    with open(path, "wb") as out:
        np.save(out, np.ascontiguousarray(array), allow_pickle=False)
        out.flush()
        os.fsync(out.fileno())
    stat = os.stat(path)
    return [stat.st_size, _crc(path), stat.st_mtime_ns, stat.st_ctime_ns]


def _crc(path):
    crc = 0
    with open(path, "rb") as stream:  # read(), not the mapping: the check adds nothing to our resident memory
        while chunk := stream.read(_CRC_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def read_segment(real_path):
    """Map the current main segment of REAL_PATH; return a Mapped, or None when missing or not sound."""
    for _attempt in range(5):
        try:
            target = os.readlink(_pointer(real_path))
        except OSError:
            return None
        directory = os.path.join(os.path.dirname(real_path), target)
        try:
            return _map(directory, os.path.basename(real_path))
        except FileNotFoundError:
            if os.path.lexists(_pointer(real_path)) and os.readlink(_pointer(real_path)) != target:
                continue  # another process switched to newer files and removed these meanwhile: look again
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # truncated, corrupt, another format or generation: never served
    return None


def _map(directory, generation):
    with open(os.path.join(directory, _MANIFEST), encoding="utf-8") as stream:
        manifest = json.load(stream)
    if manifest["format"] != SEGMENT_FORMAT or manifest["generation"] != generation:
        raise ValueError("segment files of another format or generation")
    arrays = {}
    for key, (size, crc, mtime_ns, ctime_ns) in manifest["files"].items():
        path = os.path.join(directory, f"{key}.npy")
        stat = os.stat(path)
        if stat.st_size != size:
            raise ValueError(f"segment file {key}.npy is truncated or grown")
        # A file written since it was saved (its times moved) has its checksum read; an untouched one is trusted,
        # so a new worker does not read the whole index before its first answer.
        if (stat.st_mtime_ns, stat.st_ctime_ns) != (mtime_ns, ctime_ns) and _crc(path) != crc:
            raise ValueError(f"segment file {key}.npy is corrupt")
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        arrays[key] = array.view(np.ndarray) if isinstance(array, np.memmap) else array  # plain views, same pages
    if len(arrays["ids"]) != manifest["docs"]:
        raise ValueError("segment files disagree with their manifest")
    return Mapped(directory, int(manifest["seq"]), arrays)


@contextlib.contextmanager
def segment_lock(real_path):
    """Hold the lock that lets one process at a time build the main segment files of REAL_PATH."""
    with open(real_path + ".main.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_other_segments(real_path, keep):
    for directory in glob.glob(glob.escape(real_path) + ".main-*"):
        if directory != keep:
            shutil.rmtree(directory, ignore_errors=True)  # processes that mapped them keep their mappings


def remove_segments(real_path):
    """Remove every segment file, link and lock of the generation file REAL_PATH."""
    _remove_other_segments(real_path, keep=None)
    for name in (_pointer(real_path), real_path + ".main.lock"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def remove_orphan_segments(path):
    """Remove segment files left beside PATH for generation files that no longer exist (a process that was still
    on a superseded generation may have saved some as it was being switched away)."""
    for name in glob.glob(glob.escape(path) + "*.main*"):
        generation = path + name[len(path) :].split(".main", 1)[0]
        if not os.path.exists(generation):
            if os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name)
