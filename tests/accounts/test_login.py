"""Login and logout: email or mobile, lockout, rate limits, safe `next`, a fresh session, 401s."""

from datetime import timedelta

import pytest

from accounts.passwords import verify_password
from core.db import utcnow
from core.extensions import db
from tests.accounts.helpers import FACTORY_PASSWORD, described_by, log_in, log_out, signed_in_user_id, submit
from tests.factories import login_as, make_user

LOCK_WORDS = "sign-in is paused for 15 minutes"
WRONG_WORDS = "do not match"


def _en(client):
    client.set_cookie("lang", "en")


def test_log_in_with_email_in_any_case_and_log_out(client):
    user = make_user(email="zhao.lei@example.cn")
    response = log_in(client, "Zhao.Lei@EXAMPLE.cn")
    assert response.status_code == 302 and response.location == "/"
    assert signed_in_user_id(client) == user.id
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert "nav-user" in client.get("/").get_data(as_text=True)
    response = log_out(client)
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert 'id="nav-login"' in client.get("/").get_data(as_text=True)


def test_log_in_with_a_mobile_number_typed_any_way(client):
    user = make_user(email=None, mobile="+8613812345678")
    assert log_in(client, "138 1234 5678").status_code == 302
    assert signed_in_user_id(client) == user.id


def test_logout_needs_a_post_with_a_csrf_token(client):
    user = make_user()
    login_as(client, user)
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert signed_in_user_id(client) == user.id


def test_login_regenerates_the_session(client):
    user = make_user(email="fixation@example.cn")
    with client.session_transaction() as session:
        session["planted_by_attacker"] = "x"
    before = client.get_cookie("session").value
    assert log_in(client, "fixation@example.cn").status_code == 302
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["_user_id"] == str(user.id)
    assert client.get_cookie("session").value != before


def test_session_cookie_is_http_only_and_same_site(client):
    make_user(email="cookie@example.cn")
    response = log_in(client, "cookie@example.cn")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_session_cookies_are_secure():
    from config import get_config

    assert get_config("production").SESSION_COOKIE_SECURE is True


def test_an_old_hash_is_upgraded_on_login(client):
    from argon2 import PasswordHasher

    user = make_user(email="old@example.cn")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(FACTORY_PASSWORD)
    db.session.commit()
    old = user.password_hash
    assert log_in(client, "old@example.cn").status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old and verify_password(user.password_hash, FACTORY_PASSWORD)


BAD_LOGINS = [
    ("identifier", {"identifier": ""}),
    ("identifier", {"identifier": "nobody"}),
    ("identifier", {"identifier": "1234"}),
    ("password", {"password": ""}),
    ("password", {"password": "x" * 129}),
]


@pytest.mark.parametrize(("field", "bad"), BAD_LOGINS)
def test_bad_login_input_is_a_form_error(client, field, bad):
    make_user(email="li@example.cn")
    response = submit(client, "/account/login", {"identifier": "li@example.cn", "password": FACTORY_PASSWORD, **bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{field}-error" in described_by(html, field)
    assert signed_in_user_id(client) is None


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client):
    _en(client)
    make_user(email="known@example.cn")
    wrong = log_in(client, "known@example.cn", "not the right password at all")
    unknown = log_in(client, "unknown@example.cn", "not the right password at all")
    assert wrong.status_code == unknown.status_code == 400
    assert WRONG_WORDS in wrong.get_data(as_text=True) and WRONG_WORDS in unknown.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(client):
    _en(client)
    user = make_user(email="locked@example.cn")
    for attempt in range(1, 6):
        response = log_in(client, "locked@example.cn", "wrong wrong wrong")
        assert response.status_code == 400
        expected = LOCK_WORDS if attempt == 5 else WRONG_WORDS
        assert expected in response.get_data(as_text=True), attempt
    db.session.refresh(user)
    assert user.failed_logins == 5
    remaining = user.locked_until - utcnow()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    # the right password does not help while locked
    response = log_in(client, "locked@example.cn")
    assert response.status_code == 400 and LOCK_WORDS in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_the_lock_runs_out_after_fifteen_minutes_and_success_resets_the_count(client):
    user = make_user(email="unlock@example.cn", failed_logins=5, locked_until=utcnow() + timedelta(minutes=15))
    assert log_in(client, "unlock@example.cn").status_code == 400
    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    db.session.commit()
    assert log_in(client, "unlock@example.cn").status_code == 302
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_after_the_lock_runs_out_a_wrong_password_starts_a_fresh_count(client):
    user = make_user(email="fresh@example.cn", failed_logins=5, locked_until=utcnow() - timedelta(seconds=1))
    assert log_in(client, "fresh@example.cn", "wrong wrong wrong").status_code == 400
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (1, None)


def test_success_resets_the_failure_count(client):
    user = make_user(email="count@example.cn")
    for _ in range(3):
        log_in(client, "count@example.cn", "wrong wrong wrong")
    assert log_in(client, "count@example.cn").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_an_unknown_identifier_tried_five_times_looks_locked_too(client):
    _en(client)
    answers = [log_in(client, "ghost@example.cn", "wrong wrong wrong").get_data(as_text=True) for _ in range(5)]
    assert all(WRONG_WORDS in a for a in answers[:4]) and LOCK_WORDS in answers[4]


def test_a_disabled_account_cannot_log_in(client):
    make_user(email="gone@example.cn", active=False)
    assert log_in(client, "gone@example.cn").status_code == 400
    assert signed_in_user_id(client) is None


def test_the_eleventh_login_attempt_in_a_minute_from_one_address_gets_429(client):
    for n in range(10):
        assert log_in(client, f"someone{n}@example.cn", "wrong wrong wrong").status_code == 400
    assert log_in(client, "someone10@example.cn", "wrong wrong wrong").status_code == 429


def test_the_eleventh_login_attempt_in_a_minute_for_one_account_gets_429_from_any_address(client):
    make_user(email="target@example.cn")
    for n in range(10):
        response = log_in(client, "target@example.cn", "wrong wrong wrong", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 400
    response = log_in(client, "TARGET@example.cn", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 429


def test_the_login_page_itself_is_not_rate_limited(client):
    for _ in range(15):
        assert client.get("/account/login").status_code == 200


@pytest.mark.parametrize("target", ["/compare?ids=1,2", "/homes/3", "/account"])
def test_next_goes_to_a_same_site_path(client, target):
    make_user(email="next@example.cn")
    assert log_in(client, "next@example.cn", next=target).location == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "evil.example", "/\t/evil.example", " //evil.example", "/\n/evil.example", "",
])
def test_next_never_leaves_the_site(client, target):
    make_user(email="next@example.cn")
    response = log_in(client, "next@example.cn", next=target)
    assert response.status_code == 302 and response.location == "/"


def test_a_page_that_needs_login_sends_you_to_login_and_back(client):
    response = client.get("/account")
    assert response.status_code == 302 and response.location == "/account/login?next=/account"
    make_user(email="back@example.cn")
    response = log_in(client, "back@example.cn", query_string={"next": "/account"}, page="/account/login?next=/account")
    assert response.location == "/account"


def test_the_login_form_carries_next_from_the_address(client):
    html = client.get("/account/login?next=/compare").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/compare"' in html


def test_an_api_path_that_needs_login_answers_401_in_the_error_shape(app, client):
    from flask_login import login_required

    @login_required
    def _private():
        return {"ok": True}

    app.add_url_rule("/api/v1/_test_private", "test_private", _private)
    response = client.get("/api/v1/_test_private")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert set(response.get_json()["error"]) == {"code", "message", "fields", "request_id"}
    assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]
