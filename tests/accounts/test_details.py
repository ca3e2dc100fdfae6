"""Correcting one's own account (PIPL art. 46): the name at once, a new e-mail address or mobile number after the
link sent to it; refusals are form errors; every correction is recorded (the field, never the value)."""

from datetime import timedelta

import sqlalchemy as sa

from core import time
from core.extensions import db
from privacy.models import DataRequest
from tests.accounts.helpers import described_by, submit
from tests.factories import login_as, make_user


def _save(client, **fields):
    return submit(client, "/account/details", fields, page="/account")


def _path(link):
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _corrections(user):
    return db.session.scalars(sa.select(DataRequest.target).where(
        DataRequest.kind == "correct", DataRequest.subject_id == user.id).order_by(DataRequest.id)).all()


def test_the_account_page_offers_the_details_form_filled_in(client):
    user = make_user(email="li.na@example.cn", mobile="+8613912345678", display_name="李娜")
    login_as(client, user)
    html = client.get("/account").get_data(as_text=True)
    assert 'id="details-form"' in html and 'value="李娜"' in html and 'value="13912345678"' in html


def test_a_changed_name_is_saved_at_once_and_recorded(client):
    user = make_user(email="li.na@example.cn", display_name="李娜")
    login_as(client, user)
    response = _save(client, display_name="  李 娜 ", email="li.na@example.cn", mobile="")
    assert response.status_code == 302 and response.location == "/account"
    db.session.refresh(user)
    assert user.display_name == "李 娜" and user.email == "li.na@example.cn"
    assert _corrections(user) == ["account:display_name"]
    record = db.session.scalar(sa.select(DataRequest).where(DataRequest.kind == "correct"))
    assert "李" not in record.reason + record.target  # the record names the field, never the value


def test_a_new_email_is_used_only_after_its_link_is_followed(client, sent):
    user = make_user(email="old@example.cn", display_name="王芳")
    login_as(client, user)
    response = _save(client, display_name="王芳", email="New@Example.cn", mobile="")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.cn"  # not yet
    message = sent[-1]
    assert message["kind"] == "address_change" and message["to"] == "new@example.cn"
    page = client.get(_path(message["link"]))
    assert page.status_code == 200 and "new@example.cn" in page.get_data(as_text=True)
    response = submit(client, _path(message["link"]), {})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "new@example.cn"
    assert _corrections(user) == ["account:email"]


def test_a_new_mobile_number_is_confirmed_by_its_link_and_the_link_is_the_accounts_own(client, sent):
    user, other = make_user(email="a@example.cn"), make_user(email="b@example.cn")
    login_as(client, user)
    assert _save(client, display_name=user.display_name, email="a@example.cn",
                 mobile="139 1234 5678").status_code == 302
    link = _path(sent[-1]["link"])
    assert sent[-1]["to"] == "+8613912345678"
    login_as(client, other)
    assert client.get(link).status_code == 400  # someone else's link does nothing for another account
    assert submit(client, link, {}, page="/account").status_code == 400
    login_as(client, user)
    assert submit(client, link, {}).status_code == 302
    db.session.refresh(user), db.session.refresh(other)
    assert user.mobile == "+8613912345678" and other.mobile is None


def test_a_link_expires_after_a_day(client, sent):
    user = make_user(email="a@example.cn")
    login_as(client, user)
    _save(client, display_name=user.display_name, email="a2@example.cn", mobile="")
    link = _path(sent[-1]["link"])
    with time.frozen(time.utcnow() + timedelta(hours=25)):
        assert client.get(link).status_code == 400
    db.session.refresh(user)
    assert user.email == "a@example.cn"


def test_an_address_another_account_has_gets_no_link_and_the_same_answer(client, sent):
    make_user(email="taken@example.cn")
    user = make_user(email="mine@example.cn")
    login_as(client, user)
    before = len(sent)
    response = _save(client, display_name=user.display_name, email="taken@example.cn", mobile="")
    assert response.status_code == 302 and len(sent) == before
    db.session.refresh(user)
    assert user.email == "mine@example.cn"


def test_an_address_taken_before_the_link_is_followed_is_refused_with_a_message(client, sent):
    user = make_user(email="mine@example.cn")
    login_as(client, user)
    _save(client, display_name=user.display_name, email="wanted@example.cn", mobile="")
    link = _path(sent[-1]["link"])
    make_user(email="wanted@example.cn")
    response = submit(client, link, {})
    assert response.status_code == 409 and 'id="error-summary"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "mine@example.cn"


def test_bad_details_are_form_errors_and_change_nothing(client, sent):
    user = make_user(email="mine@example.cn", display_name="王芳")
    login_as(client, user)
    for fields, field in [({"display_name": "", "email": "mine@example.cn"}, "display_name"),
                          ({"display_name": "王芳", "email": "not an address"}, "email"),
                          ({"display_name": "王芳", "email": "mine@example.cn", "mobile": "12345"}, "mobile"),
                          ({"display_name": "王芳", "email": "", "mobile": ""}, "email"),  # nothing left to sign in
                          ({"display_name": "x" * 101, "email": "mine@example.cn"}, "display_name")]:
        response = _save(client, **fields)
        assert response.status_code == 400, fields
        assert f"{field}-error" in described_by(response.get_data(as_text=True), field), fields
    db.session.refresh(user)
    assert (user.display_name, user.email, user.mobile) == ("王芳", "mine@example.cn", None)
    assert _corrections(user) == [] and sent == []


def test_an_emptied_address_is_removed_when_another_remains(client):
    user = make_user(email="mine@example.cn", mobile="+8613912345678")
    login_as(client, user)
    assert _save(client, display_name=user.display_name, email="mine@example.cn", mobile="").status_code == 302
    db.session.refresh(user)
    assert user.mobile is None and user.email == "mine@example.cn"
    assert _corrections(user) == ["account:mobile"]


def test_the_details_form_needs_its_csrf_token(client):
    user = make_user(display_name="王芳")
    login_as(client, user)
    response = client.post("/account/details", data={"display_name": "别人"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.display_name == "王芳"
