"""Idempotency-Key records of API clients: find, reserve and complete them (all the SQL of it).

A client's retried write carries the same Idempotency-Key; the first request reserves the key, stores its
response when done, and a retry is answered from the record. Records expire after IDEMPOTENCY_TTL.

The reservation is made inside the write's own transaction (flushed, not committed): a write that is refused,
or whose worker dies before it commits, leaves no reservation behind. Only a worker that dies between the
write's commit and the response's leaves an in-progress record; it lapses after PENDING_S seconds.
"""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.oauth2_models import IDEMPOTENCY_TTL, IdempotencyRecord
from core.db import utcnow
from core.extensions import db

PENDING_S = 120  # longer than any request may run (gunicorn --timeout, nginx proxy_read_timeout)


def _find(client_id, key):
    return db.session.scalar(sa.select(IdempotencyRecord).where(IdempotencyRecord.api_client_id == client_id,
                                                                IdempotencyRecord.key == key))


def _lapsed(record, pending_s):
    """Say whether an in-progress record outlived any request that could still complete it (its worker died)."""
    return record.response_status is None and record.created_at + timedelta(seconds=pending_s) <= utcnow()


def existing(client_id, key, pending_s=PENDING_S):
    """Return CLIENT_ID's live record for KEY, or None (an expired or lapsed one is deleted; commits then)."""
    record = _find(client_id, key)
    if record is not None and (record.is_expired or _lapsed(record, pending_s)):
        db.session.delete(record)
        db.session.commit()
        return None
    return record


def reserve(client_id, key, fingerprint):
    """Reserve KEY in the current transaction (flushed, not committed); return False when another request holds
    it (the transaction is then rolled back). A concurrent request with the key waits here until ours ends."""
    db.session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.api_client_id == client_id,
                                                          IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_TTL))
    db.session.add(IdempotencyRecord(api_client_id=client_id, key=key, request_hash=fingerprint))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def release(client_id, key):
    """Forget KEY's record (a request that changed nothing may be retried under it); commit."""
    db.session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.api_client_id == client_id,
                                                          IdempotencyRecord.key == key))
    db.session.commit()


def complete(client_id, key, fingerprint, status, body):
    """Store the response (STATUS, BODY) under KEY for replays; commit.

    The reservation committed with the write; if the write was retried after a race (services roll back and
    run again), the reservation went with the first try and a fresh record is made.
    """
    record = _find(client_id, key)
    if record is None:
        record = IdempotencyRecord(api_client_id=client_id, key=key, request_hash=fingerprint)
        db.session.add(record)
    record.response_status, record.response_body = status, body
    try:
        db.session.commit()
    except IntegrityError:  # another request with the key stored its (identical) response first
        db.session.rollback()
