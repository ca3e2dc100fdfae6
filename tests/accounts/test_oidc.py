"""Single sign-on against a real OpenID Connect provider on loopback (authlib on both sides, no mocks)."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from tests.accounts.helpers import signed_in_user_id, users
from tests.accounts.oidc_provider import TestProvider
from tests.factories import make_user

CALLBACK = "http://localhost/account/sso/callback"


@pytest.fixture
def provider(app, monkeypatch):
    """A provider that knows our app as a client; our app configured to use it."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http, on loopback only
    provider = TestProvider(CALLBACK)
    issuer = provider.start()
    app.config.update(OIDC_ISSUER=issuer, OIDC_CLIENT_ID=provider.client.client_id,
                      OIDC_CLIENT_SECRET=provider.client.client_secret)
    yield provider
    provider.stop()


def _to_provider(client, next=None):
    """Start at our app; return the provider's authorization URL it sends the browser to."""
    response = client.get("/account/sso", query_string={"next": next} if next else None)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def _approve(authorize_url):
    """The browser at the provider (consent approved); return the callback URL it is sent back to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _back_to_app(client, callback_url):
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(parts.path, query_string=parts.query)


def _with_param(url, name, value):
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query[name] = [value]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def test_a_new_identity_becomes_a_signed_in_family_user(client, provider):
    authorize_url = _to_provider(client, next="/compare")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["scope"] == ["openid email profile"] and query["nonce"] and query["state"]
    response = _back_to_app(client, _approve(authorize_url))
    assert response.status_code == 302 and response.location == "/compare"
    [user] = users()
    assert (user.oidc_issuer, user.oidc_subject, user.email, user.role, user.display_name, user.password_hash) == (
        provider.issuer, "alice-1", "alice@example.cn", "family", "Alice", None)
    assert signed_in_user_id(client) == user.id


def test_a_known_identity_signs_in_the_same_user(client, provider):
    user = make_user(email="someone.else@example.cn", oidc_issuer=provider.issuer, oidc_subject="alice-1")
    assert _back_to_app(client, _approve(_to_provider(client))).status_code == 302
    assert signed_in_user_id(client) == user.id and len(users()) == 1


def test_a_verified_email_links_the_existing_account(client, provider):
    user = make_user(email="alice@example.cn")
    assert _back_to_app(client, _approve(_to_provider(client))).status_code == 302
    assert signed_in_user_id(client) == user.id and len(users()) == 1
    [linked] = users()
    assert (linked.oidc_issuer, linked.oidc_subject) == (provider.issuer, "alice-1")


def test_an_unverified_email_does_not_take_over_an_account(client, provider):
    existing = make_user(email="alice@example.cn")
    provider.user = {**provider.user, "email_verified": False}
    assert _back_to_app(client, _approve(_to_provider(client))).status_code == 302
    new = [u for u in users() if u.id != existing.id]
    assert len(new) == 1 and new[0].email is None and new[0].oidc_subject == "alice-1"
    assert signed_in_user_id(client) == new[0].id
    assert users()[0].oidc_subject is None


def test_a_tampered_state_is_refused(client, provider, caplog):
    callback = _approve(_to_provider(client))
    response = _back_to_app(client, _with_param(callback, "state", "forged-state"))
    assert response.status_code == 400 and "MismatchingStateError" in caplog.text
    assert users() == [] and signed_in_user_id(client) is None


def test_a_callback_without_having_started_is_refused(client, provider):
    callback = _approve(_to_provider(client))
    fresh = client.application.test_client()
    assert _back_to_app(fresh, callback).status_code == 400
    assert users() == []


def test_a_wrong_nonce_is_refused(client, provider, caplog):
    # the provider is asked with a nonce other than the one our app remembers: its ID token then carries
    # a nonce our app never sent
    authorize_url = _with_param(_to_provider(client), "nonce", "attacker-chosen-nonce")
    response = _back_to_app(client, _approve(authorize_url))
    assert response.status_code == 400 and "InvalidClaimError" in caplog.text and "nonce" in caplog.text
    assert users() == [] and signed_in_user_id(client) is None


def test_a_code_cannot_be_used_twice(client, provider):
    callback = _approve(_to_provider(client))
    assert _back_to_app(client, callback).status_code == 302
    assert _back_to_app(client, callback).status_code == 400


def test_the_sso_button_shows_only_when_configured(app, client):
    assert 'id="sso-login"' not in client.get("/account/login").get_data(as_text=True)
    assert client.get("/account/sso").status_code == 404
    app.config.update(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y")
    assert 'id="sso-login"' in client.get("/account/login").get_data(as_text=True)


def test_an_unreachable_provider_is_a_polite_503(app, client):
    app.config.update(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y")
    assert client.get("/account/sso").status_code == 503
