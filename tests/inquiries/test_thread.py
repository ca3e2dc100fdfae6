"""The thread: the family and the home's staff see it and reply; nobody else sees or changes it; visits."""

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from inquiries import services
from inquiries.models import Inquiry, InquiryMessage
from tests.factories import login_as, make_user
from tests.inquiries.conftest import post_with_token, visit_date


def _send(world, kind="inquiry", body="请问周末可以探访吗？"):
    values = {"kind": kind, "contact_name": "王小明", "contact_phone": "+8613800138000", "contact_consent": True,
              "body": body}
    if kind == "visit":
        from datetime import date

        values.update(visit_date=date.fromisoformat(visit_date(5)), time_slot="morning")
    return services.send_inquiry(world.family, world.home, **values)


def _state(inquiry_id):
    db.session.expire_all()
    inquiry = db.session.get(Inquiry, inquiry_id)
    return inquiry.status, [(m.author_role, m.body) for m in inquiry.messages]


def _reply(client, reference, body):
    url = f"/inquiries/{reference}"
    return post_with_token(client, url, url + "/reply", {"body": body})


def test_family_and_staff_both_see_the_thread_and_reply(client, world):
    inquiry = _send(world)
    login_as(client, world.family)
    page = client.get(f"/inquiries/{inquiry.reference}")
    assert page.status_code == 200 and "请问周末可以探访吗？" in page.get_data(as_text=True)

    login_as(client, world.staff)
    page = client.get(f"/inquiries/{inquiry.reference}").get_data(as_text=True)
    assert "请问周末可以探访吗？" in page and "+8613800138000" in page  # staff see the contact details
    assert _reply(client, inquiry.reference, "周末上午9点到11点可以。").status_code == 302
    assert _state(inquiry.id) == ("answered", [("family", "请问周末可以探访吗？"),
                                               ("provider", "周末上午9点到11点可以。")])

    login_as(client, world.family)
    assert _reply(client, inquiry.reference, "好的，谢谢！").status_code == 302
    status, messages = _state(inquiry.id)
    assert status == "open" and messages[-1] == ("family", "好的，谢谢！")
    assert "好的，谢谢！" in client.get(f"/inquiries/{inquiry.reference}").get_data(as_text=True)


def test_family_does_not_see_the_contact_block_meant_for_staff(client, world):
    inquiry = _send(world)
    login_as(client, world.family)
    assert "The family agreed to be contacted" not in client.get(f"/inquiries/{inquiry.reference}?lang=en").get_data(
        as_text=True)


@pytest.mark.parametrize("who", ["other_family", "other_staff", "regulator", "admin"])
def test_outsiders_get_404_and_change_nothing(client, world, who):
    inquiry = _send(world)
    user = getattr(world, who) if who.startswith("other") else make_user(who, jurisdiction="320000")
    login_as(client, user)
    assert client.get(f"/inquiries/{inquiry.reference}").status_code == 404
    assert client.get(f"/inquiries/{inquiry.reference}/sent").status_code == 404
    # a token from a page they may see, so only the rule stops them
    for action, data in (("reply", {"body": "我也想问"}), ("close", {}), ("confirm", {}), ("decline", {})):
        response = post_with_token(client, "/", f"/inquiries/{inquiry.reference}/{action}", data)
        assert response.status_code == 404, action
    assert _state(inquiry.id) == ("open", [("family", "请问周末可以探访吗？")])


def test_anonymous_cannot_see_or_reply(client, world):
    inquiry = _send(world)
    response = client.get(f"/inquiries/{inquiry.reference}")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = post_with_token(client, "/account/login", f"/inquiries/{inquiry.reference}/reply", {"body": "匿名"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert _state(inquiry.id) == ("open", [("family", "请问周末可以探访吗？")])


def test_unknown_reference_is_404(client, world):
    login_as(client, world.family)
    assert client.get("/inquiries/YRD-2026-ZZZZZZ").status_code == 404


@pytest.mark.parametrize("body", ["", "   ", "字" * 2001])
def test_bad_reply_is_400_and_nothing_stored(client, world, body):
    inquiry = _send(world)
    login_as(client, world.staff)
    response = _reply(client, inquiry.reference, body)
    assert response.status_code == 400 and 'id="body-error"' in response.get_data(as_text=True)
    assert _state(inquiry.id) == ("open", [("family", "请问周末可以探访吗？")])


def test_staff_confirm_a_visit(client, world):
    inquiry = _send(world, "visit", body="")
    login_as(client, world.staff)
    response = post_with_token(client, "/portal/inbox", f"/inquiries/{inquiry.reference}/confirm",
                               {"note": "请到前台登记。", "next": "inbox"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/inbox")
    assert _state(inquiry.id) == ("visit_confirmed", [("provider", "请到前台登记。")])
    login_as(client, world.family)
    assert "status-visit_confirmed" in client.get("/account/inquiries").get_data(as_text=True)


def test_staff_decline_a_visit(client, world):
    inquiry = _send(world, "visit", body="")
    login_as(client, world.staff)
    url = f"/inquiries/{inquiry.reference}"
    assert post_with_token(client, url, url + "/decline").status_code == 302
    assert _state(inquiry.id) == ("visit_declined", [])


def test_a_decided_visit_cannot_be_decided_again(client, world):
    inquiry = _send(world, "visit", body="")
    services.confirm_visit(world.staff, inquiry)
    login_as(client, world.staff)
    url = f"/inquiries/{inquiry.reference}"
    assert post_with_token(client, url, url + "/decline").status_code == 409
    assert _state(inquiry.id)[0] == "visit_confirmed"


def test_family_cannot_confirm_its_own_visit(client, world):
    inquiry = _send(world, "visit", body="")
    login_as(client, world.family)
    url = f"/inquiries/{inquiry.reference}"
    assert post_with_token(client, url, url + "/confirm").status_code == 403
    assert _state(inquiry.id)[0] == "open"


def test_a_question_cannot_be_confirmed_as_a_visit(app, world):
    inquiry = _send(world)
    with app.test_request_context(), pytest.raises(ServiceError) as exc:
        services.confirm_visit(world.staff, inquiry)
    assert exc.value.status == 409 and _state(inquiry.id)[0] == "open"


def test_too_long_decision_note_is_400_and_nothing_changes(client, world):
    inquiry = _send(world, "visit", body="")
    login_as(client, world.staff)
    url = f"/inquiries/{inquiry.reference}"
    assert post_with_token(client, url, url + "/confirm", {"note": "字" * 2001}).status_code == 400
    assert _state(inquiry.id) == ("open", [])


def test_closed_inquiry_takes_no_more_replies(app, client, world):
    inquiry = _send(world)
    login_as(client, world.family)
    url = f"/inquiries/{inquiry.reference}"
    assert post_with_token(client, url, url + "/close").status_code == 302
    assert _state(inquiry.id)[0] == "closed"
    with app.test_request_context(), pytest.raises(ServiceError) as exc:
        services.reply(world.staff, db.session.get(Inquiry, inquiry.id), "太晚了")
    assert exc.value.status == 409
    assert db.session.scalar(sa.select(sa.func.count(InquiryMessage.id))) == 1


def test_provider_inbox_lists_own_homes_unanswered_first(client, world):
    answered = _send(world, body="第一个问题")
    services.reply(world.staff, answered, "已回复")
    waiting = _send(world, "visit", body="第二个问题")
    elsewhere = services.send_inquiry(world.family, world.other_home, kind="inquiry", contact_name="王",
                                      contact_phone="13800138000", contact_consent=True, body="别家的问题")
    login_as(client, world.staff)
    html = client.get("/portal/inbox").get_data(as_text=True)
    assert html.index(waiting.reference) < html.index(answered.reference)
    assert elsewhere.reference not in html
    assert 'id="unanswered-count"' in html and "1" in html.split('id="unanswered-count">')[1][:40]
    filtered = client.get("/portal/inbox?status=answered").get_data(as_text=True)
    assert answered.reference in filtered and waiting.reference not in filtered
    assert client.get("/portal/inbox?status=bogus").status_code == 400


def test_provider_inbox_is_for_provider_staff_only(client, world):
    response = client.get("/portal/inbox")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    login_as(client, world.family)
    assert client.get("/portal/inbox").status_code == 403
