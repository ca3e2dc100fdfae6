"""The shortlist on the account: the compare tray of a signed-in person, kept across devices, with no limit of
COMPARE_MAX (compare still takes up to that many of it) and a private note per home. The browser's tray merges
into it at sign-in (merge_tray, on flask-login's user_logged_in)."""

import json

import sqlalchemy as sa
from flask_babel import gettext as _

from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.inputs import valid_id
from marketplace.models import Home
from marketplace.shortlist_models import NOTE_MAX, ShortlistEntry

SHORTLIST_MAX = 200  # far beyond any family's search; a bound so one account cannot grow without end
TRAY_FIELD = "compare_tray"  # the login form's hidden field the browser fills with its tray's home ids


def entries(user):
    """USER's shortlist as (entry, home) pairs, in the order the homes were added."""
    return db.session.execute(sa.select(ShortlistEntry, Home).join(Home, Home.id == ShortlistEntry.home_id)
                              .where(ShortlistEntry.user_id == user.id)
                              .order_by(ShortlistEntry.added_at, ShortlistEntry.id)).all()


def home_ids(user):
    """The ids of the homes on USER's shortlist, in order."""
    return [entry.home_id for entry, _home in entries(user)]


def _entry(user, home_id):
    return db.session.scalar(sa.select(ShortlistEntry).where(ShortlistEntry.user_id == user.id,
                                                             ShortlistEntry.home_id == home_id))


def _count(user):
    return db.session.scalar(sa.select(sa.func.count(ShortlistEntry.id)).where(ShortlistEntry.user_id == user.id))


def _clean_note(note):
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(_("The note is too long."), {"note": [_("At most %(n)s characters.", n=NOTE_MAX)]},
                           code="invalid_note")
    return note or None


def _known_home(home_id):
    home = db.session.get(Home, home_id) if valid_id(home_id) else None
    if home is None:
        raise NotFound(_("No care home with id %(id)s.", id=home_id), {"home_id": [_("Unknown home.")]})
    return home


def add_home(user, home_id, note=None):
    """Put HOME_ID on USER's shortlist (already there: keep it, and its note unless NOTE is given); commit."""
    note = _clean_note(note) if note is not None else None
    _known_home(home_id)
    entry = _entry(user, home_id)
    if entry is None:
        if _count(user) >= SHORTLIST_MAX:
            raise ServiceError(_("Your shortlist is full (at most %(n)s homes). Remove one first.", n=SHORTLIST_MAX),
                               status=409, code="shortlist_full")
        entry = ShortlistEntry(user_id=user.id, home_id=home_id, note=note, added_at=utcnow(), updated_at=utcnow())
        db.session.add(entry)
    elif note is not None:
        entry.note, entry.updated_at = note, utcnow()
    _commit_once()
    return _entry(user, home_id)


def _commit_once():
    """Commit; two tabs adding the same home at once both succeed (the loser's insert is the same row)."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()


def remove_home(user, home_id):
    """Take HOME_ID off USER's shortlist (not there: nothing to do); commit; say whether it was there."""
    done = db.session.execute(sa.delete(ShortlistEntry).where(ShortlistEntry.user_id == user.id,
                                                             ShortlistEntry.home_id == home_id)).rowcount
    db.session.commit()
    return bool(done)


def set_note(user, home_id, note):
    """Write USER's private NOTE on HOME_ID (empty: no note); the home must be on the shortlist; commit."""
    note = _clean_note(note)
    entry = _entry(user, home_id) if valid_id(home_id) else None
    if entry is None:
        raise NotFound(_("This home is not on your shortlist."), {"home_id": [_("Not on your shortlist.")]})
    entry.note, entry.updated_at = note, utcnow()
    db.session.commit()
    return entry


def parse_tray(raw):
    """The home ids in the browser tray's JSON (a list of ids or of {id: ...}); anything else: none."""
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    ids = [item.get("id") if isinstance(item, dict) else item for item in items[:SHORTLIST_MAX]]
    return list(dict.fromkeys(i for i in ids if isinstance(i, int) and not isinstance(i, bool) and valid_id(i)))


def merge(user, ids):
    """Add the homes IDS (unknown ones skipped) to USER's shortlist after those already on it; commit; return
    how many were added."""
    have, added = set(home_ids(user)), 0
    known = set(db.session.scalars(sa.select(Home.id).where(Home.id.in_(ids)))) if ids else set()
    room = SHORTLIST_MAX - len(have)
    for home_id in ids:
        if home_id in known and home_id not in have and added < room:
            db.session.add(ShortlistEntry(user_id=user.id, home_id=home_id, added_at=utcnow(), updated_at=utcnow()))
            have.add(home_id)
            added += 1
    _commit_once()
    return added


def merge_tray(sender, user, **extra):
    """On sign-in through the login form: merge the browser's compare tray (its hidden field) into the shortlist."""
    from flask import has_request_context, request

    if has_request_context() and request.method == "POST" and request.form.get(TRAY_FIELD):
        merge(user, parse_tray(request.form[TRAY_FIELD][:20000]))


def tray_config():
    """What the page's script needs to show the signed-in person's shortlist as the compare tray (None when
    signed out: the tray then lives in the browser only)."""
    from flask import url_for
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf

    if not current_user.is_authenticated:
        return None
    items = [{"id": home.id, "name": home.name, "name_zh": home.name, "name_en": home.name_en or home.name}
             for _entry, home in entries(current_user)]
    return {"items": items, "api": url_for("shortlist_api.Shortlist"), "page": url_for("shortlist.index"),
            "csrfToken": generate_csrf()}
