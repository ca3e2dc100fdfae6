"""Turn domain events into notifications for the people they concern (on the same session as the change)."""

import sqlalchemy as sa

from accounts.models import User
from core import signals
from core.extensions import db
from notify.services import record, thread_link

_REVIEW_KINDS = {"published": "review_published", "folded": "review_folded", "rejected": "review_removed"}


def _staff_of(home):
    if home is None or home.provider_id is None:
        return []
    return db.session.scalars(sa.select(User).where(User.provider_id == home.provider_id, User.role == "provider",
                                                    User.active.is_(True))).all()


def _home(home_id):
    from marketplace.models import Home

    return db.session.get(Home, home_id)


def _params(inquiry, home):
    return {"reference": inquiry.reference, "home": home.name,
            "date": inquiry.visit_date.isoformat() if inquiry.visit_date else "",
            "slot": inquiry.time_slot or ""}


def on_inquiry(sender, inquiry, event, **extra):
    """Tell the home's staff of a new question or visit request, the other party of a reply, the family of a
    decided visit."""
    home = _home(inquiry.home_id)
    link, params = thread_link(inquiry.reference), _params(inquiry, home)
    if event == "received":
        kind = "visit_requested" if inquiry.kind == "visit" else "inquiry_received"
        for user in _staff_of(home):
            record(user, kind, params, link, f"inq:{inquiry.reference}:received:{user.id}")
    elif event == "reply":
        count = len(inquiry.messages)
        to_family = inquiry.messages[-1].author_role == "provider"
        for user in ([db.session.get(User, inquiry.user_id)] if to_family else _staff_of(home)):
            record(user, "inquiry_reply", params, link, f"inq:{inquiry.reference}:msg{count}:{user.id}")
    elif event in ("visit_confirmed", "visit_declined"):
        record(db.session.get(User, inquiry.user_id), event, params, link, f"inq:{inquiry.reference}:{event}")


def on_review(sender, review, action, to_status, decision_at, **extra):
    """Tell a review's author of a regulator's decision and of the outcome of an appeal."""
    if review.author_id is None or action in ("submit", "screen", "queue", "appeal", "report"):
        return
    kind = "appeal_decided" if action.startswith("appeal_") else _REVIEW_KINDS.get(to_status)
    if kind is None:
        return
    home = _home(review.home_id)
    record(db.session.get(User, review.author_id), kind, {"home": home.name if home else ""},
           f"/reviews/{review.id}", f"review:{review.id}:{action}:{decision_at.isoformat()}")


def connect():
    """Listen to the domain signals (once per process, however many apps are built)."""
    signals.inquiry_event.connect(on_inquiry, weak=False)
    signals.review_event.connect(on_review, weak=False)
