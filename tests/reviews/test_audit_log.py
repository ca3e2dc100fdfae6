"""The audit log is append-only: the ORM refuses changes and deletes, bulk statements too; no route edits it."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from demo.market import delete_demo
from reviews.models import AuditLogIsAppendOnly, ModerationDecision, Review
from reviews.services import record_audit
from tests.factories import make_home


def _entries():
    return db.session.scalars(sa.select(ModerationDecision).order_by(ModerationDecision.id)).all()


def _snapshot():
    db.session.expire_all()
    return [(e.id, e.action, e.from_status, e.to_status, e.statement) for e in _entries()]


def test_an_entry_cannot_be_changed(world):
    world.submit()
    before = _snapshot()
    entry = _entries()[0]
    entry.statement = "改写历史"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert _snapshot() == before


def test_an_entry_cannot_be_deleted(world):
    world.submit()
    before = _snapshot()
    db.session.delete(_entries()[-1])
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert _snapshot() == before


@pytest.mark.parametrize("statement", [
    sa.update(ModerationDecision).values(statement="x"),
    sa.update(ModerationDecision.__table__).values(reason_code="other"),
    sa.delete(ModerationDecision),
    sa.delete(ModerationDecision.__table__).where(ModerationDecision.__table__.c.id > 0),
])
def test_bulk_updates_and_deletes_are_refused(world, statement):
    world.submit()
    before = _snapshot()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()
    assert _snapshot() == before


def test_a_consumer_review_cannot_be_deleted(world):
    review = world.submit()
    db.session.delete(review)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Review, review.id) is not None


def test_other_writers_only_add_lines(world):
    review = world.submit()
    record_audit(review, world.regulator, "verify", reason_code="regulator", statement="核实为家属")
    db.session.commit()
    assert [e.action for e in _entries()][-1] == "verify"
    assert review.status == "pending"


def test_a_demo_home_goes_with_its_demo_reviews_and_their_log(app, world):
    demo = make_home("320508", is_demo=True)
    review = world.submit(home=demo)
    review.is_demo = True  # as if seeded; a regulator then moderated it
    db.session.commit()
    review_id = review.id
    world.submit()  # a consumer review elsewhere keeps its log
    assert delete_demo()["homes"] == 1
    db.session.expunge_all()
    assert db.session.get(Review, review_id) is None
    assert all(e.review_id != review_id for e in _entries()) and _entries()


def test_no_route_writes_to_the_audit_log_except_by_deciding(app):
    """The only moderation routes that take POSTs are decisions, which append; none takes PUT/PATCH/DELETE."""
    posts = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("moderation.") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
    assert posts == ["moderation.bulk", "moderation.decide"]
    assert not any(rule.methods & {"PUT", "PATCH", "DELETE"} for rule in app.url_map.iter_rules()
                   if "review" in rule.rule)
