"""A shortlisted home changed: its price, free beds, national grade or quality rating. Watched on the app's session
before each flush (like search's outbox), so every writer is seen (the portal, the provider API, an import, a
regulator's grade, a recomputed rating) and the notification commits or rolls back with the change itself.

What each flush changes is noted on the session; the notifications are recorded once, just before the commit, so
one write that flushes several times (a fee, then free beds; a grade, then the rating recomputed from it) is one
message naming every change, not one per flush."""

import copy
import hashlib

import sqlalchemy as sa

from core.extensions import db

ASPECTS = ("price", "free_beds", "grade", "quality_rating")  # the order a message names them in
_HOME_FIELDS = {"grade": "grade", "quality_stars": "quality_rating"}


def _history(obj, field):
    return sa.inspect(obj).attrs[field].history


def _home_id(obj):
    return obj.home_id if obj.home_id is not None else getattr(obj.home, "id", None)


def _child_change(obj, field, aspect, session):
    """(home id, aspect, signature) for a new, changed or deleted fee item or vacancy, else None."""
    if obj in session.new or obj in session.deleted:
        value = getattr(obj, field)
        old, new = (None, value) if obj in session.new else (value, None)
    else:
        history = _history(obj, field)
        if not history.has_changes():
            return None
        old, new = (history.deleted or [None])[0], (history.added or [None])[0]
        if old == new:
            return None
    key = (getattr(obj, "care_level", ""), getattr(obj, "kind", ""), str(getattr(obj, "effective_from", "")))
    return _home_id(obj), aspect, f"{key}:{old}>{new}"


def changes_in(session):
    """{home id: {aspect: [signature, ...]}} of what is about to be flushed."""
    from marketplace.models import FeeItem, Home, Vacancy

    found = []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, FeeItem):
            found.append(_child_change(obj, "amount_fen", "price", session))
        elif isinstance(obj, Vacancy):
            found.append(_child_change(obj, "beds_free", "free_beds", session))
        elif isinstance(obj, Home) and obj in session.dirty:
            for field, aspect in _HOME_FIELDS.items():
                history = _history(obj, field)
                if history.has_changes() and (history.deleted or [None])[0] != (history.added or [None])[0]:
                    found.append((obj.id, aspect, f"{history.deleted}>{history.added}"))
    changed = {}
    for item in found:
        if item is not None and item[0] is not None:
            changed.setdefault(item[0], {}).setdefault(item[1], []).append(item[2])
    return changed


def _shortlisters(home_ids):
    from accounts.models import User
    from marketplace.shortlist_models import ShortlistEntry

    rows = db.session.execute(sa.select(ShortlistEntry.home_id, User).join(User, User.id == ShortlistEntry.user_id)
                              .where(ShortlistEntry.home_id.in_(home_ids), User.active.is_(True))).all()
    by_home = {}
    for home_id, user in rows:
        by_home.setdefault(home_id, []).append(user)
    return by_home


_PENDING = "shortlist_changes"  # session.info: {home id: {"version": .., "aspects": {aspect: [signature, ...]}}}
_RECORDED = "shortlist_recorded"  # session.info: this commit's notifications are recorded; later flushes record now
_SAVEPOINTS = "shortlist_savepoints"  # session.info: what was pending as each open savepoint began (a stack)


def _dedupe_key(home_id, version, user_id, aspects):
    # the home's version before this write tells one change from a later identical one; the signature tells the
    # changes of one write apart; recording the same write again (a retried flush) finds the key taken
    signature = hashlib.sha256(repr(sorted(aspects.items())).encode()).hexdigest()[:16]
    return f"shortlist:{home_id}:v{version}:{signature}:{user_id}"


def note_changes(session, _flush_context=None, _instances=None):
    """Before a flush on the app's session: note what it changes of shortlisted homes' prices, beds and ratings."""
    if session is not db.session():
        return
    changed = changes_in(session)
    if not changed:
        return
    from marketplace.models import Home

    pending = session.info.setdefault(_PENDING, {})
    for home_id, aspects in changed.items():
        if home_id not in pending:
            home = session.get(Home, home_id)  # its version before this write: the first flush that changes it
            pending[home_id] = {"version": getattr(home, "version", None), "aspects": {}}
        for aspect, signatures in aspects.items():
            pending[home_id]["aspects"].setdefault(aspect, []).extend(signatures)
    if session.info.get(_RECORDED):  # a change made after the commit's recording (another hook): record it too
        _record(session)


def record_before_commit(session):
    """Before the app's session commits: tell the people who shortlisted a changed home what changed, once."""
    if session is not db.session() or session.in_nested_transaction():
        return  # a savepoint released: what it changed is part of the write around it
    session.flush()  # what is still pending in the session is part of this write
    session.info[_RECORDED] = True
    _record(session)


def _record(session):
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from marketplace.models import Home
    from notify.services import record

    for home_id, users in _shortlisters(sorted(pending)).items():
        home = session.get(Home, home_id)
        if home is None or home in session.deleted:
            continue
        aspects, version = pending[home_id]["aspects"], pending[home_id]["version"]
        params = {"home": home.name, "changes": [a for a in ASPECTS if a in aspects]}
        for user in users:
            record(user, "shortlist_home_changed", params, f"/homes/{home_id}",
                   _dedupe_key(home_id, version, user.id, aspects))


def _forget(session):
    for key in (_PENDING, _RECORDED, _SAVEPOINTS):
        session.info.pop(key, None)


def _savepoint_began(session, transaction):
    if transaction.nested:  # the savepoint's flush has run: what is pending now is the write's before it
        session.info.setdefault(_SAVEPOINTS, []).append(copy.deepcopy(session.info.get(_PENDING, {})))


def _committed(session):
    """After a commit: nothing is pending any more; after a savepoint's release, what it changed stays pending."""
    if not session.in_nested_transaction():
        _forget(session)
    elif session.info.get(_SAVEPOINTS):
        session.info[_SAVEPOINTS].pop()


def _rolled_back(session, previous_transaction):
    """After a rollback: of the whole transaction, nothing happened; of a savepoint, only what it changed."""
    if not previous_transaction.nested:
        _forget(session)
    elif session.info.get(_SAVEPOINTS):
        session.info[_PENDING] = session.info[_SAVEPOINTS].pop()


def listen():
    """Watch the app's session for changes to shortlisted homes (once per process)."""
    for name, fn in (("before_flush", note_changes), ("before_commit", record_before_commit),
                     ("after_transaction_create", _savepoint_began), ("after_commit", _committed),
                     ("after_soft_rollback", _rolled_back)):
        if not sa.event.contains(db.session, name, fn):
            sa.event.listen(db.session, name, fn)
