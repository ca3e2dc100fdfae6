"""Sign-up: email or mainland mobile, the password policy with the user's own words, duplicates, CSRF."""

from datetime import timedelta

import pytest

from accounts.passwords import verify_password
from tests.accounts.helpers import (
    GOOD_PASSWORD,
    described_by,
    finish_sign_up,
    sign_up,
    signed_in_user_id,
    submit,
    users,
)
from tests.factories import make_user


def test_sign_up_with_email_creates_a_signed_in_family_user_from_the_link(client, sent):
    response = sign_up(client, identifier="  Wang.Fang@Example.CN ", display_name=" 王  芳 ")
    assert response.status_code == 200 and 'id="signup-sent"' in response.get_data(as_text=True)
    assert users() == [] and signed_in_user_id(client) is None  # nothing until the address's owner follows the link
    [message] = sent
    assert message["kind"] == "signup_link" and message["to"] == "wang.fang@example.cn"
    response = finish_sign_up(client, sent)
    assert response.status_code == 302 and response.location == "/"
    [user] = users()
    assert (user.email, user.mobile, user.role, user.display_name) == ("wang.fang@example.cn", None, "family", "王 芳")
    assert user.password_hash.startswith("$argon2id$") and verify_password(user.password_hash, GOOD_PASSWORD)
    assert signed_in_user_id(client) == user.id


@pytest.mark.parametrize("typed", ["13912345678", "139 1234 5678", "+86 139-1234-5678", "8613912345678"])
def test_sign_up_with_a_mainland_mobile_stores_it_as_plus_86(client, sent, typed):
    assert sign_up(client, identifier=typed).status_code == 200
    assert sent[-1]["to"] == "+8613912345678"
    assert finish_sign_up(client, sent).status_code == 302
    [user] = users()
    assert (user.mobile, user.email) == ("+8613912345678", None)


def test_sign_up_goes_on_to_a_same_site_next_page(client, sent):
    sign_up(client, query_string={"next": "/compare?ids=1,2"})
    assert finish_sign_up(client, sent).location == "/compare?ids=1,2"


def test_sign_up_never_redirects_off_site(client, sent):
    sign_up(client, query_string={"next": "https://evil.example/"})
    assert finish_sign_up(client, sent).location == "/"


def test_opening_the_link_creates_nothing_until_the_button_is_pressed(client, sent):
    sign_up(client)
    link = sent[-1]["link"]
    page = client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200 and 'id="signup-confirm-form"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert users() == []


def test_a_link_works_once_and_expires_after_a_day(client, sent):
    from core import time

    sign_up(client)
    assert finish_sign_up(client, sent).status_code == 302
    again = finish_sign_up(client, sent)
    assert again.status_code == 400 and 'id="error-summary"' in again.get_data(as_text=True)
    assert len(users()) == 1
    sign_up(client, identifier="later@example.cn")
    with time.frozen(time.utcnow() + timedelta(hours=25)):
        late = finish_sign_up(client, sent)
    assert late.status_code == 400 and 'id="signup-link-invalid"' in late.get_data(as_text=True)
    assert len(users()) == 1


def test_a_forged_or_altered_link_is_refused(client, sent):
    sign_up(client)
    path = "/" + sent[-1]["link"].split("://", 1)[1].split("/", 1)[1]
    for bad in (path[:-3] + "AAA", "/account/signup/confirm/not-a-token"):
        assert client.get(bad).status_code == 400
    assert users() == []


BAD_SIGNUPS = [
    ("identifier", {"identifier": ""}),
    ("identifier", {"identifier": "not an address"}),
    ("identifier", {"identifier": "name@nodot"}),
    ("identifier", {"identifier": "12912345678"}),  # no mainland mobile starts 12
    ("identifier", {"identifier": "1391234567"}),  # 10 digits
    ("identifier", {"identifier": "+1 415 555 0100"}),
    ("identifier", {"identifier": "a" * 250 + "@example.cn"}),
    ("display_name", {"display_name": ""}),
    ("display_name", {"display_name": "   "}),
    ("display_name", {"display_name": "名" * 101}),
    ("display_name", {"display_name": "bad\x07name"}),
    ("password", {"password": ""}),
    ("password", {"password": "short"}),
    ("password", {"password": "password1"}),
    ("password", {"password": "12345678"}),
    ("password", {"password": "x" * 129}),
    ("password", {"identifier": "zhangwei2024@example.cn", "password": "zhangwei2024"}),  # own email
    ("password", {"identifier": "13987654321", "password": "13987654321"}),  # own mobile
]


@pytest.mark.parametrize(("field", "bad"), BAD_SIGNUPS)
def test_bad_sign_up_input_is_a_form_error_and_creates_nothing(client, field, bad):
    data = {"identifier": "li.na@example.cn", "display_name": "李娜", "password": GOOD_PASSWORD, "accept_privacy": "y",
            **bad}
    response = submit(client, "/account/signup", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and f"{field}-error" in described_by(html, field)
    assert 'aria-invalid="true"' in html
    assert 'id="error-summary"' in html
    assert users() == [] and signed_in_user_id(client) is None


@pytest.mark.parametrize(("existing", "typed"), [
    ({"email": "dup@example.cn"}, "DUP@example.cn"),
    ({"mobile": "+8613912345678"}, "139-1234-5678"),
])
def test_an_address_already_registered_gets_the_same_answer_and_its_owner_a_notice(client, sent, existing, typed):
    owner = make_user(**existing)
    response = sign_up(client, identifier=typed)
    fresh = sign_up(client, identifier="nobody-yet@example.cn")
    assert response.status_code == fresh.status_code == 200
    assert _answer(response).replace(typed, "ADDRESS") == _answer(fresh).replace("nobody-yet@example.cn", "ADDRESS")
    assert "已注册" not in response.get_data(as_text=True)
    notice, link = sent
    assert notice["kind"] == "signup_notice" and notice["user_id"] == owner.id
    assert link["kind"] == "signup_link" and link["to"] == "nobody-yet@example.cn"
    assert len(users()) == 1 and signed_in_user_id(client) is None


def _answer(response):
    import re

    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


def test_an_address_registered_between_sign_up_and_link_is_a_form_error(client, sent):
    sign_up(client, identifier="race@example.cn")
    make_user(email="race@example.cn")
    response = finish_sign_up(client, sent)
    assert response.status_code == 400 and 'id="error-summary"' in response.get_data(as_text=True)
    assert len(users()) == 1


def test_sign_up_without_a_csrf_token_is_refused(client):
    response = client.post("/account/signup", data={"identifier": "a@example.cn", "display_name": "A",
                                                    "password": GOOD_PASSWORD})
    assert response.status_code == 400
    assert users() == []


def test_sign_up_page_is_labelled_and_chinese_by_default(client):
    html = client.get("/account/signup").get_data(as_text=True)
    for field in ("identifier", "display_name", "password"):
        assert f'<label for="{field}">' in html
        assert f'aria-describedby="{field}-hint"' in html
    assert 'lang="zh-CN"' in html


def test_sign_up_page_is_in_english_on_request(client):
    html = client.get("/account/signup?lang=en").get_data(as_text=True)
    assert "Create an account" in html and 'lang="en"' in html
