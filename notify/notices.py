"""Notices for operators and regulators: a claim filed against an operator's home (with the period to dispute it),
a claim decided (to the claimant), claims waiting and appeals to decide, review floods flagged, an import that set
rows aside, API client secrets about to expire. Recorded on the session of the change that causes them."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from accounts.models import User
from core import signals
from core import time as clock
from core.extensions import db
from notify.services import record

FLOOD_CODES = ("burst_home", "burst_source")


def _staff(provider_id):
    if provider_id is None:
        return []
    return db.session.scalars(sa.select(User).where(User.provider_id == provider_id, User.role == "provider",
                                                    User.active.is_(True)).order_by(User.id)).all()


def regulators_of(home):
    """The active regulators whose jurisdiction (province or city) holds HOME."""
    places = [c for c in (home.province_code, home.city_code) if c]
    return db.session.scalars(sa.select(User).where(User.role == "regulator", User.active.is_(True),
                                                    User.jurisdiction_code.in_(places)).order_by(User.id)).all()


def _home(home_id):
    from marketplace.models import Home

    return db.session.get(Home, home_id)


def on_claim(sender, claim, event, **extra):
    """Tell the operator running a claimed home, the regulators who decide, and the claimant of the outcome."""
    home = _home(claim.home_id)
    params, key = {"home": home.name}, f"claim:{claim.id}:{event}"
    if event == "filed":
        if home.provider_id not in (None, claim.provider_id):
            days = current_app.config["CLAIM_DISPUTE_DAYS"]
            for user in _staff(home.provider_id):
                record(user, "claim_filed", {**params, "days": days}, "/portal/", f"{key}:{user.id}")
        for user in regulators_of(home):
            record(user, "claim_waiting", params, "/regulator/", f"{key}:{user.id}")
    elif event == "disputed":
        for user in regulators_of(home):
            record(user, "claim_waiting", params, "/regulator/", f"{key}:{user.id}")
    elif event in ("approved", "rejected"):
        claimant = db.session.get(User, claim.created_by_id) if claim.created_by_id else None
        record(claimant, f"claim_{event}", params, "/portal/claims", f"{key}:claimant")
        if event == "approved" and claim.transfer_due_on is not None:
            for user in _staff(claim.previous_provider_id):
                record(user, "claim_approved_against", {**params, "date": claim.transfer_due_on.isoformat()},
                       "/portal/", f"{key}:{user.id}")


def on_import(sender, run, event, **extra):
    """Tell the regulator who ran an import that some of its rows were set aside."""
    if event != "finished" or not run.quarantined or run.started_by_id is None:
        return
    record(db.session.get(User, run.started_by_id), "import_quarantined",
           {"count": run.quarantined, "source": run.source}, f"/regulator/imports/runs/{run.id}",
           f"import:{run.id}:quarantined")


def on_review(sender, review, action, to_status, decision_at, **extra):
    """Tell the regulators of a review's home of an appeal to decide and of a flood of reviews flagged."""
    if action == "appeal":
        _appeal_waiting(review, decision_at)
    elif action == "queue":
        _flood_flagged(review)


def _appeal_waiting(review, decision_at):
    from reviews.models import ModerationDecision

    home = _home(review.home_id)
    # the regulator whose fold or removal is appealed does not decide the appeal: the others are told
    decider = db.session.scalar(sa.select(ModerationDecision.actor_id).where(
        ModerationDecision.review_id == review.id, ModerationDecision.to_status.in_(("folded", "rejected")))
        .order_by(ModerationDecision.id.desc()).limit(1))
    for user in regulators_of(home):
        if user.id != decider:
            record(user, "appeal_waiting", {"home": home.name}, f"/regulator/reviews/{review.id}",
                   f"appeal:{review.id}:{decision_at.isoformat()}:{user.id}")


def _flood_flagged(review):
    from reviews.models import ReviewSignal

    flagged = db.session.scalar(sa.select(sa.func.count(ReviewSignal.id)).where(
        ReviewSignal.review_id == review.id, ReviewSignal.code.in_(FLOOD_CODES)))
    if not flagged:
        return
    home = _home(review.home_id)
    for user in regulators_of(home):  # once a day per home: a flood is one event, not one per review
        record(user, "review_flood_flagged", {"home": home.name}, "/regulator/reviews/",
               f"flood:{home.id}:{clock.today().isoformat()}:{user.id}")


def warn_expiring_api_clients():
    """Daily: tell an operator's staff of each API client whose secret expires within
    API_CLIENT_EXPIRY_NOTICE_DAYS (once per client and expiry date); commit; return how many were told."""
    from accounts.oauth2_models import ApiClient

    now = clock.utcnow()
    soon = now + timedelta(days=current_app.config["API_CLIENT_EXPIRY_NOTICE_DAYS"])
    clients = db.session.scalars(sa.select(ApiClient).where(
        ApiClient.revoked_at.is_(None), ApiClient.secret_expires_at.is_not(None),
        ApiClient.secret_expires_at > now, ApiClient.secret_expires_at <= soon).order_by(ApiClient.id)).all()
    told = 0
    for client in clients:
        day = client.secret_expires_at.astimezone(clock.business_tz()).date()
        for user in _staff(client.provider_id):
            told += record(user, "api_credentials_expiring", {"client": client.name, "date": day.isoformat()},
                           "/portal/api-clients/", f"apiclient:{client.id}:{day.isoformat()}:{user.id}") is not None
    db.session.commit()
    return told


def connect():
    """Listen to the domain signals (once per process, however many apps are built)."""
    signals.claim_event.connect(on_claim, weak=False)
    signals.import_event.connect(on_import, weak=False)
    signals.review_event.connect(on_review, weak=False)
