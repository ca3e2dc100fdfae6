"""A review's author is told of a regulator's decision and of the outcome of an appeal (notify/)."""

import sqlalchemy as sa

from core.extensions import db
from notify.models import Notification
from reviews import services


def _kinds(user):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


def test_a_folded_review_and_its_appeal_outcome_reach_the_author(world):
    review = world.submit(overall=1)
    services.moderate_review(world.regulator, review, "fold", "unsubstantiated", "缺少依据")
    assert _kinds(world.family)[-1] == "review_folded"
    services.appeal_review(world.family, review, "我母亲在这里住了半年，评价内容属实，请复核。")
    services.decide_appeal(world.second_regulator, review, "publish", "meets_guidelines", "核实无误")
    assert _kinds(world.family)[-1] == "appeal_decided"
    folded = db.session.scalar(sa.select(Notification).where(Notification.kind == "review_folded"))
    assert folded.link == f"/reviews/{review.id}" and folded.params["home"] == "姑苏评价养老院"
