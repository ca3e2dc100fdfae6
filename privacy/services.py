"""A person's rights, self-service: see and download everything held about them, withdraw consent, delete the
account; and the retention job that anonymises what has been kept long enough. Driven by registry.py."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from accounts import consents
from core import time
from core.extensions import db
from privacy.models import DataRequest
from privacy.registry import PERSONAL_COLUMNS, USER_FIELDS


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _table(name):
    return db.metadata.tables[name]


def export_user_data(user, actor=None):
    """Everything held about USER: the account and every row that names them, table by table; recorded."""
    data = {"account": {f: _plain(getattr(user, f)) for f in USER_FIELDS},
            "generated_at": time.utcnow().isoformat(), "notice_version": consents.NOTICE_VERSION, "tables": {}}
    for (table_name, column), mode in sorted(PERSONAL_COLUMNS.items()):
        table = _table(table_name)
        rows = db.session.execute(sa.select(table).where(table.c[column] == user.id)).mappings().all()
        if rows:
            key = table_name if mode != "actor" else f"{table_name} (as {column})"
            data["tables"].setdefault(key, []).extend(
                {k: _plain(v) for k, v in row.items() if k not in ("password_hash", "token_hash")} for row in rows)
    db.session.add(DataRequest(kind="export", subject_id=user.id, actor_id=(actor or user).id))
    db.session.commit()
    return data


# an inquiry whose family is gone (account deleted, retention over): closed, nothing left that reaches them
_ERASED_INQUIRY = {"contact_name": "", "contact_phone": "", "contact_email": "", "care_level": None,
                   "status": "closed", "awaiting_provider": False, "body_fingerprint": ""}


def _erase_inquiries(user_id):
    inquiries, messages = _table("inquiries"), _table("inquiry_messages")
    own = sa.select(inquiries.c.id).where(inquiries.c.user_id == user_id)
    db.session.execute(messages.update().where(messages.c.inquiry_id.in_(own), messages.c.author_role == "family")
                       .values(body="", author_id=None))
    db.session.execute(inquiries.update().where(inquiries.c.user_id == user_id).values(**_ERASED_INQUIRY))
    db.session.execute(messages.update().where(messages.c.author_id == user_id).values(author_id=None))


def delete_account(user, actor=None):
    """Delete USER's account: personal data removed or anonymised at once, what the law or the audit log needs
    kept without their name (a published review stays, by "a family member"); recorded; commit."""
    for (table_name, column), mode in PERSONAL_COLUMNS.items():
        table = _table(table_name)
        if mode == "delete":
            db.session.execute(table.delete().where(table.c[column] == user.id))
        elif mode == "unlink":
            db.session.execute(table.update().where(table.c[column] == user.id).values({column: None}))
    _erase_inquiries(user.id)
    user.email = user.mobile = user.oidc_issuer = user.oidc_subject = user.password_hash = None
    user.display_name, user.active, user.failed_logins = "", False, 0
    user.locked_until = user.last_login_at = user.last_failed_login_at = None
    db.session.add(DataRequest(kind="delete", subject_id=user.id, actor_id=(actor or user).id))
    db.session.commit()


def retention_days(name):
    """A retention period from config (days)."""
    return int(current_app.config[name])


def apply_retention(now=None):
    """Anonymise inquiries, delete notifications and reset tokens and clear login records kept past their
    retention periods; commit; return what was done, per kind (the daily job)."""
    now = now or time.utcnow()
    inquiries, notifications, tokens = _table("inquiries"), _table("notifications"), _table("password_reset_tokens")
    cutoff = now - timedelta(days=retention_days("INQUIRY_RETENTION_DAYS"))
    expired = db.session.scalars(sa.select(inquiries.c.id).where(inquiries.c.updated_at < cutoff,
                                                                 inquiries.c.contact_name != "")).all()
    if expired:
        messages = _table("inquiry_messages")
        db.session.execute(messages.update().where(messages.c.inquiry_id.in_(expired)).values(body=""))
        db.session.execute(inquiries.update().where(inquiries.c.id.in_(expired)).values(**_ERASED_INQUIRY))
    done = {"inquiries": len(expired)}
    done["notifications"] = db.session.execute(notifications.delete().where(
        notifications.c.created_at < now - timedelta(days=retention_days("NOTIFICATION_RETENTION_DAYS")))).rowcount
    done["reset_tokens"] = db.session.execute(tokens.delete().where(
        tokens.c.expires_at < now - timedelta(days=retention_days("RESET_TOKEN_RETENTION_DAYS")))).rowcount
    done["login_records"] = _forget_old_logins(now)
    if any(done.values()):
        db.session.add(DataRequest(kind="retention", reason=", ".join(f"{k}={v}" for k, v in done.items())))
    db.session.commit()
    return done


def _forget_old_logins(now):
    """Clear sign-in times and failure counts older than LOGIN_RECORD_RETENTION_DAYS; return how many accounts.

    The login records the platform keeps are these columns of `users`: the last sign-in's time, the count of
    failed sign-ins since the last success and its last time, the lock they caused. A failure count from before
    its time was recorded (NULL) is cleared too, unless its lock is still in force."""
    users = _table("users")
    cutoff = now - timedelta(days=retention_days("LOGIN_RECORD_RETENTION_DAYS"))
    signed_in = db.session.execute(users.update().where(users.c.last_login_at < cutoff)
                                   .values(last_login_at=None)).rowcount
    stale = sa.or_(users.c.last_failed_login_at < cutoff,
                   sa.and_(users.c.last_failed_login_at.is_(None), users.c.failed_logins > 0,
                           sa.or_(users.c.locked_until.is_(None), users.c.locked_until < now)))
    failed = db.session.execute(users.update().where(stale).values(
        failed_logins=0, last_failed_login_at=None, locked_until=None)).rowcount
    return signed_in + failed


def record_correction(sender, user, field, **extra):
    """Record that USER corrected FIELD of their own account (the field's name, never its value); the caller
    commits (a signals.account_corrected listener)."""
    db.session.add(DataRequest(kind="correct", subject_id=user.id, actor_id=user.id, target=f"account:{field}"))


def retention_job():
    """The daily job: apply the retention periods."""
    apply_retention()


def record_reveal(actor, subject_id, target, reason):
    """Record that staff member ACTOR revealed SUBJECT_ID's personal data in TARGET, and why; commit."""
    db.session.add(DataRequest(kind="reveal", subject_id=subject_id, actor_id=actor.id, target=target,
                               reason=reason[:500]))
    db.session.commit()

