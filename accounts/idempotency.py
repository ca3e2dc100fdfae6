"""Idempotency-Key records of API clients: find, reserve, release and complete them (all the SQL of it).

A client's retried write carries the same Idempotency-Key; the first request reserves the key, stores its
response when done, and a retry is answered from the record. Records expire after IDEMPOTENCY_TTL.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.oauth2_models import IDEMPOTENCY_TTL, IdempotencyRecord
from core.db import utcnow
from core.extensions import db


def existing(client_id, key):
    """Return CLIENT_ID's live record for KEY, or None (an expired one is deleted; commits then)."""
    record = db.session.scalar(sa.select(IdempotencyRecord).where(IdempotencyRecord.api_client_id == client_id,
                                                                  IdempotencyRecord.key == key))
    if record is not None and record.is_expired:
        db.session.delete(record)
        db.session.commit()
        return None
    return record


def reserve(client_id, key, fingerprint):
    """Store an in-progress record for KEY and commit; return its id, or None when another request holds KEY."""
    db.session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.api_client_id == client_id,
                                                          IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_TTL))
    record = IdempotencyRecord(api_client_id=client_id, key=key, request_hash=fingerprint)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return record.id


def release(record_id):
    """Delete the in-progress record RECORD_ID (its request failed: a retry may run again); commit."""
    db.session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def complete(record_id, status, body):
    """Store the response (STATUS, BODY) of record RECORD_ID for replays; commit."""
    record = db.session.get(IdempotencyRecord, record_id)
    record.response_status, record.response_body = status, body
    db.session.commit()
