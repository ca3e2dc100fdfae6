"""Reports on reviews (families and the home's staff) and helpful votes (families), with their limits."""

import pytest
import sqlalchemy as sa
from flask import render_template_string

from core.errors import ServiceError
from core.extensions import db
from reviews import engagement
from reviews.engagement_models import HelpfulVote, ReviewReport
from tests.reviews.test_engagement_fixtures import (
    World,
    fresh_request_state,
    login_as,
    make_review,
    post_form,
    refreshed,
)


@pytest.fixture
def world(app):
    return World()


def _report(client, review, reason="personal_data", text="", page=None):
    url = f"/reviews/{review.id}/report"
    return post_form(client, page or url, url, {"reason": reason, "text": text})


def _helpful(client, review):
    return post_form(client, f"/reviews/{review.id}/report", f"/reviews/{review.id}/helpful")


def _votes(review):
    return db.session.scalar(sa.select(sa.func.count(HelpfulVote.id)).where(HelpfulVote.review_id == review.id))


# --- reports -----------------------------------------------------------------------------------------


def test_a_family_member_reports_a_review_and_regulators_in_jurisdiction_see_it(client, world):
    login_as(client, world.family)
    assert client.get(f"/reviews/{world.review.id}/report").status_code == 200
    assert _report(client, world.review, "personal_data", "评价里有护理员的全名").status_code == 302
    report = db.session.scalars(sa.select(ReviewReport)).one()
    assert (report.reporter_id, report.reporter_role, report.status) == (world.family.id, "family", "open")
    assert [(r.id, rv.id, h.id) for r, rv, h in engagement.open_reports_for(world.regulator)] == [
        (report.id, world.review.id, world.home.id)]
    assert engagement.open_reports_for(world.outside_regulator) == []
    assert engagement.open_report_counts([world.review.id]) == {world.review.id: 1}
    login_as(client, world.regulator)
    assert "评价里有护理员的全名" in client.get("/regulator/review-engagement").get_data(as_text=True)
    login_as(client, world.outside_regulator)
    assert "评价里有护理员的全名" not in client.get("/regulator/review-engagement").get_data(as_text=True)


def test_the_home_reports_a_review_of_its_own_home(client, world):
    login_as(client, world.staff)
    assert _report(client, world.review, "false_information", "该时段老人不在本院").status_code == 302
    assert db.session.scalars(sa.select(ReviewReport)).one().reporter_role == "provider"


def test_another_operators_staff_cannot_report(client, world):
    login_as(client, world.other_staff)
    assert client.get(f"/reviews/{world.review.id}/report").status_code == 403
    assert _report(client, world.review, "abusive_language", page="/").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 0


def test_anonymous_users_cannot_report(client, world):
    response = post_form(client, "/", f"/reviews/{world.review.id}/report", {"reason": "abusive_language"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.get(f"/reviews/{world.review.id}/report").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 0


@pytest.mark.parametrize("who", ["author", "regulator"])
def test_the_author_and_regulators_do_not_report(client, world, who):
    login_as(client, getattr(world, who))
    assert _report(client, world.review, "abusive_language", page="/").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 0


def test_a_second_report_by_the_same_user_is_refused(client, world):
    login_as(client, world.family)
    assert _report(client, world.review).status_code == 302
    assert _report(client, world.review, "abusive_language").status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 1


@pytest.mark.parametrize("reason, text", [("", ""), ("not_a_reason", ""), ("other", ""),
                                          ("abusive_language", "长" * 1001)])
def test_a_report_needs_a_known_reason_and_text_for_other(client, world, reason, text):
    login_as(client, world.family)
    assert _report(client, world.review, reason, text).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 0


def test_a_review_that_is_not_public_cannot_be_reported_or_voted_on(client, world):
    hidden = make_review(world.home, world.author, status="rejected")
    login_as(client, world.family)
    assert _report(client, hidden).status_code == 404
    assert post_form(client, "/", f"/reviews/{hidden.id}/helpful").status_code == 404
    assert client.get("/reviews/999999/report").status_code == 404


def _resolve(client, report, **fields):
    data = {f"report{report.id}-{k}": v for k, v in fields.items()}
    return post_form(client, "/regulator/review-engagement", f"/regulator/review-reports/{report.id}/resolve", data)


def test_a_regulator_in_jurisdiction_resolves_a_report_with_a_note(client, world):
    report = engagement.report_review(world.family, world.review, "abusive_language")
    login_as(client, world.city_regulator)
    assert _resolve(client, report, decision="uphold", note="").status_code == 400
    assert _resolve(client, report, decision="maybe", note="x").status_code == 400
    assert _resolve(client, report, decision="uphold", note="含辱骂用语，已送审核队列").status_code == 302
    report = refreshed(report)
    assert (report.status, report.resolved_by_id, report.resolution_note) == (
        "upheld", world.city_regulator.id, "含辱骂用语，已送审核队列")
    assert engagement.open_reports_for(world.regulator) == []
    assert _resolve(client, report, decision="dismiss", note="again").status_code == 409


def test_a_regulator_outside_the_jurisdiction_cannot_resolve(client, world):
    report = engagement.report_review(world.family, world.review, "abusive_language")
    login_as(client, world.outside_regulator)
    assert _resolve(client, report, decision="dismiss", note="不在辖区").status_code == 403
    with pytest.raises(ServiceError) as exc:
        engagement.resolve_report(world.outside_regulator, report, False, "x")
    assert exc.value.status == 403
    assert refreshed(report).status == "open"


def test_admins_see_and_resolve_reports_everywhere(client, world):
    from tests.factories import make_user

    admin = make_user("admin")
    report = engagement.report_review(world.author, make_review(world.other_home, world.family), "advertising")
    assert [r.id for r, _rv, _h in engagement.open_reports_for(admin)] == [report.id]
    engagement.resolve_report(admin, report, False, "不构成广告")
    assert refreshed(report).status == "dismissed"


# --- helpful votes -----------------------------------------------------------------------------------


def test_helpful_twice_is_a_toggle_not_a_double_count(client, world):
    login_as(client, world.family)
    assert _helpful(client, world.review).status_code == 302
    assert _votes(world.review) == 1
    assert _helpful(client, world.review).status_code == 302
    assert _votes(world.review) == 0
    assert _helpful(client, world.review).status_code == 302
    assert _votes(world.review) == 1


def test_helpful_votes_of_different_families_add_up(world):
    from tests.factories import make_user

    assert engagement.toggle_helpful(world.family, world.review) == (True, 1)
    assert engagement.toggle_helpful(make_user("family"), world.review) == (True, 2)
    assert engagement.toggle_helpful(world.family, world.review) == (False, 1)


@pytest.mark.parametrize("who", ["author", "staff", "regulator"])
def test_only_other_families_mark_a_review_helpful(client, world, who):
    login_as(client, getattr(world, who))
    assert _helpful(client, world.review).status_code == 403
    assert _votes(world.review) == 0


def test_anonymous_users_cannot_mark_helpful(client, world):
    response = post_form(client, "/", f"/reviews/{world.review.id}/helpful")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert _votes(world.review) == 0


def test_the_partial_shows_the_count_and_the_users_own_vote(app, world):
    from flask_login import login_user

    engagement.toggle_helpful(world.family, world.review)
    template = '{% include "reviews/engagement/_review_extras.html" %}'
    with app.test_request_context("/?lang=en"):
        fresh_request_state()
        anonymous = render_template_string(template, review=refreshed(world.review))
    assert "1 found this helpful" in anonymous and f'id="helpful-{world.review.id}"' not in anonymous
    with app.test_request_context("/?lang=en"):
        fresh_request_state()
        login_user(world.family)
        own = render_template_string(template, review=refreshed(world.review))
    assert 'aria-pressed="true"' in own and "Helpful (take back)" in own
    with app.test_request_context("/?lang=en"):
        fresh_request_state()
        login_user(world.author)
        author = render_template_string(template, review=refreshed(world.review))
    assert f'id="helpful-{world.review.id}"' not in author and "Report" not in author


# --- rate limits -------------------------------------------------------------------------------------


def test_helpful_clicks_are_rate_limited_per_user(app, client, world):
    app.config["REVIEW_HELPFUL_LIMIT_USER"] = "3/hour"
    login_as(client, world.family)
    statuses = [_helpful(client, world.review).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert _votes(world.review) == 1  # three accepted toggles: on, off, on


def test_reports_are_rate_limited_per_ip(app, client, world):
    app.config["REVIEW_REPORT_LIMIT_IP"] = "2/hour"
    login_as(client, world.family)
    reviews = [make_review(world.home, world.author) for _ in range(3)]
    statuses = [post_form(client, "/", f"/reviews/{r.id}/report", {"reason": "abusive_language"}).status_code
                for r in reviews]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 2


def test_a_report_is_logged_for_the_moderation_queue_and_the_review_stays_visible(world):
    from reviews.models import ModerationDecision

    engagement.report_review(world.family, world.review, "personal_data", "有全名")
    line = db.session.scalars(sa.select(ModerationDecision).where(ModerationDecision.action == "report")).one()
    assert (line.review_id, line.actor_id, line.reason_code, line.statement) == (
        world.review.id, world.family.id, "report_personal_data", "有全名")
    assert refreshed(world.review).status == "published"  # a report alone never hides a review
