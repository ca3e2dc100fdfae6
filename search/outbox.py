"""The sync pipeline: writes record outbox rows in their own transaction; drain turns them into index updates.

The models it watches are the ones the domain registered (search/sources.py; marketplace registers homes,
fees and free beds at app start). On every flush that inserts, changes or deletes such a row, the document's
`version` is bumped and an outbox row is written on the same connection, so both commit or roll back with the
write. Drain reads the current SQL state of each document named in a batch, upserts it with its version (an
older version never overwrites a newer one), deletes documents that are gone, then deletes the batch's outbox
rows: at least once, idempotent. (The column is named home_id: the document id is the home id.)
"""

import logging
from itertools import chain

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Mapped, mapped_column

from core import jobs, signals, time
from core.context import current_request_id
from core.db import UTCDateTime, utcnow
from core.extensions import db
from search import sources

log = logging.getLogger(__name__)


class OutboxEntry(db.Model):
    __tablename__ = "search_outbox"
    # ids are never reused (SQLite's default would hand a drained row's id to the next row): drain deletes the
    # rows it read by id, and must never delete a newer row that another drainer's delete made room for
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    home_id: Mapped[int] = mapped_column(index=True)  # no foreign key: a deleted home still needs its entry
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # the request (or job) that made the change, so the worker's log line can be matched to it
    request_id: Mapped[str | None] = mapped_column(sa.String(128))


def _changed_home_ids(session):
    home_ids = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        attr = sources.document_id_attribute(type(obj))
        if attr is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        home_id = getattr(obj, attr)
        if home_id is not None:
            home_ids.add(home_id)
    return home_ids


def record_changes(session, home_ids):
    """Bump the version of HOME_IDS and write their outbox rows on SESSION's connection (same transaction)."""
    if not home_ids:
        return
    ids, table = sorted(home_ids), sources.current_source().table
    conn = session.connection()
    conn.execute(sa.update(table).where(table.c.id.in_(ids)).values(version=table.c.version + 1))
    now, request_id = utcnow(), current_request_id()
    conn.execute(sa.insert(OutboxEntry.__table__),
                 [{"home_id": i, "created_at": now, "request_id": request_id} for i in ids])
    for obj in list(session.identity_map.values()):
        if getattr(type(obj), "__table__", None) is table and obj.id in home_ids:
            session.expire(obj, ["version"])
    session.info["search_outbox_written"] = True


def _after_flush(session, _flush_context):
    record_changes(session, _changed_home_ids(session))


def _after_commit(session):
    if session.info.pop("search_outbox_written", False):
        try:
            g.search_outbox_written = True
        except RuntimeError:  # no app context: nothing to drain inline
            pass


def _after_rollback(session, _previous_transaction=None):
    session.info.pop("search_outbox_written", None)


def _pending_batch(batch_size):
    stmt = sa.select(OutboxEntry).order_by(OutboxEntry.id).limit(batch_size)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers drain side by side
    return db.session.scalars(stmt).all()


def drain_batch(backend, batch_size=500):
    """Apply one batch of outbox rows to BACKEND; return how many rows it consumed.

    Deletes exactly the rows it read (ids are never reused), so a row written meanwhile stays for the next
    batch. PostgreSQL: the rows stay claimed (FOR UPDATE SKIP LOCKED) until the delete commits. SQLite: the
    read transaction ends before the engine is called, so a write committed meanwhile cannot make the delete
    fail on a stale snapshot, and the database is never held while the engine answers.
    """
    entries = _pending_batch(batch_size)
    if not entries:
        db.session.rollback()
        return 0
    entry_ids, home_ids = [e.id for e in entries], {e.home_id for e in entries}
    request_ids = sorted({e.request_id for e in entries if e.request_id})
    docs = sources.documents_for(home_ids)
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.rollback()  # nothing was written: this only ends the read transaction
    try:
        backend.upsert(list(docs.values()))
        backend.delete(sorted(home_ids - docs.keys()))
        # listeners (saved-search alerts) write in the transaction that deletes the rows: a crash redoes both
        signals.documents_indexed.send(backend, docs=docs, deleted=sorted(home_ids - docs.keys()))
    except Exception:
        db.session.rollback()
        raise
    db.session.execute(sa.delete(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)))
    db.session.commit()
    log.info("indexed %d homes from %d outbox rows", len(docs), len(entry_ids),
             extra={"homes": sorted(home_ids), "from_requests": request_ids})
    return len(entry_ids)


def drain(backend, batch_size=500, max_batches=None):
    """Drain the outbox into BACKEND until it is empty (or MAX_BATCHES); return rows consumed."""
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        done = drain_batch(backend, batch_size)
        if not done:
            break
        total, batches = total + done, batches + 1
    return total


def queue_due(on=None, days_back=7):
    """Queue the documents that change with the date, within DAYS_BACK days up to ON (default today); commit.

    A home's document holds the prices in effect when it was built, so an announced change must be re-indexed
    on its date (the source's due_ids says which). Looking a few days back covers a worker that was down;
    re-queuing is harmless (idempotent).
    """
    source = sources.current_source()
    home_ids = set(source.due_ids(on or time.today(), days_back)) if source else set()
    record_changes(db.session, home_ids)
    db.session.commit()
    return len(home_ids)


def requeue(home_ids):
    """Queue HOME_IDS for the next drain (their versions bumped, so the index takes them); commit."""
    record_changes(db.session, set(home_ids))
    db.session.commit()
    return len(home_ids)


def pending_count():
    """Return how many outbox rows wait to be drained."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry))


def lag():
    """Return (rows waiting, age in seconds of the oldest one, 0.0 when none): how far the index is behind."""
    depth, oldest = db.session.execute(
        sa.select(sa.func.count(OutboxEntry.id), sa.func.min(OutboxEntry.created_at))).one()
    return depth, max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0


def _drain_after_request(response):
    if g.pop("search_outbox_written", False) and current_app.config["SEARCH_SYNC"] == "inline":
        from search.backend import current_backend

        try:
            drain(current_backend())
        except Exception:  # the write is committed; the outbox keeps it for `flask search drain`
            log.exception("inline search drain failed; rows stay in the outbox")
            db.session.rollback()
    return response


def init_app(app):
    """Watch writes on the app's session and, in inline mode, drain after each request that wrote."""
    # db.session is process-wide: listen once, however many apps are created (tests create many)
    for name, fn in (("after_flush", _after_flush), ("after_commit", _after_commit),
                     ("after_soft_rollback", _after_rollback)):
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)
    app.after_request(_drain_after_request)
    jobs.daily(app, queue_due)
