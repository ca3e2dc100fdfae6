"""All writes to reviews: submit (with screening), moderate, appeal, and the review scores homes show.

The life of a review (TRANSITIONS is the whole table; anything else is refused with a 409):

    submitted -> screening -> pending            (the submit service, in one transaction)
    pending   -> published | folded | rejected   (a regulator of the home's jurisdiction)
    published -> folded | rejected               (a regulator, e.g. after a report)
    folded | rejected -> appealed                (the author, once)
    appealed  -> published | folded | rejected   (a regulator other than the one whose decision is appealed;
                                                  an appeal never makes the outcome worse)

Every move writes a line of the append-only audit log (reviews.models.ModerationDecision). Every decision
recomputes the home's score, so score and count reach search through the outbox. Nothing is auto-published.
"""

import calendar
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts.permissions import can_write_reviews, decides_appeal, moderates_review, wrote_review
from core import signals, time
from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from core.inputs import valid_id
from marketplace.models import Home
from reviews import photos as review_photos
from reviews.models import RELATIONSHIPS, SUB_SCORES, Appeal, ModerationDecision, Review, ReviewSignal
from reviews.reputation import compute_scores

TEXT_MIN, TEXT_MAX = 15, 2000
STATEMENT_MAX, GROUNDS_MIN, GROUNDS_MAX = 1000, 10, 2000
EXPERIENCE_MONTHS = 12  # experience that ended longer ago than this cannot be reviewed
EARLIEST_START = date(1990, 1, 1)
RISK_MAX = 100

TRANSITIONS = {
    "screen": {"submitted": "screening"},
    "queue": {"screening": "pending"},
    "publish": {"pending": "published"},
    "fold": {"pending": "folded", "published": "folded"},
    "reject": {"pending": "rejected", "published": "rejected"},
    "appeal": {"folded": "appealed", "rejected": "appealed"},
    "appeal_publish": {"appealed": "published"},
    "appeal_fold": {"appealed": "folded"},
    "appeal_reject": {"appealed": "rejected"},
}
DECISIONS = ("publish", "fold", "reject")
OUTCOMES = {"publish": "published", "fold": "folded", "reject": "rejected"}
SEVERITY = {"published": 0, "folded": 1, "rejected": 2}
# a fixed list: the author sees the code's label with the statement
REASON_CODES = ("meets_guidelines", "personal_data", "abusive_language", "advertising", "duplicate",
                "suspected_fake", "conflict_of_interest", "not_first_hand", "off_topic", "unsubstantiated", "other")
PUBLISH_REASONS = ("meets_guidelines",)
SUPERSEDE_ATTEMPTS = 5


class InvalidTransition(ServiceError):
    status = 409
    code = "invalid_transition"


# --- submitting ----------------------------------------------------------------------------------------


def submit_review(user, home, *, relationship, period_start, period_end, overall, sub_scores, text,
                  source_ip=None, device_id=None, photos=(), now=None):
    """Take USER's review of HOME (PHOTOS: a few uploads as bytes): check, screen, queue it; one commit."""
    if not can_write_reviews(user):
        raise ServiceError(_("Only family accounts can write reviews."), status=403, code="forbidden")
    now = now or utcnow()
    text = (text or "").strip()
    _check_review(relationship, period_start, period_end, overall, sub_scores, text, now)
    cleaned = review_photos.clean_photos(photos)  # every photo checked before anything is written
    review, changed_homes = _insert_current(user, home, now, dict(
        relationship=relationship, period_start=period_start, period_end=period_end, overall=overall,
        sub_scores={k: sub_scores[k] for k in SUB_SCORES}, text=text, language=detect_language(text),
        source_ip=source_ip, device_id=(device_id or None) and device_id[:64]))
    _log(review, "submit", None, "submitted", user, now=now)
    _move(review, "screen", None, now=now)
    _store_signals(review, _screen(review), now)
    _move(review, "queue", None, now=now)
    _refresh_scores(changed_homes)
    filenames = review_photos.store_photos(review, cleaned)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        review_photos.remove_files(filenames)
        raise
    return review


def _insert_current(user, home, now, values):
    """Insert USER's new review of HOME as their one current review of it; return (review, homes to rescore).

    The partial unique index uq_reviews_current_author_home allows one current review per author and home.
    The author's current rows are locked (FOR UPDATE on PostgreSQL) and superseded before the insert; a
    concurrent submission that committed its own review in between makes our insert fail on the index,
    and the next attempt supersedes that one: the most recent submission wins, both are kept.
    """
    for _attempt in range(SUPERSEDE_ATTEMPTS):
        try:
            with db.session.begin_nested():
                older = _supersede_current(user, home, now)
                review = Review(home_id=home.id, author_id=user.id, status="submitted", created_at=now, **values)
                db.session.add(review)
                db.session.flush()
        except sa.exc.IntegrityError:
            continue
        for old in older:
            _log(old, "supersede", old.status, old.status, None, now=now,
                 statement=f"superseded by review {review.id}")
        return review, ({home.id} if any(old.status == "published" for old in older) else set())
    raise ServiceError(_("Another review of this home by you is being saved. Please try again."), status=409,
                       code="concurrent_review")


def _supersede_current(user, home, now):
    """Mark USER's current reviews of HOME superseded (locking them); return them."""
    older = db.session.scalars(sa.select(Review).where(
        Review.author_id == user.id, Review.home_id == home.id, Review.superseded.is_(False))
        .with_for_update()).all()
    for old in older:
        old.superseded = True
    db.session.flush()
    return older


def detect_language(text):
    """Return "zh" when TEXT has Chinese characters, else "en"."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def oldest_reviewable_end(today):
    """Return the earliest experience end date still reviewable on TODAY: EXPERIENCE_MONTHS months back."""
    year, month = divmod(today.year * 12 + today.month - 1 - EXPERIENCE_MONTHS, 12)
    month += 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _check_review(relationship, start, end, overall, sub_scores, text, now):
    """Check what the form checks too: the service holds whichever way it is called."""
    errors = {}
    if relationship not in RELATIONSHIPS:
        errors["relationship"] = [_("Choose how you know the home.")]
    errors.update(_check_period(start, end, time.business_date(now) if now else time.today()))
    if not _is_score(overall):
        errors["overall"] = [_("Give a score from 1 to 5.")]
    for name in SUB_SCORES:
        if not _is_score((sub_scores or {}).get(name)):
            errors[name] = [_("Give a score from 1 to 5.")]
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors["text"] = [_("Write between %(min)d and %(max)d characters.", min=TEXT_MIN, max=TEXT_MAX)]
    if errors:
        raise ServiceError(_("Please check the review."), errors, code="invalid_review")


def _check_period(start, end, today):
    if not isinstance(start, date) or not isinstance(end, date):
        return {"period_end": [_("Give the start and end of your experience.")]}
    if start > end:
        return {"period_start": [_("The start must not be after the end.")]}
    if end > today:
        return {"period_end": [_("The end cannot be in the future; use today if it is still going on.")]}
    if start < EARLIEST_START:
        return {"period_start": [_("Give a start date after %(date)s.", date=EARLIEST_START.isoformat())]}
    if end < oldest_reviewable_end(today):
        return {"period_end": [_("Experience that ended more than %(n)d months ago cannot be reviewed.",
                                 n=EXPERIENCE_MONTHS)]}
    return {}


def _is_score(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def _screen(review):
    from reviews.screening import screen  # the screening package may query the reviews tables itself

    return screen(review)


def _store_signals(review, signals, now):
    for signal in signals:
        db.session.add(ReviewSignal(review_id=review.id, code=signal.code, risk=int(signal.risk),
                                    evidence=dict(signal.evidence), created_at=now))
    review.risk_score = min(RISK_MAX, sum(max(0, int(s.risk)) for s in signals))


# --- moderating ----------------------------------------------------------------------------------------


def moderate_review(user, review, action, reason_code, statement="", now=None):
    """Publish, fold or reject REVIEW as a regulator of its home, with a reason code and statement; commit."""
    _require_moderator(user, review)
    _require_not_overruled(user, review)
    _decide(user, review, action, reason_code, statement, now or utcnow())
    _refresh_scores({review.home_id})
    db.session.commit()
    return review


def moderate_reviews(user, review_ids, action, reason_code, statement="", now=None):
    """Apply one decision to several reviews; skip those no longer open to it; return (decided, skipped)."""
    now = now or utcnow()
    _check_decision(action, reason_code, statement)
    reviews = _load_all(review_ids)
    for review in reviews:
        _require_moderator(user, review)
        _require_not_overruled(user, review)
    decided = [r for r in reviews if r.status in TRANSITIONS[action]]
    for review in decided:
        _decide(user, review, action, reason_code, statement, now)
    _refresh_scores({r.home_id for r in decided})
    db.session.commit()
    return decided, [r for r in reviews if r not in decided]


def _decide(user, review, action, reason_code, statement, now):
    _check_decision(action, reason_code, statement)
    overrides = _decided_appeal(review) is not None and can_move(review.status, action)
    _move(review, action, user, reason_code=reason_code, statement=(statement or "").strip(), now=now)
    _record_outcome(review, reason_code, statement, now)
    if overrides and user.role == "admin":  # an admin may change an outcome decided on appeal: on the record
        _log(review, "admin_override", review.status, review.status, user, reason_code=reason_code,
             statement=(statement or "").strip(), now=now)


def _decided_appeal(review):
    appeal = review.appeal
    return appeal if appeal is not None and appeal.status in ("upheld", "overturned") else None


def _require_not_overruled(user, review):
    """After an appeal decision only a different regulator (or an admin, audited) may change the outcome: the
    regulator whose decision was appealed cannot simply make it again."""
    appeal = _decided_appeal(review)
    if appeal is not None and appeal.appealed_decider_id == user.id and user.role != "admin":
        raise ServiceError(_("This review's outcome was decided on appeal against your decision: a different "
                             "regulator must make any further change."), status=403, code="decided_on_appeal")


def _check_decision(action, reason_code, statement):
    if action not in DECISIONS:
        raise ServiceError(_("Choose publish, fold or reject."), {"action": [_("Unknown action.")]},
                           code="invalid_action")
    errors = {}
    allowed = PUBLISH_REASONS if action == "publish" else [c for c in REASON_CODES if c not in PUBLISH_REASONS]
    if reason_code not in allowed:
        errors["reason_code"] = [_("Choose a reason that fits the decision.")]
    statement = (statement or "").strip()
    if action != "publish" and not statement:
        errors["statement"] = [_("Write a statement for the author.")]
    if len(statement) > STATEMENT_MAX:
        errors["statement"] = [_("At most %(max)d characters.", max=STATEMENT_MAX)]
    if errors:
        raise ServiceError(_("Please check the decision."), errors, code="invalid_decision")


def _record_outcome(review, reason_code, statement, now):
    review.reason_code, review.decision_statement, review.decided_at = reason_code, (statement or "").strip(), now
    if review.status == "published" and review.published_at is None:
        review.published_at = now


def _require_moderator(user, review):
    if not moderates_review(user, review):
        raise ServiceError(_("You may moderate reviews only in your jurisdiction."), status=403, code="forbidden")


def _load_all(review_ids):
    try:
        ids = sorted({int(i) for i in review_ids or ()})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ServiceError(_("Select at least one review."), {"review_ids": [_("Select at least one review.")]},
                           code="invalid_selection")
    if not all(valid_id(i) for i in ids):  # beyond the column's range: cannot exist (nor be bound on SQLite)
        raise NotFound(_("Some of the selected reviews do not exist."))
    reviews = db.session.scalars(sa.select(Review).where(Review.id.in_(ids)).order_by(Review.id)).all()
    if len(reviews) != len(ids):
        raise NotFound(_("Some of the selected reviews do not exist."))
    return reviews


# --- appeals -------------------------------------------------------------------------------------------


def appeal_review(user, review, grounds, now=None):
    """Appeal REVIEW's fold or reject as its author (once), with GROUNDS; commit."""
    if not wrote_review(user, review):
        raise NotFound(_("No such review."))
    if not _may_appeal_again(review):
        raise InvalidTransition(_("A review can be appealed only once."), code="already_appealed")
    grounds = (grounds or "").strip()
    if not GROUNDS_MIN <= len(grounds) <= GROUNDS_MAX:
        raise ServiceError(_("Please check the appeal."), {"grounds": [_(
            "Write between %(min)d and %(max)d characters.", min=GROUNDS_MIN, max=GROUNDS_MAX)]},
            code="invalid_appeal")
    now = now or utcnow()
    appealed_status = review.status
    _move(review, "appeal", user, statement=grounds, now=now)
    db.session.add(Appeal(review_id=review.id, author_id=user.id, appealed_status=appealed_status,
                          appealed_decider_id=_last_decider(review, appealed_status), grounds=grounds,
                          created_at=now))
    _refresh_scores({review.home_id})
    db.session.commit()
    return review


def _may_appeal_again(review):
    """One appeal per decision: none yet, or the outcome was changed after the last appeal was decided."""
    appeal = review.appeal
    if appeal is None:
        return True
    return (appeal.status != "open" and appeal.decided_at is not None and review.decided_at is not None
            and review.decided_at > appeal.decided_at)


def can_appeal(review):
    """Say whether REVIEW may be appealed now: the state table allows it and its current decision has not been
    appealed yet (one appeal per decision)."""
    return can_move(review.status, "appeal") and _may_appeal_again(review)


def decide_appeal(user, review, outcome, reason_code, statement, now=None):
    """Decide REVIEW's open appeal (publish, fold or reject) as a different regulator of its home; commit."""
    _require_moderator(user, review)
    appeal = review.appeal
    if review.status != "appealed" or appeal is None or appeal.status != "open":
        raise InvalidTransition(_("This review has no open appeal."))
    if not decides_appeal(user, review):
        raise ServiceError(_("A different regulator must decide the appeal against your own decision."),
                           status=403, code="same_regulator")
    _check_decision(outcome, reason_code, statement)
    if SEVERITY[OUTCOMES[outcome]] > SEVERITY[appeal.appealed_status]:
        raise ServiceError(_("An appeal cannot make the decision harsher."), {"action": [_(
            "Choose the appealed decision or a milder one.")]}, code="invalid_decision")
    now = now or utcnow()
    _move(review, f"appeal_{outcome}", user, reason_code=reason_code, statement=(statement or "").strip(), now=now)
    _record_outcome(review, reason_code, statement, now)
    appeal.status = "upheld" if review.status == appeal.appealed_status else "overturned"
    appeal.decided_by_id, appeal.decided_at = user.id, now
    _refresh_scores({review.home_id})
    db.session.commit()
    return review


def _last_decider(review, status):
    return db.session.scalar(sa.select(ModerationDecision.actor_id).where(
        ModerationDecision.review_id == review.id, ModerationDecision.to_status == status)
        .order_by(ModerationDecision.id.desc()).limit(1))


# --- the state machine and its log ---------------------------------------------------------------------


def can_move(status, action):
    """Say whether ACTION may move a review in STATUS (the TRANSITIONS table)."""
    return status in TRANSITIONS.get(action, {})


def _move(review, action, actor, *, reason_code=None, statement="", now):
    """Move REVIEW by ACTION if the table allows it, and log the move; else raise InvalidTransition."""
    if not can_move(review.status, action):
        raise InvalidTransition(_("This review cannot be moved from %(status)s by %(action)s.",
                                  status=review.status, action=action))
    before, review.status = review.status, TRANSITIONS[action][review.status]
    _log(review, action, before, review.status, actor, reason_code=reason_code, statement=statement, now=now)


def _log(review, action, before, after, actor, *, reason_code=None, statement="", now):
    db.session.add(ModerationDecision(review_id=review.id, actor_id=actor.id if actor else None, action=action,
                                      from_status=before, to_status=after, reason_code=reason_code,
                                      statement=statement or "", created_at=now))
    signals.review_event.send(None, review=review, action=action, to_status=after, decision_at=now)


def record_audit(review, user, action, reason_code=None, statement="", now=None):
    """Write an audit log line about REVIEW that does not move it (e.g. a verification); the caller commits."""
    _log(review, action[:40], review.status, review.status, user, reason_code=reason_code and reason_code[:40],
         statement=statement, now=now or utcnow())


def reopen_for_report(review, user, reason_code=None, statement="", now=None):
    """Log a report against REVIEW; the caller commits.

    The review keeps its status: a report alone must not hide a published review (a home could otherwise
    silence its critics). A regulator may still fold or reject it, which TRANSITIONS allows from published.
    """
    record_audit(review, user, "report", reason_code=reason_code, statement=statement, now=now)


# --- scores --------------------------------------------------------------------------------------------


def _refresh_scores(home_ids):
    """Recompute the scores of HOME_IDS (all when None) in the current transaction; return how many changed."""
    if home_ids is not None and not home_ids:
        return 0
    db.session.flush()
    scores = compute_scores(home_ids)
    stmt = sa.select(Home)
    if home_ids is not None:
        stmt = stmt.where(Home.id.in_(home_ids))
    changed = 0
    for home in db.session.scalars(stmt):
        score, count = scores.get(home.id, (None, 0))
        if (home.review_score, home.review_count) != (score, count):
            home.review_score, home.review_count = score, count
            changed += 1
    return changed


def refresh_review_scores(home_ids=None):
    """Recompute review_score and review_count of HOME_IDS (all when None); changed homes go to the outbox."""
    changed = _refresh_scores(set(home_ids) if home_ids is not None else None)
    db.session.commit()
    return changed
