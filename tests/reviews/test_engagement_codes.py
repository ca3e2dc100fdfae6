"""Verified reviews: one-time codes from the home, entered by the author; or a regulator's verification."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from reviews import engagement
from reviews.engagement_models import ReviewVerification, VerificationCode, hash_code
from reviews.services import refresh_review_scores
from tests.factories import make_home
from tests.reviews.test_engagement_fixtures import World, login_as, make_review, post_form, refreshed

CODE = re.compile(r'<code class="issued-code">([2-9A-Z-]+)</code>')


@pytest.fixture
def world(app):
    return World()


def _issue(world, relationship="family", count=1, now=None):
    return [plain for _row, plain in engagement.issue_codes(world.staff, world.home, relationship, count, now=now)]


def _redeem_page(client, review, code):
    url = f"/reviews/{review.id}/code"
    return post_form(client, url, url, {"verification_code": code})


# --- issuing -----------------------------------------------------------------------------------------


def test_staff_issue_codes_shown_once_and_only_a_hash_is_stored(client, world):
    login_as(client, world.staff)
    url = f"/portal/homes/{world.home.id}/review-codes"
    response = post_form(client, url, url, {"relationship": "resident", "count": "3"})
    assert response.status_code == 200
    codes = CODE.findall(response.get_data(as_text=True))
    assert len(codes) == 3 and len(set(codes)) == 3
    rows = db.session.scalars(sa.select(VerificationCode).where(VerificationCode.home_id == world.home.id)).all()
    assert sorted(r.code_hash for r in rows) == sorted(hash_code(c) for c in codes)
    assert all(r.relationship == "resident" and r.issued_by_id == world.staff.id for r in rows)
    assert all(timedelta(days=89) < r.expires_at - r.created_at <= timedelta(days=90) for r in rows)
    listing = client.get(url).get_data(as_text=True)
    assert not any(code in listing for code in codes)  # never shown again
    assert all(f"…{code[-4:]}" in listing for code in codes)  # but told apart by their last characters


def test_another_operators_staff_cannot_issue_or_see_codes(client, world):
    login_as(client, world.other_staff)
    url = f"/portal/homes/{world.home.id}/review-codes"
    assert client.get(url).status_code == 403
    assert post_form(client, "/", url, {"relationship": "family", "count": "1"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(VerificationCode.id))) == 0


def test_staff_of_an_unverified_operator_cannot_issue_codes(world):
    staff = world.unverified_staff
    with pytest.raises(ServiceError) as exc:
        engagement.issue_codes(staff, world.unverified_home, "family")
    assert exc.value.status == 403


@pytest.mark.parametrize("relationship, count", [("visitor", 1), ("family", 0), ("family", 21)])
def test_issuing_refuses_bad_input(world, relationship, count):
    with pytest.raises(ServiceError) as exc:
        engagement.issue_codes(world.staff, world.home, relationship, count)
    assert exc.value.status == 400


def test_bad_issue_form_is_a_400_with_the_form(client, world):
    login_as(client, world.staff)
    url = f"/portal/homes/{world.home.id}/review-codes"
    assert post_form(client, url, url, {"relationship": "visitor", "count": "1"}).status_code == 400
    assert post_form(client, url, url, {"relationship": "family", "count": "abc"}).status_code == 400


# --- redeeming ---------------------------------------------------------------------------------------


def test_author_enters_a_code_and_the_review_is_verified_and_weighs_more(client, world):
    review = world.review
    make_review(make_home("320508"), overall=2)  # the regional mean (3) sits below this 4-star review
    refresh_review_scores([world.home.id])
    before = refreshed(world.home).review_score
    code = _issue(world, "resident")[0]
    login_as(client, world.author)
    response = _redeem_page(client, review, code.lower().replace("-", " "))  # case and separators do not matter
    assert response.status_code == 302
    review = refreshed(review)
    assert review.verified and review.relationship == "resident"
    verification = db.session.scalars(sa.select(ReviewVerification)).one()
    assert (verification.method, verification.relationship, verification.stated_relationship) == (
        "code", "resident", "visitor")
    row = db.session.scalars(sa.select(VerificationCode)).one()
    assert row.used_at is not None and row.used_by_review_id == review.id
    assert refreshed(world.home).review_score > before  # a 4-star review weighs more above the 3.5 prior
    assert "Your review is verified" in client.get(f"/reviews/{review.id}/code?lang=en").get_data(as_text=True)


def test_a_code_works_once(client, world):
    code = _issue(world)[0]
    engagement.redeem_code(world.author, world.review, code)
    second = make_review(world.home, world.family)
    login_as(client, world.family)
    url = f"/reviews/{second.id}/code"
    response = post_form(client, url, url + "?lang=en", {"verification_code": code})
    assert response.status_code == 400
    assert "This code has been used already" in response.get_data(as_text=True)
    with pytest.raises(ServiceError) as exc:
        engagement.redeem_code(world.family, refreshed(second), code)
    assert (exc.value.status, exc.value.code) == (400, "code_used")
    assert not refreshed(second).verified
    assert db.session.scalar(sa.select(sa.func.count(ReviewVerification.id))) == 1


def test_an_expired_code_is_refused(world):
    code = _issue(world, now=utcnow() - timedelta(days=91))[0]
    with pytest.raises(ServiceError) as exc:
        engagement.redeem_code(world.author, world.review, code)
    assert (exc.value.status, exc.value.code) == (400, "code_expired")
    assert not refreshed(world.review).verified
    assert db.session.scalars(sa.select(VerificationCode)).one().used_at is None


def test_a_code_just_before_expiry_still_works(world):
    code = _issue(world, now=utcnow() - timedelta(days=89))[0]
    engagement.redeem_code(world.author, world.review, code)
    assert refreshed(world.review).verified


def test_a_code_of_another_home_is_refused(client, world):
    other_code = [p for _r, p in engagement.issue_codes(world.other_staff, world.other_home, "family")][0]
    login_as(client, world.author)
    response = _redeem_page(client, world.review, other_code)
    assert response.status_code == 400
    assert not refreshed(world.review).verified
    assert db.session.scalars(sa.select(VerificationCode)).one().used_at is None  # still usable at its own home
    engagement.redeem_code(world.author, world.other_review, other_code)
    assert refreshed(world.other_review).verified


def test_a_withdrawn_code_is_refused(client, world):
    code = _issue(world)[0]
    row = db.session.scalars(sa.select(VerificationCode)).one()
    login_as(client, world.staff)
    url = f"/portal/homes/{world.home.id}/review-codes"
    assert post_form(client, url, f"{url}/{row.id}/revoke").status_code == 302
    with pytest.raises(ServiceError) as exc:
        engagement.redeem_code(world.author, world.review, code)
    assert exc.value.code == "code_revoked"


def test_a_wrong_or_empty_code_is_refused(world):
    _issue(world)
    for code in ("AAAA-BBBB-CCCC", "", "----"):
        with pytest.raises(ServiceError) as exc:
            engagement.redeem_code(world.author, world.review, code)
        assert exc.value.status == 400 and "verification_code" in exc.value.fields


def test_only_the_author_can_enter_a_code(client, world):
    code = _issue(world)[0]
    for user in (world.family, world.staff, world.regulator):
        login_as(client, user)
        assert client.get(f"/reviews/{world.review.id}/code").status_code == 403
        assert _redeem_page(client, world.review, code).status_code == 403
    assert not refreshed(world.review).verified


def test_anonymous_users_are_sent_to_sign_in(client, world):
    assert client.get(f"/reviews/{world.review.id}/code").status_code == 302
    assert post_form(client, "/", f"/reviews/{world.review.id}/code", {"verification_code": "X"}).status_code == 302


def test_an_already_verified_review_keeps_its_code_unused(world):
    first, second = _issue(world, count=2)
    engagement.redeem_code(world.author, world.review, first)
    with pytest.raises(ServiceError) as exc:
        engagement.redeem_code(world.author, refreshed(world.review), second)
    assert exc.value.status == 409
    assert db.session.scalar(sa.select(VerificationCode).where(VerificationCode.code_hash == hash_code(second))
                             ).used_at is None


def test_check_code_lets_the_review_form_validate_before_saving(world):
    code = _issue(world)[0]
    assert engagement.check_code(world.home, code).home_id == world.home.id
    with pytest.raises(ServiceError):
        engagement.check_code(db.session.get(Home, world.other_home.id), code)


# --- regulators --------------------------------------------------------------------------------------


def test_a_regulator_in_jurisdiction_verifies_a_review(client, world):
    review = world.review
    for regulator in (world.regulator, world.city_regulator):
        login_as(client, regulator)
        assert client.get(f"/regulator/reviews/{review.id}/verify").status_code == 200
    url = f"/regulator/reviews/{review.id}/verify"
    assert post_form(client, url, url, {"relationship": "family", "statement": ""}).status_code == 400
    assert post_form(client, url, url, {"relationship": "family", "statement": "核对了入住登记"}).status_code == 302
    review = refreshed(review)
    assert review.verified and review.relationship == "family"
    verification = engagement.verification_of(review)
    assert (verification.method, verification.verified_by_id, verification.statement) == (
        "regulator", world.city_regulator.id, "核对了入住登记")


def test_a_regulator_outside_the_jurisdiction_cannot_verify(client, world):
    login_as(client, world.outside_regulator)
    url = f"/regulator/reviews/{world.review.id}/verify"
    assert client.get(url).status_code == 403
    assert post_form(client, "/", url, {"relationship": "family", "statement": "x"}).status_code == 403
    assert not refreshed(world.review).verified
    with pytest.raises(ServiceError) as exc:
        engagement.verify_by_regulator(world.outside_regulator, world.review, "family", "x")
    assert exc.value.status == 403


def test_families_and_providers_cannot_use_the_regulator_verification(client, world):
    for user in (world.author, world.staff):
        login_as(client, user)
        url = f"/regulator/reviews/{world.review.id}/verify"
        assert post_form(client, "/", url, {"relationship": "family", "statement": "x"}).status_code == 403
    assert not refreshed(world.review).verified


def test_verifications_are_written_to_the_moderation_audit_log(world):
    from reviews.models import ModerationDecision

    code = _issue(world)[0]
    engagement.redeem_code(world.author, world.review, code)
    other = make_review(world.home, world.family)
    engagement.verify_by_regulator(world.regulator, other, "resident", "核对了入住登记")
    lines = db.session.scalars(sa.select(ModerationDecision).where(ModerationDecision.action == "verify")
                               .order_by(ModerationDecision.id)).all()
    assert [(e.review_id, e.actor_id, e.reason_code, e.statement) for e in lines] == [
        (world.review.id, world.author.id, "code_family", ""),
        (other.id, world.regulator.id, "regulator_resident", "核对了入住登记")]


def test_a_code_given_while_writing_verifies_the_new_review(world):
    from reviews import services as review_services
    from reviews.models import SUB_SCORES

    code = _issue(world, "resident")[0]
    assert engagement.check_code(world.home, code)  # the form checks it before the review is saved
    today = time.today()
    review = review_services.submit_review(
        world.author, world.home, relationship="resident", period_start=today.replace(day=1), period_end=today,
        overall=5, sub_scores=dict.fromkeys(SUB_SCORES, 5), text="护理员非常耐心，老人住得安心，饭菜也合口味。")
    engagement.redeem_code(world.author, review, code)
    review = refreshed(review)
    assert review.verified and review.status == "pending"  # verified, still waiting for moderation
