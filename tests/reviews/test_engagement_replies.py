"""The home's one public reply to a review: moderated by a regulator of the home's place, shown once published."""

import pytest
import sqlalchemy as sa
from flask import render_template_string

from core.errors import ServiceError
from core.extensions import db
from reviews import engagement
from reviews.engagement_models import ReviewReply
from tests.reviews.test_engagement_fixtures import (
    World,
    fresh_request_state,
    login_as,
    make_review,
    post_form,
    refreshed,
)

EXTRAS = '{% include "reviews/engagement/_review_extras.html" %}'


@pytest.fixture
def world(app):
    return World()


def _reply_page(client, review, text):
    page = f"/portal/homes/{review.home_id}/reviews"
    return post_form(client, page, f"/portal/reviews/{review.id}/reply", {f"r{review.id}-text": text})


def _decide(client, reply, **fields):
    data = {f"reply{reply.id}-{k}": v for k, v in fields.items()}
    return post_form(client, "/regulator/review-engagement", f"/regulator/replies/{reply.id}/decide", data)


def _extras(app, review, user=None):
    """Render the partial for REVIEW as USER would see it on the home's page (English)."""
    with app.test_request_context("/?lang=en"):
        fresh_request_state()
        if user is not None:
            from flask_login import login_user

            login_user(user)
        return render_template_string(EXTRAS, review=refreshed(review))


def test_staff_reply_waits_for_moderation_then_shows_under_the_review(app, client, world):
    review = world.review
    login_as(client, world.staff)
    assert _reply_page(client, review, "感谢您的反馈，我们会改进伙食。").status_code == 302
    reply = db.session.scalars(sa.select(ReviewReply)).one()
    assert (reply.status, reply.provider_id, reply.author_id) == ("pending", world.operator.id, world.staff.id)
    assert "感谢您的反馈" not in _extras(app, review)  # not public while pending
    assert "Awaiting moderation" in client.get(f"/portal/homes/{world.home.id}/reviews?lang=en").get_data(
        as_text=True)

    login_as(client, world.regulator)
    queue = client.get("/regulator/review-engagement").get_data(as_text=True)
    assert f'id="pending-reply-{reply.id}"' in queue and "感谢您的反馈" in queue
    assert _decide(client, reply, decision="publish", statement="").status_code == 302
    reply = refreshed(reply)
    assert (reply.status, reply.reason_code, reply.decided_by_id) == (
        "published", "meets_guidelines", world.regulator.id)
    html = _extras(app, review)
    assert "Reply from the home" in html and "感谢您的反馈" in html
    assert f'id="pending-reply-{reply.id}"' not in client.get("/regulator/review-engagement").get_data(as_text=True)


def test_a_second_reply_is_refused(client, world):
    engagement.submit_reply(world.staff, world.review, "第一条回复")
    login_as(client, world.staff)
    assert _reply_page(client, world.review, "第二条回复").status_code == 409
    with pytest.raises(ServiceError) as exc:
        engagement.submit_reply(world.staff, world.review, "第二条回复")
    assert (exc.value.status, exc.value.code) == (409, "already_replied")
    assert [r.text for r in db.session.scalars(sa.select(ReviewReply))] == ["第一条回复"]


def test_a_rejected_reply_still_counts_as_the_one_reply(world):
    reply = engagement.submit_reply(world.staff, world.review, "请联系我们 13800138000")
    engagement.decide_reply(world.regulator, reply, False, "personal_data", "回复含电话号码")
    with pytest.raises(ServiceError) as exc:
        engagement.submit_reply(world.staff, world.review, "改过的回复")
    assert exc.value.status == 409


def test_another_operators_staff_cannot_reply(client, world):
    login_as(client, world.other_staff)
    assert client.get(f"/portal/homes/{world.home.id}/reviews").status_code == 403
    assert _reply_page(client, world.review, "我们不是这家").status_code == 403
    with pytest.raises(ServiceError) as exc:
        engagement.submit_reply(world.other_staff, world.review, "我们不是这家")
    assert exc.value.status == 403
    assert db.session.scalar(sa.select(sa.func.count(ReviewReply.id))) == 0


@pytest.mark.parametrize("who", ["author", "family", "regulator"])
def test_non_staff_cannot_reply(client, world, who):
    login_as(client, getattr(world, who))
    assert post_form(client, "/", f"/portal/reviews/{world.review.id}/reply", {
        f"r{world.review.id}-text": "回复"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ReviewReply.id))) == 0


def test_staff_of_an_unverified_operator_cannot_reply(world):
    staff = world.unverified_staff
    review = make_review(world.unverified_home, world.author)
    with pytest.raises(ServiceError) as exc:
        engagement.submit_reply(staff, review, "回复")
    assert exc.value.status == 403


def test_no_reply_to_a_review_that_is_not_public(client, world):
    pending = make_review(world.home, world.family, status="pending")
    login_as(client, world.staff)
    assert _reply_page(client, pending, "回复").status_code == 404
    with pytest.raises(ServiceError) as exc:
        engagement.submit_reply(world.staff, pending, "回复")
    assert exc.value.status == 404


@pytest.mark.parametrize("text", ["", "   ", "长" * 2001])
def test_an_empty_or_overlong_reply_is_a_form_error(client, world, text):
    login_as(client, world.staff)
    assert _reply_page(client, world.review, text).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ReviewReply.id))) == 0


def test_rejecting_needs_a_reason_and_a_statement_that_the_home_then_sees(client, world):
    reply = engagement.submit_reply(world.staff, world.review, "请加微信 abc123 了解优惠")
    login_as(client, world.regulator)
    assert _decide(client, reply, decision="reject", reason_code="", statement="含广告").status_code == 400
    assert _decide(client, reply, decision="reject", reason_code="advertising", statement="").status_code == 400
    assert refreshed(reply).status == "pending"
    response = _decide(client, reply, decision="reject", reason_code="advertising", statement="回复含广告")
    assert response.status_code == 302
    assert (refreshed(reply).status, refreshed(reply).reason_code) == ("rejected", "advertising")
    login_as(client, world.staff)
    page = client.get(f"/portal/homes/{world.home.id}/reviews?lang=en").get_data(as_text=True)
    assert "Rejected" in page and "Advertising or links" in page and "回复含广告" in page


@pytest.mark.parametrize("reason", ["personal_data", "advertising", "other", "no_such_reason"])
def test_a_reply_is_never_published_with_a_rejection_reason(client, world, reason):
    reply = engagement.submit_reply(world.staff, world.review, "感谢您的评价")
    with pytest.raises(ServiceError) as refused:
        engagement.decide_reply(world.regulator, reply, True, reason, "")
    assert "reason_code" in refused.value.fields
    login_as(client, world.regulator)
    assert _decide(client, reply, decision="publish", reason_code=reason, statement="").status_code == 400
    assert refreshed(reply).status == "pending"
    assert _decide(client, reply, decision="publish", reason_code="", statement="").status_code == 302
    assert (refreshed(reply).status, refreshed(reply).reason_code) == ("published", "meets_guidelines")


def test_a_decided_reply_cannot_be_decided_again(client, world):
    reply = engagement.submit_reply(world.staff, world.review, "谢谢")
    engagement.decide_reply(world.regulator, reply, True)
    login_as(client, world.regulator)
    assert _decide(client, reply, decision="reject", reason_code="other", statement="改主意").status_code == 409
    assert refreshed(reply).status == "published"


def test_a_regulator_outside_the_jurisdiction_cannot_decide_or_see_a_reply(client, world):
    reply = engagement.submit_reply(world.staff, world.review, "谢谢")
    login_as(client, world.outside_regulator)
    assert f"pending-reply-{reply.id}" not in client.get("/regulator/review-engagement").get_data(as_text=True)
    assert _decide(client, reply, decision="publish").status_code == 403
    with pytest.raises(ServiceError) as exc:
        engagement.decide_reply(world.outside_regulator, reply, True)
    assert exc.value.status == 403
    assert refreshed(reply).status == "pending"


def test_staff_cannot_decide_their_own_reply(client, world):
    reply = engagement.submit_reply(world.staff, world.review, "谢谢")
    login_as(client, world.staff)
    assert _decide(client, reply, decision="publish").status_code == 403
    assert refreshed(reply).status == "pending"


def test_unknown_reply_is_404(client, world):
    login_as(client, world.regulator)
    assert post_form(client, "/regulator/review-engagement", "/regulator/replies/999999/decide").status_code == 404


def test_the_home_page_shows_the_published_reply_and_the_helpful_count(client, world):
    review = world.review
    reply = engagement.submit_reply(world.staff, review, "感谢您的反馈，我们会改进伙食。")
    page = client.get(f"/homes/{world.home.id}?lang=en").get_data(as_text=True)
    assert f'id="review-extras-{review.id}"' in page and "感谢您的反馈" not in page
    engagement.decide_reply(world.regulator, reply, True)
    engagement.toggle_helpful(world.family, review)
    page = client.get(f"/homes/{world.home.id}?lang=en").get_data(as_text=True)
    assert "Reply from the home" in page and "感谢您的反馈" in page and "1 found this helpful" in page


def test_the_queue_shows_what_screening_finds_in_a_reply(client, world):
    flagged = engagement.submit_reply(world.staff, world.review, "有问题请拨打 13812345678 联系院长")
    clean = engagement.submit_reply(world.staff, make_review(world.home, world.family), "感谢您的评价。")
    login_as(client, world.regulator)
    page = client.get("/regulator/review-engagement?lang=en").get_data(as_text=True)
    assert f'id="reply-signals-{flagged.id}"' in page and "<code>138****5678</code>" in page  # the masked evidence
    assert f'id="reply-signals-{clean.id}"' not in page


@pytest.mark.parametrize(("status", "reason"), [("published", "personal_data"), ("published", None),
                                                ("rejected", "meets_guidelines"), ("rejected", None)])
def test_the_database_refuses_a_reply_whose_reason_does_not_fit_its_decision(world, status, reason):
    reply = engagement.submit_reply(world.staff, world.review, "感谢您的评价")
    reply.status, reply.reason_code = status, reason
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert refreshed(reply).status == "pending"
