"""Recording notifications. Listeners of the domain signals (core.signals) add the inbox item and its deliveries
to the session of the change that caused them, so they commit or roll back together; the worker sends them."""

from datetime import time, timedelta

import sqlalchemy as sa
from flask import current_app

from core import time as clock
from core.extensions import db
from notify.kinds import KINDS
from notify.models import CHANNELS, Delivery, Notification, Preference, Settings


def record(user, kind, params, link, dedupe_key):
    """Add USER's notification of KIND (and its deliveries) to the current session; the caller commits.

    Recording the same DEDUPE_KEY again does nothing, so a retried request never notifies twice."""
    if user is None or not user.active:
        return None
    pending = [o for o in db.session.new if isinstance(o, Notification) and o.dedupe_key == dedupe_key]
    if pending or db.session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    notification = Notification(user_id=user.id, kind=kind, params=params, link=link, dedupe_key=dedupe_key,
                                created_at=clock.utcnow())
    for channel in channels_for(user, kind):
        notification.deliveries.append(Delivery(channel=channel, not_before=_not_before(channel)))
    db.session.add(notification)
    return notification


def channels_for_display(user, kind):
    """The outside channels USER has chosen for KIND (the kind's default where they have not chosen)."""
    chosen = {p.channel: p.enabled for p in db.session.scalars(
        sa.select(Preference).where(Preference.user_id == user.id, Preference.kind == kind))}
    return [c for c in CHANNELS if chosen.get(c, c in KINDS[kind][2])]


def channels_for(user, kind):
    """The outside channels USER receives KIND on: their choice, else the kind's default; only where reachable."""
    reachable = {"email": bool(user.email), "sms": bool(user.mobile)}
    return [c for c in channels_for_display(user, kind) if reachable[c]]


def _not_before(channel):
    """SMS waits out the quiet hours (QUIET_HOURS, business time); e-mail goes at once."""
    now = clock.utcnow()
    return next_allowed_send(now) if channel == "sms" else now


def next_allowed_send(now):
    """Return NOW, or the end of the quiet hours (21:00 to 08:00 business time by default) when NOW is inside."""
    start, end = (time.fromisoformat(v) for v in current_app.config.get("QUIET_HOURS", ("21:00", "08:00")))
    local = now.astimezone(clock.business_tz())
    if start <= local.time() or local.time() < end:
        day = local.date() + (timedelta(days=1) if local.time() >= start else timedelta())
        return clock.at_business_time(day, end)
    return now


def set_preference(user_id, kind, channel, enabled):
    """Choose whether USER_ID gets KIND on CHANNEL; commit."""
    row = db.session.get(Preference, (user_id, kind, channel))
    if row is None:
        db.session.add(Preference(user_id=user_id, kind=kind, channel=channel, enabled=enabled))
    else:
        row.enabled = enabled
    db.session.commit()


def language_of(user_id):
    """The language USER_ID's messages go out in (zh_CN unless they chose English)."""
    settings = db.session.get(Settings, user_id)
    return settings.language if settings else "zh_CN"


def set_language(user, language):
    """Send USER's messages in LANGUAGE (zh_CN or en); commit."""
    settings = db.session.get(Settings, user.id) or Settings(user_id=user.id)
    settings.language = language
    db.session.add(settings)
    db.session.commit()


def unread_count(user):
    """How many of USER's notifications are unread."""
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def inbox(user, limit=50, offset=0):
    """USER's notifications, newest first."""
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc()).limit(limit).offset(offset)).all()


def mark_read(user, notification_ids=None):
    """Mark USER's notifications (all of them when NOTIFICATION_IDS is None) read; commit; return how many."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    done = db.session.execute(stmt.values(read_at=clock.utcnow())).rowcount
    db.session.commit()
    return done


def thread_link(reference):
    """The path of an inquiry's thread (built by hand: events also happen outside requests)."""
    return f"/inquiries/{reference}"


def record_many(entries):
    """Record many notifications at once (ENTRIES: (user, kind, params, link, dedupe_key)), as record does each:
    a known dedupe key or an inactive user records nothing; the caller commits. Return how many were added.

    For fan-outs (a home that starts to match hundreds of saved searches): one look-up of the known keys, one of
    the channels per person and kind, and two multi-row inserts, instead of a unit of work per notification."""
    keys = [entry[4] for entry in entries]
    known = {o.dedupe_key for o in db.session.new if isinstance(o, Notification)}
    for start in range(0, len(keys), 500):
        known.update(db.session.scalars(sa.select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_(keys[start:start + 500]))))
    channels, rows, now = _channels_of_many(entries), [], clock.utcnow()
    for user, kind, params, link, dedupe_key in entries:
        if user is None or not user.active or dedupe_key in known:
            continue
        known.add(dedupe_key)
        rows.append({"user_id": user.id, "kind": kind, "params": params, "link": link, "dedupe_key": dedupe_key,
                     "created_at": now})
    if not rows:
        return 0
    table = Notification.__table__
    ids = dict(db.session.execute(sa.insert(table).returning(table.c.dedupe_key, table.c.id), rows).all())
    deliveries = [{"notification_id": ids[row["dedupe_key"]], "channel": channel, "status": "pending",
                   "attempts": 0, "not_before": _not_before(channel), "last_error": ""}
                  for row in rows for channel in channels[row["user_id"], row["kind"]]]
    if deliveries:
        db.session.execute(sa.insert(Delivery.__table__), deliveries)
    return len(rows)


def _channels_of_many(entries):
    """{(user id, kind): channels} for ENTRIES' people and kinds, as channels_for says, in one query per kind."""
    people = {}
    for user, kind, *_rest in entries:
        if user is not None:
            people.setdefault(kind, {})[user.id] = user
    channels = {}
    for kind, users in people.items():
        chosen = {}
        ids = sorted(users)
        for start in range(0, len(ids), 500):
            for pref in db.session.scalars(sa.select(Preference).where(
                    Preference.kind == kind, Preference.user_id.in_(ids[start:start + 500]))):
                chosen[pref.user_id, pref.channel] = pref.enabled
        for user_id, user in users.items():
            reachable = {"email": bool(user.email), "sms": bool(user.mobile)}
            channels[user_id, kind] = [c for c in CHANNELS if chosen.get((user_id, c), c in KINDS[kind][2])
                                       and reachable[c]]
    return channels
