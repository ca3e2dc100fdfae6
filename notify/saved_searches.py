"""Saved searches with alerts: a family saves any search (name, frequency) and is told when a home STARTS to
match it (a bed frees up, a price drops under the limit, a new home is listed, a grade is published).

Matching runs when the search index takes changed documents (core.signals.documents_indexed, sent by the
outbox drain in the transaction that consumes the outbox rows): search.stored says which stored queries each
changed document matches; this module compares that with the matches it recorded before (SavedSearchMatch)
and records one notification per search, home and change ("immediately") or keeps the match for the 08:00
digest ("daily", "weekly": send_digests_due). Saving a search records the homes that match it already, so only
later changes alert.
"""

import logging
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from accounts import consents
from accounts.models import User
from core import time as clock
from core.db import UTCDateTime, utcnow
from core.errors import NotFound, SearchUnavailable, ServiceError
from core.extensions import db
from core.vocab import SAVED_SEARCH_FREQUENCIES
from notify.services import record, record_many
from search import stored
from search.backend import current_backend
from search.query import MAX_PER_PAGE, MAX_RESULT_WINDOW, query_from_dict, query_to_dict

log = logging.getLogger(__name__)

MAX_NAME = 80
MAX_PER_USER = 50
DIGEST_AT = "08:00"  # business time; weekly digests go on Mondays
DIGEST_NAMES = 5  # homes named in a digest's text; the account page lists them all

class SavedSearch(db.Model):
    """A family's search, kept with a name and how often its new matches are sent."""

    __tablename__ = "saved_searches"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused: they name stored queries in the engine

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(MAX_NAME))
    frequency: Mapped[str] = mapped_column(sa.String(12))
    args: Mapped[dict] = mapped_column(sa.JSON)  # the search page's parameters, for the link back
    query: Mapped[dict] = mapped_column(sa.JSON)  # the understood SearchQuery (search.query.query_to_dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def search_query(self):
        """The stored SearchQuery."""
        return query_from_dict(self.query)

    @property
    def care_level(self):
        """The care level the search holds (None when it holds none)."""
        return self.query.get("care_level")

    @property
    def link(self):
        """The search page with this search's parameters."""
        return "/?" + urlencode(self.args) if self.args else "/"


class SavedSearchMatch(db.Model):
    """A home that matches a saved search now; notified_at is None while it waits for a digest."""

    __tablename__ = "saved_search_matches"

    saved_search_id: Mapped[int] = mapped_column(sa.ForeignKey("saved_searches.id", ondelete="CASCADE"),
                                                 primary_key=True)
    home_id: Mapped[int] = mapped_column(primary_key=True, index=True)  # a document id: no foreign key
    home_name: Mapped[str] = mapped_column(sa.String(200), default="")
    version: Mapped[int] = mapped_column(sa.BigInteger)  # the document version that started the match
    matched_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)


# -- saving ------------------------------------------------------------------------------------------------


def holds_care_level(query):
    """Say whether QUERY names a care level (a filter, or a care word understood as a requirement)."""
    return query.care_level is not None or any(f == "care_levels" for r in query.requirements for f, _v in r)


def _without_care_level(query, args):
    """QUERY and ARGS without any care level (sensitive information the family did not consent to store)."""
    requirements = tuple(r for r in query.requirements if all(f != "care_levels" for f, _v in r))
    args = {k: v for k, v in args.items() if k != "care_level"}
    if len(requirements) != len(query.requirements):
        args.pop("q", None)  # the typed words named the care level: the link back goes without them
    return replace(query, care_level=None, requirements=requirements), args


def _check(name, frequency):
    errors = {}
    if not name or len(name) > MAX_NAME:
        errors["name"] = [_("Give the search a name of up to %(n)s characters.", n=MAX_NAME)]
    if frequency not in SAVED_SEARCH_FREQUENCIES:
        errors["frequency"] = [_("Choose how often you want to hear about new matches.")]
    if errors:
        raise ServiceError(_("Please check the saved search."), errors, code="invalid_parameters")


def parse_search(raw):
    """Return (understood SearchQuery, page arguments) of search parameters RAW (a MultiDict or a dict)."""
    from marketplace import search_terms
    from marketplace.views import parse_search_args
    from search.service import understood_query

    raw = raw if isinstance(raw, MultiDict) else MultiDict({k: _as_text(v) for k, v in (raw or {}).items()})
    try:
        query, args = parse_search_args(raw)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"search": exc.messages}
        raise ServiceError(_("This search cannot be saved."), messages, code="invalid_parameters") from exc
    args = {k: v for k, v in args.items() if k not in ("page", "per_page")}
    query = replace(query, page=1, per_page=MAX_PER_PAGE, with_facets=False)
    return understood_query(query, search_terms.lexicon()), args


def _as_text(value):
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def save_search(user, name, frequency, raw_args, care_consent=False):
    """Save USER's search RAW_ARGS as NAME with FREQUENCY; commit; return it and whether its care level was
    left out (a care level is kept only with the sensitive-information consent, given now or before)."""
    name = (name or "").strip()
    _check(name, frequency)
    query, args = parse_search(raw_args)
    care_dropped = False
    if holds_care_level(query) and consents.current(user.id, "sensitive") is None:
        if care_consent:
            consents.grant(user.id, "sensitive")  # the separate, explicit consent (PIPL art. 29)
        else:
            query, args, care_dropped = *_without_care_level(query, args), True
    if _count_of(user) >= MAX_PER_USER:
        raise ServiceError(_("You can keep up to %(n)s saved searches.", n=MAX_PER_USER), code="too_many")
    saved = SavedSearch(user_id=user.id, name=name, frequency=frequency, args=args,
                        query=query_to_dict(query), created_at=clock.utcnow())
    db.session.add(saved)
    db.session.commit()
    try:
        _register(saved)
    except SearchUnavailable:  # saved all the same; `flask notify rebuild-saved-searches` stores it later
        db.session.rollback()
        log.warning("saved search %s kept in SQL only: the search engine is unavailable", saved.id)
    return saved, care_dropped


def _count_of(user):
    return db.session.scalar(sa.select(sa.func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id))


def _register(saved):
    """After the commit: store the query in the engine and record the homes it matches already (no alert)."""
    backend = current_backend()
    stored.store(backend, [(saved.id, saved.search_query)])
    now = clock.utcnow()
    for hit in _current_hits(backend, saved.search_query):
        db.session.merge(SavedSearchMatch(saved_search_id=saved.id, home_id=hit.id, home_name=hit.doc.get("name", ""),
                                          version=hit.doc.get("version") or 0, matched_at=now, notified_at=now))
    db.session.commit()


def _current_hits(backend, query):
    """Every hit of QUERY (up to the result window), page by page."""
    page = 1
    while page * MAX_PER_PAGE <= MAX_RESULT_WINDOW:
        result = backend.search(replace(query, page=page, per_page=MAX_PER_PAGE, with_facets=False))
        yield from result.hits
        if page * MAX_PER_PAGE >= result.total:
            return
        page += 1


def saved_searches_of(user):
    """USER's saved searches, newest first."""
    return db.session.scalars(sa.select(SavedSearch).where(SavedSearch.user_id == user.id)
                              .order_by(SavedSearch.id.desc())).all()


def own_saved_search(user, saved_search_id):
    """USER's saved search SAVED_SEARCH_ID; NotFound when there is none (or it is someone else's)."""
    saved = db.session.get(SavedSearch, saved_search_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(_("No such saved search."))
    return saved


def update_saved_search(saved, name=None, frequency=None):
    """Rename SAVED and/or change its frequency; commit."""
    name = saved.name if name is None else name.strip()
    frequency = saved.frequency if frequency is None else frequency
    _check(name, frequency)
    saved.name, saved.frequency = name, frequency
    db.session.commit()
    return saved


def delete_saved_search(saved):
    """Delete SAVED (its matches go with it); commit; forget its stored query."""
    saved_id = saved.id
    db.session.delete(saved)
    db.session.commit()
    stored.remove(current_backend(), [saved_id])


def recent_matches(saved, limit=20):
    """The homes that matched SAVED since it was saved, newest first (not those it matched when saved)."""
    return db.session.scalars(sa.select(SavedSearchMatch).where(
        SavedSearchMatch.saved_search_id == saved.id, SavedSearchMatch.matched_at > saved.created_at)
        .order_by(SavedSearchMatch.matched_at.desc()).limit(limit)).all()


def rebuild_stored_queries():
    """Make the engine's stored queries exactly the saved searches in SQL; return how many."""
    items = _all_queries()
    stored.replace(current_backend(), items)
    return len(items)


# -- matching ----------------------------------------------------------------------------------------------


def _all_queries():
    rows = db.session.execute(sa.select(SavedSearch.id, SavedSearch.query)).all()
    return [(saved_id, query_from_dict(query)) for saved_id, query in rows]


def _fingerprint():
    """(count, highest id): changes whenever a search is saved or deleted (ids are never reused)."""
    return tuple(db.session.execute(sa.select(sa.func.count(SavedSearch.id), sa.func.max(SavedSearch.id))).one())


def on_documents_indexed(backend, docs, deleted, **extra):
    """Record the homes that start to match a saved search (and forget the ones that stopped).

    Core statements, not ORM objects: one change can start hundreds of matches, all in the drain's transaction."""
    fingerprint = _fingerprint()
    if not fingerprint[0] or not (docs or deleted):
        return
    matched = stored.matching(backend, docs.values(), _all_queries, fingerprint)
    now_matching = {(sid, hid) for hid, sids in matched.items() for sid in sids}
    home_ids = sorted(set(docs) | set(deleted))
    table = SavedSearchMatch.__table__
    before = set()
    for chunk in _chunks(home_ids):
        before.update(db.session.execute(sa.select(table.c.saved_search_id, table.c.home_id)
                                         .where(table.c.home_id.in_(chunk))).all())
    stopped = {}
    for sid, hid in before - now_matching:
        stopped.setdefault(hid, []).append(sid)
    for hid, sids in stopped.items():
        for chunk in _chunks(sorted(sids)):
            db.session.execute(sa.delete(table).where(table.c.home_id == hid, table.c.saved_search_id.in_(chunk)))
    started = sorted(now_matching - before)
    if started:
        _record_started(started, docs)


def _chunks(values, size=500):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def _record_started(started, docs):
    searches = {}
    for chunk in _chunks(sorted({sid for sid, _hid in started})):
        searches.update((row.id, row) for row in db.session.execute(
            sa.select(SavedSearch.id, SavedSearch.user_id, SavedSearch.name, SavedSearch.frequency)
            .where(SavedSearch.id.in_(chunk))))
    users = {}
    for chunk in _chunks(sorted({row.user_id for row in searches.values()})):
        users.update((u.id, u) for u in db.session.scalars(sa.select(User).where(User.id.in_(chunk))))
    now, alerts, rows = clock.utcnow(), [], []
    for sid, hid in started:
        saved, doc = searches.get(sid), docs[hid]
        if saved is None:  # deleted meanwhile; the engine's copy goes with the next removal or rebuild
            continue
        name, version, at_once = doc.get("name") or "", doc.get("version") or 0, saved.frequency == "immediately"
        rows.append({"saved_search_id": sid, "home_id": hid, "home_name": name, "version": version,
                     "matched_at": now, "notified_at": now if at_once else None})
        if at_once:
            alerts.append((users.get(saved.user_id), "saved_search_match", {"search": saved.name, "home": name},
                           f"/homes/{hid}", f"saved:{sid}:{hid}:v{version}"))
    if rows:
        db.session.execute(sa.insert(SavedSearchMatch.__table__), rows)
    record_many(alerts)


# -- digests -----------------------------------------------------------------------------------------------


def digest_cutoff(frequency, now):
    """The latest digest time of FREQUENCY at or before NOW: 08:00 business time (Mondays for weekly)."""
    from datetime import time

    day = clock.business_date(now)
    at = time.fromisoformat(DIGEST_AT)
    cutoff = clock.at_business_time(day, at)
    if cutoff > now:
        day -= timedelta(days=1)
    if frequency == "weekly":
        day -= timedelta(days=day.weekday())
    return clock.at_business_time(day, at)


def send_digests_due():
    """Record one digest per person and frequency for the matches waiting since before the last digest time;
    commit; return how many digests were recorded. Idempotent: run it as often as you like."""
    now, sent = clock.utcnow(), 0
    for frequency in ("daily", "weekly"):
        cutoff = digest_cutoff(frequency, now)
        waiting = db.session.execute(
            sa.select(SavedSearchMatch, SavedSearch.user_id).join(SavedSearch)
            .where(SavedSearch.frequency == frequency, SavedSearchMatch.notified_at.is_(None),
                   SavedSearchMatch.matched_at <= cutoff)
            .order_by(SavedSearchMatch.matched_at)).all()
        by_user = {}
        for match, user_id in waiting:
            by_user.setdefault(user_id, []).append(match)
        for user_id, matches in by_user.items():
            sent += _record_digest(user_id, frequency, cutoff, matches, now)
    db.session.commit()
    return sent


def _record_digest(user_id, frequency, cutoff, matches, now):
    names = list(dict.fromkeys(m.home_name for m in matches))
    shown = "、".join(names[:DIGEST_NAMES]) + ("…" if len(names) > DIGEST_NAMES else "")
    day = clock.business_date(cutoff).isoformat()
    done = record(db.session.get(User, user_id), "saved_search_digest",
                  {"count": len({m.home_id for m in matches}), "homes": shown}, "/account/saved-searches",
                  f"saved-digest:{user_id}:{frequency}:{day}")
    for match in matches:
        match.notified_at = now
    return 1 if done is not None else 0
