"""Password reset: neutral answers, one-time hashed tokens for an hour, the policy, the lockout cleared."""

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from accounts.models import PasswordResetToken
from accounts.passwords import verify_password
from core.db import utcnow
from core.extensions import db
from tests.accounts.helpers import FACTORY_PASSWORD, GOOD_PASSWORD, described_by, log_in, submit
from tests.factories import make_user

NEUTRAL = "If an account uses that email address or mobile number"
NEW_PASSWORD = "lanterns over the grand canal"


def _ask(client, identifier):
    return submit(client, "/account/reset", {"identifier": identifier})


def _reset_path(sent, index=-1):
    return urlsplit(sent[index]["link"]).path


def _set(client, path, password=NEW_PASSWORD):
    return submit(client, path, {"password": password})


def test_a_known_and_an_unknown_account_get_the_same_answer(client, sent):
    client.set_cookie("lang", "en")
    make_user(email="known@example.cn")
    known = _ask(client, "known@example.cn")
    unknown = _ask(client, "nobody@example.cn")
    assert known.status_code == unknown.status_code == 200
    assert NEUTRAL in known.get_data(as_text=True) and NEUTRAL in unknown.get_data(as_text=True)
    assert len(sent) == 1 and sent[0]["to"] == "known@example.cn"


def test_only_the_sha256_of_the_token_is_stored_and_it_lasts_an_hour(client, sent):
    user = make_user(mobile="+8613912345678", email=None)
    _ask(client, "13912345678")
    token = _reset_path(sent).rsplit("/", 1)[1]
    [row] = db.session.scalars(db.select(PasswordResetToken)).all()
    assert row.user_id == user.id and token not in row.token_hash
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(hours=1)


def test_a_token_sets_a_new_password_once_and_clears_the_lockout(client, sent):
    user = make_user(email="reset@example.cn", failed_logins=5, locked_until=utcnow() + timedelta(minutes=15))
    _ask(client, "reset@example.cn")
    path = _reset_path(sent)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    response = _set(client, path)
    assert response.status_code == 302 and response.location == "/account/login"
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD) and not verify_password(user.password_hash,
                                                                                      FACTORY_PASSWORD)
    assert (user.failed_logins, user.locked_until) == (0, None)
    assert log_in(client, "reset@example.cn", NEW_PASSWORD).status_code == 302
    # the same link again
    assert client.get(path).status_code == 400
    assert submit(client, path, {"password": GOOD_PASSWORD}, page="/account/reset").status_code == 400
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_using_one_token_invalidates_the_users_older_tokens(client, sent):
    make_user(email="many@example.cn")
    _ask(client, "many@example.cn")
    _ask(client, "many@example.cn")
    older, newer = _reset_path(sent, 0), _reset_path(sent, 1)
    assert _set(client, newer).status_code == 302
    assert client.get(older).status_code == 400
    rows = db.session.scalars(db.select(PasswordResetToken)).all()
    assert len(rows) == 2 and all(row.used_at is not None for row in rows)  # using one spends the older too


def test_an_expired_token_is_refused(client, sent):
    user = make_user(email="late@example.cn")
    _ask(client, "late@example.cn")
    path = _reset_path(sent)
    row = db.session.scalars(db.select(PasswordResetToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)  # an hour later
    db.session.commit()
    assert client.get(path).status_code == 400
    assert submit(client, path, {"password": NEW_PASSWORD}, page="/account/reset").status_code == 400
    db.session.refresh(user)
    assert verify_password(user.password_hash, FACTORY_PASSWORD)


@pytest.mark.parametrize("token", ["made-up", "x" * 300, "a" * 43])
def test_an_unknown_token_is_refused(client, token):
    assert client.get(f"/account/reset/{token}").status_code == 400


@pytest.mark.parametrize("password", ["", "short", "password1", "x" * 129, "resetme@example.cn"])
def test_the_new_password_must_meet_the_policy(client, sent, password):
    user = make_user(email="resetme@example.cn")
    _ask(client, "resetme@example.cn")
    path = _reset_path(sent)
    response = _set(client, path, password)
    assert response.status_code == 400 and "password-error" in described_by(response.get_data(as_text=True),
                                                                             "password")
    db.session.refresh(user)
    assert verify_password(user.password_hash, FACTORY_PASSWORD)
    assert client.get(path).status_code == 200  # still usable


@pytest.mark.parametrize("identifier", ["", "neither", "123"])
def test_a_malformed_identifier_is_a_form_error(client, sent, identifier):
    response = _ask(client, identifier)
    assert response.status_code == 400 and "identifier-error" in described_by(response.get_data(as_text=True),
                                                                               "identifier")
    assert sent == []


def test_a_disabled_account_gets_no_link(client, sent):
    make_user(email="off@example.cn", active=False)
    assert _ask(client, "off@example.cn").status_code == 200
    assert sent == []


def test_reset_links_use_the_configured_public_address(app, client, sent):
    app.config["PASSWORD_RESET_BASE_URL"] = "https://care.example.cn/"
    make_user(email="host@example.cn")
    _ask(client, "host@example.cn")
    assert sent[0]["link"].startswith("https://care.example.cn/account/reset/")


def test_the_default_sender_writes_the_link_to_the_log(client, caplog):
    make_user(email="logged@example.cn")
    with caplog.at_level("WARNING", logger="accounts.senders"):
        _ask(client, "logged@example.cn")
    assert "http://localhost/account/reset/" in caplog.text


def test_reset_requests_are_rate_limited(client, sent):
    statuses = [_ask(client, f"p{n}@example.cn").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
