"""All writes of the import: keep the file, run it in committed batches, quarantine, conflicts, re-import.

Crash-safety: each batch commits the homes it touched together with the run's counters and its resume point
(`last_row`), so a run killed at any moment resumes after its last committed row and ends exactly as one clean
run would. Concurrency: one run per source writes at a time, across processes and machines: the run claims
the source's row in `ingest_locks` in its own transaction, beats it with every batch (in the batch's own
transaction, so a run that lost its lock commits nothing more), and a lock without a heartbeat for
INGEST_STALE_AFTER_S (or held by a dead process on this host) may be taken over. A second run meanwhile is
refused (409 `import_running`); `flask ingest resume` finishes runs whose process died.

Idempotency: a file is stored once (SHA-256), a (file, source) pair runs once, and each row is compared with
the last version of it this source applied (`SourceRecord.row_hash`) and field by field with the home, so an
unchanged row writes nothing. A valid row closes the open quarantine entries of earlier runs with its natural
key (status `resolved`, naming the run).
"""

import hashlib
import json
import os
import shutil
import socket
import tempfile
import uuid
from datetime import date
from pathlib import Path
from time import monotonic, sleep

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import signals, time
from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from geo.gazetteer import gazetteer
from ingest import dedupe, geocode
from ingest.adapters import FormatError, count_rows, get_adapter
from ingest.models import (
    FieldProvenance,
    ImportConflict,
    ImportLock,
    ImportRun,
    QuarantinedRow,
    SourceFile,
    SourceRecord,
)
from ingest.normalise import Problem, normalise_row
from marketplace.models import FeeItem, Home, ListingChange
from search.outbox import record_changes

ALLOWED_SUFFIXES = (".csv", ".xlsx", ".txt", ".json")
HUMAN_CHANNELS = ("portal", "api", "regulator")
IDENTITY_FIELDS = ("name", "address", "province_code", "city_code", "district_code", "lat", "lon",
                   "location_approximate")
# rows per commit: rows are normalised and decided before the batch's first write, so SQLite's write lock is
# held only for the batch's bulk statements and commit; 1,000 halves the between-batch pauses of 500 (the
# 50,000-row directory benchmark: 988 -> 1,106 rows/s) and BATCH_SECONDS still bounds a slow batch
DEFAULT_BATCH = 1000
STALE_AFTER_S = 120  # a running run without a heartbeat for this long was killed; it may be resumed
LOCK_ATTEMPTS = 3
BATCH_SECONDS = 0.5  # a batch commits after this long even if it has fewer rows: short write transactions
SQLITE_BATCH_PAUSE_S = 0.15
BATCH_TEXT_CHARS = 4 * 1024 * 1024  # a batch read ahead holds at most about this much row text
MAX_ATTEMPTS = 2  # attempts from the same resume point; a run that dies twice at one place is marked failed


def ingest_dir():
    """Return the folder that keeps every uploaded file (INGEST_DIR, default instance/ingest)."""
    path = Path(current_app.config.get("INGEST_DIR") or os.environ.get("INGEST_DIR")
                or Path(current_app.instance_path) / "ingest")
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_file(stream, filename, user=None):
    """Keep the bytes of an uploaded file under its SHA-256 (once per content); return its SourceFile; commit."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ServiceError(_("Upload a CSV or XLSX file."), {"file": [_("Only .csv, .xlsx and .json files.")]},
                           code="unsupported_file")
    folder, digest, size = ingest_dir(), hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as tmp:
        try:
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                digest.update(chunk)
                tmp.write(chunk)
                size += len(chunk)
        except BaseException:  # a body cut off, too large or a full disk: keep nothing of it
            tmp.close()
            os.unlink(tmp.name)
            raise
    sha = digest.hexdigest()
    existing = db.session.scalar(sa.select(SourceFile).where(SourceFile.sha256 == sha))
    if existing is not None:
        if Path(existing.stored_path).exists():
            os.unlink(tmp.name)
        else:  # deleted after a failed run (discard_file_of): the same bytes are here again
            shutil.move(tmp.name, existing.stored_path)
        return existing
    if size == 0:
        os.unlink(tmp.name)
        raise ServiceError(_("The file is empty."), {"file": [_("The file is empty.")]}, code="empty_file")
    target = folder / f"{sha}{suffix}"
    shutil.move(tmp.name, target)
    kept = SourceFile(sha256=sha, filename=Path(filename).name[:255], stored_path=str(target), size=size,
                      uploaded_by_id=getattr(user, "id", None))
    db.session.add(kept)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same bytes uploaded at the same moment elsewhere: theirs is ours
        db.session.rollback()
        return db.session.scalar(sa.select(SourceFile).where(SourceFile.sha256 == sha))
    return kept


def _adapter(source):
    adapter = get_adapter(source)
    if adapter is None:
        raise ServiceError(_("Unknown source format."), {"source": [_("Choose one of the listed formats.")]},
                           code="unknown_source")
    return adapter


def start_run(source, source_file, user=None):
    """Return (run, created) for importing SOURCE_FILE with adapter SOURCE; the same pair never runs twice."""
    _adapter(source)
    run = db.session.scalar(sa.select(ImportRun).where(ImportRun.file_id == source_file.id,
                                                       ImportRun.source == source))
    if run is not None:
        return run, False
    jurisdiction = user.jurisdiction_code if getattr(user, "role", None) == "regulator" else None
    run = ImportRun(file_id=source_file.id, source=source, jurisdiction_code=jurisdiction,
                    started_by_id=getattr(user, "id", None), rows_total=count_rows(source_file.stored_path))
    db.session.add(run)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # started at the same moment by another process: one run, theirs
        db.session.rollback()
        return db.session.scalar(sa.select(ImportRun).where(ImportRun.file_id == source_file.id,
                                                            ImportRun.source == source)), False
    return run, True


def batch_seconds():
    """Return how long one batch's transaction may stay open (SQLite: other writers wait that long at most)."""
    return float(current_app.config.get("INGEST_BATCH_SECONDS") or BATCH_SECONDS)


def stale_after_s():
    """Return how long a run or lock may go without a heartbeat before it counts as dead (seconds)."""
    return int(current_app.config.get("INGEST_STALE_AFTER_S") or STALE_AFTER_S)


def is_stale(run):
    """Say whether a running run stopped beating (its process died) and may be resumed."""
    return run.status == "running" and (utcnow() - run.heartbeat_at).total_seconds() > stale_after_s()


# --- one writer per source: the lock row ------------------------------------------------------------------

def _new_owner():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"[:120]


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


def _holder_gone(lock, now):
    """Say whether a lock's holder stopped: no heartbeat for too long, or a dead process on this very host."""
    if (now - lock.heartbeat_at).total_seconds() > stale_after_s():
        return True
    host, _sep, rest = lock.owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid))


def _lock_row(source):
    return db.session.execute(sa.select(ImportLock.owner, ImportLock.run_id, ImportLock.heartbeat_at)
                              .where(ImportLock.source == source)).first()


def _running_elsewhere(run, holder_run_id):
    return ServiceError(
        _("Another import of this source format is running (run %(run)s). Try again when it has finished.",
          run=holder_run_id),
        {"file": [_("Another import of this source format is running.")]}, status=409, code="import_running")


def claim_run(run):
    """Claim the one-writer lock of RUN's source in its own transaction; return the owner token.

    Raises ServiceError 409 `import_running` while another live run of the source holds it.
    """
    db.session.commit()
    for _attempt in range(LOCK_ATTEMPTS):
        owner, now = _new_owner(), utcnow()
        try:
            db.session.add(ImportLock(source=run.source, run_id=run.id, owner=owner, acquired_at=now,
                                      heartbeat_at=now))
            db.session.commit()
            return owner
        except sa.exc.IntegrityError:
            db.session.rollback()
        except sa.exc.OperationalError as exc:  # SQLite: another writer held the database past the timeout
            db.session.rollback()
            raise _running_elsewhere(run, "?") from exc
        lock = _lock_row(run.source)
        if lock is None:
            continue  # released in between: try again
        if not _holder_gone(lock, now):
            raise _running_elsewhere(run, lock.run_id)
        taken = db.session.execute(
            sa.update(ImportLock).where(ImportLock.source == run.source, ImportLock.owner == lock.owner)
            .values(owner=owner, run_id=run.id, acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if taken == 1:
            return owner
    raise _running_elsewhere(run, "?")


def _beat(run, owner):
    """Renew the lock inside the batch's transaction; if it was taken over, undo the batch and stop."""
    now = utcnow()
    kept = db.session.execute(
        sa.update(ImportLock).where(ImportLock.source == run.source, ImportLock.owner == owner)
        .values(heartbeat_at=now).execution_options(synchronize_session=False)).rowcount
    if kept != 1:
        db.session.rollback()
        raise ServiceError(_("This import was taken over by another process; it carries on there."),
                           status=409, code="import_lock_lost")
    run.heartbeat_at = now


def release_run(run_source, owner):
    """Give the source's lock back if OWNER still holds it (its own transaction)."""
    db.session.rollback()
    db.session.execute(sa.delete(ImportLock).where(ImportLock.source == run_source, ImportLock.owner == owner)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def execute_run(run, on_progress=None, batch_size=DEFAULT_BATCH, owner=None):
    """Import the run's rows after its last committed one, committing every BATCH_SIZE rows; return the run.

    Claims the source's lock first (unless OWNER already holds it) and gives it back at the end.
    """
    if run.status == "done":
        return run
    source = run.source
    owner = owner or claim_run(run)
    try:
        if run.status != "done":  # reloaded after the claim: another process may have finished it meanwhile
            _execute(run, owner, on_progress, batch_size)
        else:
            release_run(source, owner)
    except BaseException:
        _release_quietly(source, owner)
        raise
    return run


def _release_quietly(source, owner):
    try:
        release_run(source, owner)
    except sa.exc.SQLAlchemyError:  # the database went away too: the lock goes stale and is taken over
        db.session.rollback()


def _execute(run, owner, on_progress, batch_size):
    adapter = get_adapter(run.source)
    importer = RowImporter(run, adapter)
    _begin_attempt(run, owner)
    chunk, max_s, pending, size = [], batch_seconds(), 0, 0
    try:
        for number, raw in adapter.rows(run.file.stored_path):
            if number <= run.last_row:
                continue
            chunk.append((number, raw))
            size += _raw_size(raw)
            if len(chunk) >= batch_size or size >= BATCH_TEXT_CHARS:  # huge rows: fewer of them per batch
                chunk, _pending = _import_chunk(run, owner, importer, chunk, on_progress, max_s)
                size = sum(_raw_size(raw) for _number, raw in chunk)
        while chunk:
            chunk, pending = _import_chunk(run, owner, importer, chunk, on_progress, max_s, last=True)
    except FormatError as exc:  # the file itself (unreadable, or over a safety limit): no retry can help
        _fail(run, owner, str(exc))
        raise ServiceError(_("The file cannot be read as this format: %(reason)s", reason=str(exc)),
                           {"file": [str(exc)]}, code="unreadable_file") from exc
    except (ServiceError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        _note_failure(run, owner, f"{type(exc).__name__}: {exc}"[:500])
        raise
    run.status, run.finished_at = "done", utcnow()
    run.rows_total = max(run.rows_total, run.rows_done)
    signals.import_event.send(None, run=run, event="finished")  # commits with the run's last batch
    _beat(run, owner)
    _release_with(run, owner)  # the last batch's status and the lock's release commit together
    _commit_batch(run, owner, on_progress, pending, beat=False)


def _raw_size(raw):
    """Return about how many characters a raw row holds (its cells, extra columns and fee cells)."""
    return sum(len(v) for part in (raw, raw.get("extra") or {}, raw.get("fees") or {}) for v in part.values()
               if isinstance(v, str))


def _import_chunk(run, owner, importer, chunk, on_progress, max_s, last=False):
    """Import CHUNK's rows as far as MAX_S allows, commit them with the resume point; return (rows left, rows
    done but not committed).

    The file's last rows (LAST) are not committed here: they commit with the run's end (status, lock release).
    """
    done = importer.import_rows(chunk, deadline=monotonic() + max_s, beat_due=lambda: _beat_due(run))
    run.rows_done, run.last_row = run.rows_done + done, chunk[done - 1][0]
    rest = chunk[done:]
    if last and not rest:
        return rest, done
    _commit_batch(run, owner, on_progress, done)
    return rest, 0


def _begin_attempt(run, owner):
    """Count attempts that start where the last one started; the third from the same row fails the run (commit)."""
    if run.attempts and run.attempt_row == run.last_row:
        run.attempts += 1
    else:
        run.attempts, run.attempt_row = 1, run.last_row
    if run.attempts > MAX_ATTEMPTS:
        reason = (f"stopped {MAX_ATTEMPTS} times after row {run.last_row} without committing a batch"
                  + (f" ({run.error})" if run.error else ""))
        _fail(run, owner, reason)
        raise ServiceError(_("This import failed the same way twice and will not be retried: %(reason)s",
                             reason=reason), {"file": [reason]}, code="import_failed")
    run.status = "running"
    _beat(run, owner)
    db.session.commit()


def _fail(run, owner, reason):
    """Mark RUN failed with REASON and give its source's lock back, in one transaction (commit); then delete
    the uploaded file unless another run still needs it."""
    db.session.rollback()
    run.status, run.error, run.finished_at = "failed", reason, utcnow()
    _beat(run, owner)
    _release_with(run, owner)
    db.session.commit()
    discard_file_of(run)


def discard_file_of(run):
    """Delete the stored bytes of a failed RUN's file once no run of it is running or done; return True if deleted.

    The file is kept while a run can still be resumed (and as the record of a finished import); a failed run
    (a bomb, a file of the wrong shape, a run that died twice at one place) keeps only its row, name and
    checksum. Uploading the same bytes again stores them again (store_file).
    """
    if run.status != "failed":
        return False
    needed = db.session.scalar(sa.select(sa.exists().where(ImportRun.file_id == run.file_id,
                                                           ImportRun.status.in_(("running", "done")))))
    if needed:
        return False
    Path(run.file.stored_path).unlink(missing_ok=True)
    return True


def _note_failure(run, owner, reason):
    """Record why an attempt broke off (the batch is undone); the same reason twice from one row fails the run."""
    same_again = run.error == reason and run.attempts > 1  # this attempt started where the last one did
    db.session.rollback()
    if same_again:
        _fail(run, owner, reason)
        return
    try:
        run.error = reason
        _beat(run, owner)
        db.session.commit()
    except (ServiceError, sa.exc.SQLAlchemyError):  # lock lost or database gone: the resume decides
        db.session.rollback()


def _beat_due(run):
    """Say whether the batch must commit early to keep the heartbeat fresh (slow rows, e.g. geocoding)."""
    return (utcnow() - run.heartbeat_at).total_seconds() > stale_after_s() / 4


def _release_with(run, owner):
    db.session.execute(sa.delete(ImportLock).where(ImportLock.source == run.source, ImportLock.owner == owner)
                       .execution_options(synchronize_session=False))


def _commit_batch(run, owner, on_progress, rows, beat=True):
    if beat:
        _beat(run, owner)
    db.session.commit()  # the identity map holds rows weakly: nothing of the batch outlives it
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no lock queue: a waiting writer polls (every 100 ms at most), and would starve if the
        # next batch took the lock straight back. Leave it a window.
        sleep(SQLITE_BATCH_PAUSE_S)
    if on_progress:
        on_progress(rows)


def is_running_live(run):
    """Say whether a live process holds RUN's lock right now (it is being imported)."""
    lock = _lock_row(run.source)
    return lock is not None and lock.run_id == run.id and not _holder_gone(lock, utcnow())


def resumable_runs():
    """Return the runs left 'running' by a process that died: a stale heartbeat, or a lock whose holder is gone."""
    now, found = utcnow(), []
    for run in db.session.scalars(sa.select(ImportRun).where(ImportRun.status == "running").order_by(ImportRun.id)):
        lock = _lock_row(run.source)
        mine = lock is not None and lock.run_id == run.id
        if (mine and _holder_gone(lock, now)) or (not mine and is_stale(run)):
            found.append(run)
    return found


def import_file(source, stream, filename, user=None, on_progress=None, batch_size=DEFAULT_BATCH):
    """Store a file, then run it through SOURCE's adapter (or resume or return its earlier run)."""
    _adapter(source)  # an unknown format is refused before the file is kept
    run, created = start_run(source, store_file(stream, filename, user), user)
    if created or run.status != "done":
        execute_run(run, on_progress, batch_size)
    return run, created


def natural_key(fields, credit_code=None):
    """Return a row's identity within its source: the filing number, the credit code, else name core and place."""
    if fields.get("licence_no"):
        return f"licence:{fields['licence_no']}"
    if credit_code:
        return f"credit:{credit_code}"
    place = fields.get("district_code") or fields.get("city_code")
    return f"name:{place}:{dedupe.name_key(fields['name'], fields.get('district_code'))}"[:300]


def _loose_key(fields):
    """Return the natural key of a row that failed validation, when its identity could be read; else None."""
    if fields.get("licence_no") or (fields.get("name") and fields.get("district_code")):
        return natural_key(fields)
    return None


def _row_hash(norm):
    payload = {"fields": norm.fields, "fees": sorted([list(k) + [v] for k, v in norm.fees.items()])}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class RowImporter:
    """Applies normalised rows of one run: insert, update, merge, quarantine or flag a conflict."""

    def __init__(self, run, adapter, jurisdiction=None):
        self.run, self.adapter, self._any_open = run, adapter, None
        self.jurisdiction = jurisdiction if jurisdiction is not None else run.jurisdiction_code

    def handle(self, number, raw, force=None, quarantined=None):
        """Import one raw row; FORCE: 'merge' into QUARANTINED's candidate or 'new' (a regulator's decision)."""
        norm = normalise_row(self.adapter, raw, self.jurisdiction)
        if norm.outside:
            self.run.outside_region += 1
            return "outside", None
        if not norm.ok:
            return self._quarantine(number, raw, norm.problems, quarantined, key=_loose_key(norm.fields))
        self._locate(norm)
        key = natural_key(norm.fields, norm.credit_code)
        record = db.session.scalar(sa.select(SourceRecord).where(SourceRecord.source == self.run.source,
                                                                 SourceRecord.natural_key == key))
        if norm.city_level:
            self.run.city_level += 1
        if record is not None and record.file_id == self.run.file_id and record.row_number != number \
                and self.adapter.directory:  # the same home twice in one list: fill its gaps, keep the first
            home = db.session.get(Home, record.home_id)
            return self._update(home, norm, number, "merged"), home
        if record is not None and record.file_id == self.run.file_id and record.row_number != number:
            return self._quarantine(number, raw, [Problem("duplicate_row", "name", str(record.row_number))],
                                    quarantined, key=key)
        row_hash = _row_hash(norm)
        if record is not None and record.row_hash == row_hash:
            self.run.unchanged += 1
            home = db.session.get(Home, record.home_id)
            self._close_quarantined(key, home)
            return "unchanged", home
        home, outcome = self._target(norm, record, force, quarantined)
        if outcome == "duplicate":
            return self._quarantine(number, raw, [Problem("possible_duplicate", "name", home[0].name)],
                                    quarantined, kind="duplicate", candidate=home, key=key)
        if home is None:
            home, outcome = self._insert(norm, number), "inserted"
        else:
            outcome = self._update(home, norm, number, outcome)
        self._remember(record, key, home, row_hash, number)
        self._close_quarantined(key, home)
        return outcome, home

    # --- the bulk path: a batch of rows decided with a few queries, new homes written in one go --------------

    def import_rows(self, rows, deadline=None, beat_due=None):
        """Import ROWS ([(number, raw)]) in order; return how many were done (all, or fewer past DEADLINE).

        A row that adds a new home or repeats an unchanged one is decided from queries made once for the batch
        (its natural keys, filing numbers) and one light dedupe query, and written with the batch's other new
        homes in one statement per table. Any other row (update, merge, possible duplicate, quarantine) goes
        through `handle` once the bulk rows before it are written: the outcome is the row-by-row one.
        """
        prepared = [(number, raw, normalise_row(self.adapter, raw, self.jurisdiction)) for number, raw in rows]
        keys = {number: natural_key(norm.fields, norm.credit_code) for number, _raw, norm in prepared
                if norm.ok and not norm.outside}
        records = self._records_for(set(keys.values()))
        licensed = self._licences_in_use({norm.fields["licence_no"] for _n, _r, norm in prepared
                                          if norm.ok and not norm.outside and norm.fields.get("licence_no")})
        batch, stale, done = _NewHomes(), set(), 0
        known = dedupe.candidate_listings_many([norm.fields if number in keys else {}
                                                for number, _raw, norm in prepared])
        for index, (number, raw, norm) in enumerate(prepared):
            key = keys.get(number)
            if norm.outside:
                self.run.outside_region += 1
            elif key is None or key in stale or not self._bulk(number, norm, key, records, licensed, batch,
                                                               None if stale else known.get(index)):
                self._write(batch)
                batch = batch.next()
                stale.add(key)  # its record may change now: later rows with this key go row by row too
                self.handle(number, raw)
                db.session.flush()  # the light queries that follow read the database, not the session
            done += 1
            if deadline is not None and done < len(rows) and (monotonic() > deadline or (beat_due and beat_due())):
                break
        self._write(batch)
        return done

    def _bulk(self, number, norm, key, records, licensed, batch, candidates=None):
        """Take a valid row into BATCH (new) or count it unchanged; False when it needs the row-by-row path.

        CANDIDATES: the row's dedupe candidates read at the start of the batch (None: ask now). They stay
        right while every row so far went the bulk way: the batch's own new homes are added from BATCH.
        """
        record = records.get(key)
        if key in batch.keys or (record is not None and record.file_id == self.run.file_id
                                 and record.row_number != number):
            return False
        self._locate(norm)
        row_hash = _row_hash(norm)
        if record is not None:
            if record.row_hash != row_hash:
                return False
            self.run.unchanged += 1
            batch.resolved[key] = record.home_id
        else:
            if norm.fields.get("licence_no") in licensed:
                return False
            if candidates is None:
                candidates = dedupe.candidate_listings(norm.fields)
            candidates = candidates + batch.near(norm.fields)
            if dedupe.best_listing(norm.fields, candidates)[1] >= dedupe.QUEUE_AT:
                return False
            batch.add(number, norm, key, row_hash)
        if norm.city_level:
            self.run.city_level += 1
        return True

    def _records_for(self, keys):
        """Return {natural key: SourceRecord columns} of this source for KEYS (one query)."""
        if not keys:
            return {}
        rows = db.session.execute(sa.select(SourceRecord.natural_key, SourceRecord.home_id, SourceRecord.row_hash,
                                            SourceRecord.file_id, SourceRecord.row_number)
                                  .where(SourceRecord.source == self.run.source,
                                         SourceRecord.natural_key.in_(sorted(keys))))
        return {row.natural_key: row for row in rows}

    @staticmethod
    def _licences_in_use(licences):
        """Return the filing numbers among LICENCES that a home already has (one query)."""
        if not licences:
            return set()
        return set(db.session.scalars(sa.select(Home.licence_no).where(Home.licence_no.in_(sorted(licences)))))

    def _write(self, batch):
        """Insert the batch's new homes with their fees, provenance, changes and source records; outbox rows."""
        if batch.rows:
            ids = _insert_homes([{**norm.fields, "source": self.adapter.label[:200], "name_en": ""}
                                 for _number, norm, _key, _hash in batch.rows])
            self._write_details(batch, ids)
            record_changes(db.session, set(ids))
            self.run.inserted += len(ids)
            batch.resolved.update({key: home_id for (_n, _norm, key, _h), home_id in zip(batch.rows, ids)})
        self._close_quarantined_all(batch.resolved)

    def _write_details(self, batch, ids):
        now, today, label = utcnow(), time.today(), self._source_label()
        fees, provenance, changes, records = [], [], [], []
        for home_id, (number, norm, key, row_hash) in zip(ids, batch.rows):
            fees += [{"home_id": home_id, "care_level": level, "kind": kind, "amount_fen": fen,
                      "effective_from": today, "source": label, "recorded_at": now}
                     for (level, kind), fen in norm.fees.items()]
            values = {**norm.fields, **{f"fee.{level}.{kind}": fen for (level, kind), fen in norm.fees.items()}}
            provenance += [{"home_id": home_id, "field": name, "value": _jsonable(value), "source": self.run.source,
                            "file_id": self.run.file_id, "row_number": number, "recorded_at": now}
                           for name, value in values.items()]
            changes.append({"home_id": home_id, "channel": "import", "created_at": now,
                            "changes": {"created": [None, self.run.source]}})
            records.append({"source": self.run.source, "natural_key": key, "home_id": home_id, "row_hash": row_hash,
                            "file_id": self.run.file_id, "row_number": number, "updated_at": now})
        for model, values in ((FeeItem, fees), (FieldProvenance, provenance), (ListingChange, changes),
                              (SourceRecord, records)):
            if values:  # Core executemany: no ORM bookkeeping for rows nobody loads
                db.session.connection().execute(sa.insert(model.__table__), values)

    def _close_quarantined_all(self, resolved):
        """Resolve open quarantine entries of earlier runs for the keys of RESOLVED {key: home id} (one query)."""
        if not resolved or not self._open_elsewhere():
            return
        rows = db.session.scalars(sa.select(QuarantinedRow).where(
            QuarantinedRow.source == self.run.source, QuarantinedRow.natural_key.in_(sorted(resolved)),
            QuarantinedRow.status == "open", QuarantinedRow.run_id != self.run.id)).all()
        for row in rows:
            row.status, row.resolved_run_id, row.resolved_at = "resolved", self.run.id, utcnow()
            row.home_id = resolved[row.natural_key]

    def _close_quarantined(self, key, home):
        """Resolve the open quarantine entries of earlier runs for the same row: its valid version is in now."""
        if not self._open_elsewhere():
            return
        rows = db.session.scalars(sa.select(QuarantinedRow).where(
            QuarantinedRow.source == self.run.source, QuarantinedRow.natural_key == key,
            QuarantinedRow.status == "open", QuarantinedRow.run_id != self.run.id)).all()
        for row in rows:
            row.status, row.resolved_run_id, row.home_id, row.resolved_at = "resolved", self.run.id, home.id, utcnow()

    def _open_elsewhere(self):
        """Say (once per run) whether earlier runs of this source left open entries to look for at all."""
        if self._any_open is None:
            self._any_open = bool(db.session.scalar(sa.select(sa.exists().where(
                QuarantinedRow.source == self.run.source, QuarantinedRow.status == "open",
                QuarantinedRow.natural_key.is_not(None), QuarantinedRow.run_id != self.run.id))))
        return self._any_open

    def _locate(self, norm):
        if "lat" in norm.fields:
            return
        gz = gazetteer()
        district = gz.district(norm.fields.get("district_code") or "")
        area = district or gz.city(norm.fields["city_code"])
        point = geocode.locate(norm.fields["address"], area)
        if point is not None:
            norm.fields.update(lat=point[0], lon=point[1], location_approximate=point[2] in ("district", "city"),
                               location_precision=point[2])
        else:  # the centre of what is known, said to be approximate
            norm.fields.update(lat=area.lat, lon=area.lon, location_approximate=True,
                               location_precision="district" if district else "city")

    def _target(self, norm, record, force, quarantined):
        """Return (home or None, 'match' | 'merged' | 'duplicate' | 'new') for a row not seen before."""
        if record is not None:
            return db.session.get(Home, record.home_id), "match"
        if force == "merge" and quarantined is not None and quarantined.candidate_home_id:
            return db.session.get(Home, quarantined.candidate_home_id), "merged"
        if norm.fields.get("licence_no"):
            home = db.session.scalar(sa.select(Home).where(Home.licence_no == norm.fields["licence_no"]))
            if home is not None:
                return home, "merged"
        if force == "new":
            return None, "new"
        match, score = dedupe.best_match(norm.fields)
        if match is not None and score >= dedupe.MERGE_AT:
            return match, "merged"
        if match is not None and score >= dedupe.QUEUE_AT:
            return (match, score), "duplicate"
        return None, "new"

    def _insert(self, norm, number):
        fields = dict(norm.fields)
        home = Home(**fields, source=self.adapter.label[:200], name_en="")
        db.session.add(home)
        db.session.flush()  # the new home's id; the outbox hook queues it for search
        now, today = utcnow(), time.today()
        # executemany through Core: one statement per table, not one per fee or field
        if norm.fees:
            db.session.execute(sa.insert(FeeItem), [
                {"home_id": home.id, "care_level": level, "kind": kind, "amount_fen": fen, "effective_from": today,
                 "source": self._source_label(), "recorded_at": now} for (level, kind), fen in norm.fees.items()])
        values = {**fields, **{f"fee.{level}.{kind}": fen for (level, kind), fen in norm.fees.items()}}
        db.session.execute(sa.insert(FieldProvenance), [
            {"home_id": home.id, "field": name, "value": _jsonable(value), "source": self.run.source,
             "file_id": self.run.file_id, "row_number": number, "recorded_at": now} for name, value in values.items()])
        db.session.add(ListingChange(home_id=home.id, channel="import", changes={"created": [None, self.run.source]}))
        self.run.inserted += 1
        return home

    def _update(self, home, norm, number, how):
        fields = dict(norm.fields)
        if how == "merged" and self.adapter.directory:  # a duplicate listing only fills what is unknown
            fields = {k: v for k, v in fields.items() if getattr(home, k) in (None, "") and v not in (None, "")}
        if fields.get("location_approximate") and not home.location_approximate:
            for name in ("lat", "lon", "location_approximate"):
                fields.pop(name)  # never replace a real point with a district centre
        if not fields.get("licence_no"):
            fields.pop("licence_no", None)
        for name in self._identity_owned_elsewhere(home):
            fields.pop(name, None)
        changes, human = {}, _HumanEdits(home)
        for name, value in fields.items():
            if _same(getattr(home, name), value) or self._conflict(home, name, getattr(home, name), value,
                                                                   human, number):
                continue
            changes[name] = [getattr(home, name), value]
            setattr(home, name, value)
            self._provenance(home, name, value, number)
        changes.update(self._update_fees(home, norm.fees, human, number))
        if changes:
            db.session.add(ListingChange(home_id=home.id, channel="import", changes=_jsonable(changes)))
        if how == "merged":
            self.run.merged += 1
        if changes:
            self.run.updated += 1
            return "updated"
        self.run.unchanged += 1
        return "unchanged"

    def _identity_owned_elsewhere(self, home):
        """Identity fields another source (or a person) set: a merged row never renames or moves a home."""
        owners = dict(db.session.execute(sa.select(FieldProvenance.field, FieldProvenance.source).where(
            FieldProvenance.home_id == home.id, FieldProvenance.field.in_(IDENTITY_FIELDS))).all())
        return [name for name in IDENTITY_FIELDS if owners.get(name) != self.run.source]

    def _levels_owned_elsewhere(self, home, current):
        """Care levels whose prices another source (or a person, without provenance) gave first: kept whole,
        so an all-in price from one list is never added to itemised fees from another."""
        owners = dict(db.session.execute(sa.select(FieldProvenance.field, FieldProvenance.source).where(
            FieldProvenance.home_id == home.id, FieldProvenance.field.like("fee.%"))).all())
        return {level for level, items in current.items()
                if any(owners.get(f"fee.{level}.{kind}") != self.run.source for kind in items)}

    def _update_fees(self, home, fees, human, number):
        current, changes = home.current_fees(), {}
        foreign = self._levels_owned_elsewhere(home, current)
        for (level, kind), fen in fees.items():
            if level in foreign:
                continue
            item = current.get(level, {}).get(kind)
            old = item.amount_fen if item else None
            if old == fen or self._conflict(home, f"fee.{level}.{kind}", old, fen, human, number):
                continue
            _set_fee(home, level, kind, fen, self._source_label())
            changes[f"{level}.{kind}@{time.today().isoformat()}"] = [old, fen]
            self._provenance(home, f"fee.{level}.{kind}", fen, number)
        return changes

    def _conflict(self, home, name, current, incoming, human, number):
        """Flag and skip a change when a verified provider or a regulator set the field after the import did."""
        edit = human.latest(name)
        if edit is None:
            return False
        seen = db.session.scalar(sa.select(FieldProvenance).where(FieldProvenance.home_id == home.id,
                                                                  FieldProvenance.field == name))
        if seen is not None and seen.recorded_at >= edit.created_at:
            return False
        exists = db.session.scalar(sa.select(ImportConflict).where(
            ImportConflict.run_id == self.run.id, ImportConflict.home_id == home.id, ImportConflict.field == name))
        if exists is None:
            db.session.add(ImportConflict(run_id=self.run.id, home_id=home.id, field=name,
                                          current_value=_jsonable(current), incoming_value=_jsonable(incoming),
                                          edited_by=edit.channel, edited_at=edit.created_at, row_number=number))
            self.run.conflicts += 1
        return True

    def _provenance(self, home, name, value, number):
        row = db.session.scalar(sa.select(FieldProvenance).where(FieldProvenance.home_id == home.id,
                                                                 FieldProvenance.field == name))
        if row is None:
            row = FieldProvenance(home_id=home.id, field=name)
            db.session.add(row)
        row.value, row.source, row.file_id = _jsonable(value), self.run.source, self.run.file_id
        row.row_number, row.recorded_at = number, utcnow()

    def _remember(self, record, key, home, row_hash, number):
        if record is None:
            record = SourceRecord(source=self.run.source, natural_key=key)
            db.session.add(record)
        record.home_id, record.row_hash, record.file_id = home.id, row_hash, self.run.file_id
        record.row_number, record.updated_at = number, utcnow()

    def _quarantine(self, number, raw, problems, existing=None, kind="invalid", candidate=None, key=None):
        row = existing or db.session.scalar(sa.select(QuarantinedRow).where(
            QuarantinedRow.file_id == self.run.file_id, QuarantinedRow.source == self.run.source,
            QuarantinedRow.row_number == number))
        if row is None:
            row = QuarantinedRow(run_id=self.run.id, file_id=self.run.file_id, source=self.run.source,
                                 row_number=number)
            db.session.add(row)
            self.run.quarantined += 1
        row.kind, row.data, row.problems, row.natural_key = kind, raw, [p.as_dict() for p in problems], key
        row.candidate_home_id, row.score = (candidate[0].id, candidate[1]) if candidate else (None, None)
        db.session.flush()
        return "quarantined", row

    def _source_label(self):
        return f"import {self.run.source} #{self.run.id}"[:200]


class _NewHomes:
    """The new homes of a bulk batch not written yet, findable by natural key and by place for dedupe."""

    def __init__(self, by_place=None):
        self.rows, self.keys, self.resolved, self._by_place = [], set(), {}, {} if by_place is None else by_place

    def next(self):
        """Return an empty batch that still knows this one's homes for dedupe (written now, read at the start)."""
        return _NewHomes(self._by_place)

    def add(self, number, norm, key, row_hash):
        """Keep a new row until the batch is written."""
        self.rows.append((number, norm, key, row_hash))
        self.keys.add(key)
        listing = {**dedupe.listing_fields(norm.fields), "id": None}
        for place in (norm.fields.get("district_code"), norm.fields.get("city_code")):
            if place:
                self._by_place.setdefault(place, []).append(listing)

    def near(self, fields):
        """Return the batch's listings a new row with FIELDS could duplicate: those of its district (else city)
        sharing a name character pair, as the dedupe query picks them."""
        pairs = dedupe.name_pairs(fields)
        return [listing for listing in self._by_place.get(fields.get("district_code") or fields.get("city_code"), ())
                if any(pair in listing["name"] for pair in pairs)]


def _insert_homes(values):
    """INSERT the homes of VALUES (dicts of Home fields) in as few statements as their shapes allow; their ids."""
    ids, shapes = [None] * len(values), {}
    for i, row in enumerate(values):
        shapes.setdefault(tuple(sorted(row)), []).append(i)
    for indexes in shapes.values():
        result = db.session.execute(sa.insert(Home).returning(Home.id, sort_by_parameter_order=True),
                                    [values[i] for i in indexes])
        for i, home_id in zip(indexes, result.scalars().all()):
            ids[i] = home_id
    return ids


class _HumanEdits:
    """The home's listing changes by a regulator or a verified provider, newest first, loaded once."""

    def __init__(self, home):
        self.home, self._rows = home, None

    def latest(self, name):
        """Return the newest human ListingChange that touched field NAME (fee.<level>.<kind> for fees), or None."""
        if self._rows is None:
            verified = self.home.provider is not None and self.home.provider.verified_at is not None
            channels = HUMAN_CHANNELS if verified else ("regulator",)
            self._rows = db.session.scalars(sa.select(ListingChange).where(
                ListingChange.home_id == self.home.id, ListingChange.channel.in_(channels))
                .order_by(ListingChange.created_at.desc())).all()
        prefix = name.removeprefix("fee.") + "@" if name.startswith("fee.") else None
        for change in self._rows:
            keys = change.changes or {}
            if (prefix and any(k.startswith(prefix) for k in keys)) or name in keys:
                return change
        return None


def _same(old, new):
    if isinstance(old, float) and isinstance(new, float):
        return abs(old - new) < 1e-6
    return old == new


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def _set_fee(home, level, kind, fen, source):
    today = time.today()
    item = next((f for f in home.fee_items if (f.care_level, f.kind, f.effective_from) == (level, kind, today)), None)
    if item is None:
        home.fee_items.append(FeeItem(care_level=level, kind=kind, amount_fen=fen, effective_from=today,
                                      source=source))
    else:
        item.amount_fen, item.source, item.recorded_at = fen, source, utcnow()


# --- the regulator's side: quarantine fixes, duplicate decisions, conflicts -------------------------------

EDITABLE = ("name", "licence_no", "district_code", "city_name", "district_name", "address", "phone", "beds_total",
            "grade", "ownership", "lat", "lon")


def get_quarantined(row_id):
    """Return the quarantined row ROW_ID or raise NotFound."""
    row = db.session.get(QuarantinedRow, row_id)
    if row is None:
        raise NotFound(_("No such quarantined row."))
    return row


def reimport_row(row, values, user, decision=None):
    """Apply a regulator's fixes to a quarantined row and import it again; return (outcome, home or row); commit.

    VALUES: {field or fee column: text}. DECISION for a possible duplicate: 'merge' or 'new'. Holds the source's
    lock like a run (409 `import_running` while a run of the source imports).
    """
    if row.status != "open":
        raise ServiceError(_("This row was already dealt with."), status=409, code="already_resolved")
    source, owner = row.source, claim_run(row.run)
    try:
        return _reimport_row(row, values, user, decision, owner)
    except BaseException:
        _release_quietly(source, owner)
        raise


def _reimport_row(row, values, user, decision, owner):
    if row.status != "open":  # reloaded after the claim: decided meanwhile by someone else
        raise ServiceError(_("This row was already dealt with."), status=409, code="already_resolved")
    adapter = get_adapter(row.source)
    data = {**row.data, "fees": dict(row.data.get("fees", {}))}
    for name, text in values.items():
        if name in adapter.fee_columns():
            data["fees"][name] = (text or "").strip()
        elif name in EDITABLE and (name in data or name in adapter.columns):
            data[name] = (text or "").strip()
    row.data = data
    jurisdiction = user.jurisdiction_code if user.role == "regulator" else ""  # admins: everywhere
    importer = RowImporter(row.run, adapter, jurisdiction=jurisdiction)
    outcome, result = importer.handle(row.row_number, data, force=decision, quarantined=row)
    if outcome != "quarantined":
        row.status, row.home_id, row.resolved_by_id, row.resolved_at = "imported", result.id, user.id, utcnow()
    _release_with(row.run, owner)
    db.session.commit()
    return outcome, result


def dismiss_row(row, user):
    """Close a quarantined row without importing it (kept, with who decided); commit."""
    if row.status != "open":
        raise ServiceError(_("This row was already dealt with."), status=409, code="already_resolved")
    row.status, row.resolved_by_id, row.resolved_at = "dismissed", user.id, utcnow()
    db.session.commit()
    return row


def get_conflict(conflict_id):
    """Return the conflict CONFLICT_ID or raise NotFound."""
    conflict = db.session.get(ImportConflict, conflict_id)
    if conflict is None:
        raise NotFound(_("No such conflict."))
    return conflict


def resolve_conflict(conflict, accept, user):
    """Keep the current value, or accept the imported one (recorded as the regulator's change); commit."""
    if conflict.status != "open":
        raise ServiceError(_("This conflict was already decided."), status=409, code="already_resolved")
    conflict.status = "accepted" if accept else "kept"
    conflict.resolved_by_id, conflict.resolved_at = user.id, utcnow()
    if accept:
        home = db.session.get(Home, conflict.home_id)
        _apply_value(home, conflict.field, conflict.incoming_value)
        db.session.add(ListingChange(home_id=home.id, user_id=user.id, channel="regulator",
                                     changes={_change_key(conflict.field): [conflict.current_value,
                                                                            conflict.incoming_value]}))
    db.session.commit()
    return conflict


def _apply_value(home, name, value):
    if name.startswith("fee."):
        _prefix, level, kind = name.split(".")
        _set_fee(home, level, kind, int(value), "regulator")
    else:
        setattr(home, name, value)


def _change_key(name):
    if name.startswith("fee."):
        return f"{name.removeprefix('fee.')}@{time.today().isoformat()}"
    return name
