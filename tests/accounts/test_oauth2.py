"""The OAuth2 authorization server for provider API clients: real clients, real tokens, the real endpoint."""

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts import oauth2
from accounts.oauth2_models import ApiClient, ApiToken, sha256_hex
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db
from tests.factories import make_provider, make_user, make_verified_provider

ALL_SCOPES = ("listings:write", "vacancies:write", "inquiries:read")


def make_api_client(provider=None, scopes=ALL_SCOPES, name="护理管理系统"):
    """Create an API client of a verified operator (made if not given); return (client, secret)."""
    provider = provider or make_verified_provider()
    user = make_user(role="provider", provider=provider)
    return oauth2.create_api_client(provider, name, list(scopes), user)


def basic_auth(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def issue_token(http, api_client, secret, scope=None):
    """Get an access token from POST /oauth/token (client_secret_basic); return the token string."""
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = http.post("/oauth/token", data=data, headers=basic_auth(api_client.client_id, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_client_secret_basic_issues_an_opaque_bearer_token_for_an_hour(client):
    api_client, secret = make_api_client()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic_auth(api_client.client_id, secret))
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(ALL_SCOPES)
    assert len(body["access_token"]) >= 40
    assert "no-store" in response.headers["Cache-Control"]


def test_client_secret_post_issues_a_token(client):
    api_client, secret = make_api_client()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                 "client_id": api_client.client_id, "client_secret": secret})
    assert response.status_code == 200
    assert response.get_json()["access_token"]


def test_token_endpoint_needs_no_csrf_token_but_only_accepts_post(client):
    api_client, secret = make_api_client()
    assert client.get("/oauth/token").status_code == 405
    # the testing config enables CSRF: a form post without a CSRF token still gets a token
    assert issue_token(client, api_client, secret)


def test_only_hashes_of_secrets_and_tokens_are_stored(client):
    api_client, secret = make_api_client()
    token = issue_token(client, api_client, secret)
    assert api_client.client_secret_hash == sha256_hex(secret) != secret
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.access_token_hash == sha256_hex(token)
    dumped = [str(v) for row in db.session.execute(sa.select(ApiToken.__table__)).all() for v in row]
    dumped += [str(v) for row in db.session.execute(sa.select(ApiClient.__table__)).all() for v in row]
    assert token not in dumped and secret not in dumped


@pytest.mark.parametrize("method", ["basic", "post"])
def test_wrong_secret_is_401(client, method):
    api_client, secret = make_api_client()
    response = _token_request(client, method, api_client.client_id, secret + "x")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("method", ["basic", "post"])
def test_unknown_client_is_401_and_looks_like_a_wrong_secret(client, method):
    api_client, secret = make_api_client()
    unknown = _token_request(client, method, "yrd_nobody", secret)
    wrong = _token_request(client, method, api_client.client_id, "not-the-secret")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


def _token_request(http, method, client_id, secret):
    if method == "basic":
        return http.post("/oauth/token", data={"grant_type": "client_credentials"},
                         headers=basic_auth(client_id, secret))
    return http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                           "client_secret": secret})


def test_a_token_carries_only_the_scopes_asked_for(client):
    api_client, secret = make_api_client()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "vacancies:write"},
                           headers=basic_auth(api_client.client_id, secret))
    assert response.get_json()["scope"] == "vacancies:write"


def test_asking_for_a_scope_the_client_lacks_is_refused(client):
    api_client, secret = make_api_client(scopes=["vacancies:write"])
    for scope in ("listings:write", "admin"):
        response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": scope},
                               headers=basic_auth(api_client.client_id, secret))
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_scope"


def test_other_grant_types_are_refused(client):
    api_client, secret = make_api_client()
    response = client.post("/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"},
                           headers=basic_auth(api_client.client_id, secret))
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_a_request_without_a_token_is_401_in_the_one_error_shape(client):
    response = client.get("/api/v1/provider/homes")
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "missing_authorization" and error["message"]
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_made_up_token_is_401(client):
    response = client.get("/api/v1/provider/homes", headers=bearer("made-up-token"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_a_valid_token_is_accepted(client):
    api_client, secret = make_api_client()
    response = client.get("/api/v1/provider/homes", headers=bearer(issue_token(client, api_client, secret)))
    assert response.status_code == 200


def test_an_expired_token_is_401(client):
    api_client, secret = make_api_client()
    token = issue_token(client, api_client, secret)
    stored = db.session.scalars(sa.select(ApiToken)).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/provider/homes", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_revoking_a_client_stops_its_tokens_at_once_and_it_gets_no_new_ones(client):
    api_client, secret = make_api_client()
    token = issue_token(client, api_client, secret)
    assert client.get("/api/v1/provider/homes", headers=bearer(token)).status_code == 200
    oauth2.revoke_api_client(api_client, make_user(role="provider", provider=api_client.provider))
    assert client.get("/api/v1/provider/homes", headers=bearer(token)).status_code == 401
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic_auth(api_client.client_id, secret))
    assert response.status_code == 401


def test_a_revoked_client_alone_is_enough_to_stop_its_tokens(client):
    # even if the tokens' own revoked_at were never written, the token checks its client on every use
    api_client, secret = make_api_client()
    token = issue_token(client, api_client, secret)
    api_client.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/provider/homes", headers=bearer(token)).status_code == 401


def test_a_token_of_another_type_is_401(client):
    api_client, secret = make_api_client()
    response = client.get("/api/v1/provider/homes", headers=basic_auth(api_client.client_id, secret))
    assert response.status_code == 401
    assert "error" in response.get_json()


def test_an_unverified_operator_cannot_create_clients(app):
    provider = make_provider()
    user = make_user(role="provider", provider=provider)
    with app.test_request_context(), pytest.raises(ServiceError) as raised:
        oauth2.create_api_client(provider, "系统", ["vacancies:write"], user)
    assert raised.value.status == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0


@pytest.mark.parametrize("name, scopes, field", [("", ["vacancies:write"], "name"),
                                                  ("x" * 101, ["vacancies:write"], "name"),
                                                  ("系统", [], "scopes"), ("系统", ["admin"], "scopes")])
def test_a_client_needs_a_name_and_known_scopes(app, name, scopes, field):
    provider = make_verified_provider()
    with app.test_request_context(), pytest.raises(ServiceError) as raised:
        oauth2.create_api_client(provider, name, scopes, make_user(role="provider", provider=provider))
    assert field in raised.value.fields


def test_client_ids_and_secrets_are_random(app):
    provider = make_verified_provider()
    user = make_user(role="provider", provider=provider)
    made = [oauth2.create_api_client(provider, "系统", ["vacancies:write"], user) for _ in range(3)]
    assert len({c.client_id for c, _ in made}) == len({s for _, s in made}) == 3
    assert all(len(s) >= 40 for _, s in made)
