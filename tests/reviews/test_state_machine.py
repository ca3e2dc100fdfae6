"""The moderation state machine: every allowed move, every forbidden one, and what each leaves behind."""

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from reviews import services
from reviews.models import STATUSES, ModerationDecision, Review
from reviews.services import TRANSITIONS, InvalidTransition

# (from status, action) -> to status: the whole table, written out so that a change to it is a visible change
ALLOWED = {
    ("submitted", "screen"): "screening",
    ("screening", "queue"): "pending",
    ("pending", "publish"): "published",
    ("pending", "fold"): "folded",
    ("pending", "reject"): "rejected",
    ("published", "fold"): "folded",
    ("published", "reject"): "rejected",
    ("folded", "appeal"): "appealed",
    ("rejected", "appeal"): "appealed",
    ("appealed", "appeal_publish"): "published",
    ("appealed", "appeal_fold"): "folded",
    ("appealed", "appeal_reject"): "rejected",
}
ACTIONS = sorted(TRANSITIONS)
REASON = {"publish": "meets_guidelines", "fold": "off_topic", "reject": "personal_data"}


def test_the_transition_table_is_exactly_the_documented_one():
    table = {(before, action): after for action, moves in TRANSITIONS.items() for before, after in moves.items()}
    assert table == ALLOWED
    assert {s for pair in ALLOWED for s in pair[:1]} | set(ALLOWED.values()) <= set(STATUSES)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_can_move_allows_only_the_table(status, action):
    assert services.can_move(status, action) == ((status, action) in ALLOWED)


def _log(review):
    return [(e.action, e.from_status, e.to_status) for e in db.session.scalars(
        sa.select(ModerationDecision).where(ModerationDecision.review_id == review.id)
        .order_by(ModerationDecision.id))]


def test_submitting_goes_through_screening_to_pending_in_one_go(world):
    review = world.submit()
    assert review.status == "pending"
    assert _log(review) == [("submit", None, "submitted"), ("screen", "submitted", "screening"),
                            ("queue", "screening", "pending")]
    assert db.session.get(Review, review.id).published_at is None


@pytest.mark.parametrize("action", ["publish", "fold", "reject"])
def test_a_regulator_decides_a_pending_review(world, action):
    review = world.submit()
    services.moderate_review(world.regulator, review, action, REASON[action], "理由说明")
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert review.status == ALLOWED[("pending", action)]
    assert review.reason_code == REASON[action] and review.decision_statement == "理由说明"
    assert _log(review)[-1] == (action, "pending", review.status)
    last = db.session.scalars(sa.select(ModerationDecision).order_by(ModerationDecision.id.desc())).first()
    assert last.actor_id == world.regulator.id and last.reason_code == REASON[action]
    assert (review.published_at is not None) == (action == "publish")


@pytest.mark.parametrize("action", ["fold", "reject"])
def test_a_published_review_can_still_be_folded_or_rejected(world, action):
    review = world.published()
    services.moderate_review(world.regulator, review, action, REASON[action], "被举报后复核")
    assert review.status == ALLOWED[("published", action)]


@pytest.mark.parametrize("start,action", [
    ("published", "publish"),  # already published
    ("folded", "publish"),  # a fold stands unless an appeal overturns it
    ("folded", "fold"),
    ("folded", "reject"),
    ("rejected", "publish"),
    ("rejected", "fold"),
    ("rejected", "reject"),
    ("appealed", "publish"),  # an appeal is decided through decide_appeal, by another regulator
])
def test_forbidden_decisions_are_refused_and_change_nothing(world, start, action):
    review = _review_in(world, start)
    before = _log(review)
    with pytest.raises(InvalidTransition):
        services.moderate_review(world.second_regulator, review, action, REASON[action], "说明")
    db.session.rollback()
    review = db.session.get(Review, review.id)
    assert review.status == start and _log(review) == before


@pytest.mark.parametrize("start", ["pending", "published", "appealed"])
def test_appealing_is_refused_unless_folded_or_rejected(world, start):
    review = _review_in(world, start)
    with pytest.raises(ServiceError) as refused:
        services.appeal_review(world.family, review, "我认为决定不公平，请复核。")
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.get(Review, review.id).status == start


def test_the_system_steps_cannot_be_replayed(world):
    review = world.submit()
    for action in ("screen", "queue"):
        with pytest.raises(InvalidTransition):
            services._move(review, action, None, now=services.utcnow())
    assert review.status == "pending"


def test_an_unknown_action_or_a_reason_that_does_not_fit_is_a_400(world):
    review = world.submit()
    for action, reason, statement in (("delete", "other", "x"), ("publish", "personal_data", ""),
                                      ("fold", "meets_guidelines", "x"), ("fold", "off_topic", ""),
                                      ("reject", "not_a_code", "x"), ("reject", "other", "长" * 1001)):
        with pytest.raises(ServiceError) as refused:
            services.moderate_review(world.regulator, review, action, reason, statement)
        assert refused.value.status == 400, (action, reason)
    assert review.status == "pending"


def _review_in(world, status):
    """Return a review of home A brought to STATUS through the services."""
    review = world.submit()
    if status == "pending":
        return review
    if status == "published":
        return services.moderate_review(world.regulator, review, "publish", "meets_guidelines")
    decision = "fold" if status in ("folded", "appealed") else "reject"
    services.moderate_review(world.regulator, review, decision, REASON[decision], "说明")
    if status == "appealed":
        services.appeal_review(world.family, review, "我确实住过这里，请复核。")
    return review


def test_can_appeal_asks_the_state_table_and_allows_one_appeal():
    from types import SimpleNamespace

    from reviews.services import can_appeal

    assert can_appeal(SimpleNamespace(status="folded", appeal=None))
    assert can_appeal(SimpleNamespace(status="rejected", appeal=None))
    assert not can_appeal(SimpleNamespace(status="published", appeal=None))
    assert not can_appeal(SimpleNamespace(status="pending", appeal=None))
    decided = SimpleNamespace(status="overturned", decided_at=10)
    assert not can_appeal(SimpleNamespace(status="folded", appeal=SimpleNamespace(status="open", decided_at=None),
                                          decided_at=5))
    assert not can_appeal(SimpleNamespace(status="folded", appeal=decided, decided_at=10))  # the appeal's outcome
    assert can_appeal(SimpleNamespace(status="folded", appeal=decided, decided_at=11))  # changed since: appeal again
