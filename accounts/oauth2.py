"""The OAuth2 authorization server for provider API clients (client credentials), and the writes on clients.

POST /oauth/token (form-encoded; client_secret_basic or client_secret_post) issues an opaque bearer token
valid for an hour. Its errors follow RFC 6749 section 5.2 ({"error": "invalid_client", ...}), because every
OAuth2 client library expects that shape there; the provider API itself answers in the one error shape.
"""

import functools
import secrets
from datetime import timedelta

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, abort, current_app, jsonify
from flask_babel import gettext as _

from accounts.oauth2_models import SCOPES, ApiClient, ApiToken, sha256_hex
from core.db import utcnow
from core.errors import ServiceError, error_payload
from core.extensions import csrf, db

TOKEN_EXPIRES_IN = 3600
CLIENT_NAME_MAX = 100

bp = Blueprint("oauth2", __name__)


def _query_client(client_id):
    """Return the live (not revoked, secret not expired) client with CLIENT_ID, or None (authlib then answers
    invalid_client)."""
    return db.session.scalar(sa.select(ApiClient).where(
        ApiClient.client_id == client_id, ApiClient.revoked_at.is_(None),
        sa.or_(ApiClient.secret_expires_at.is_(None), ApiClient.secret_expires_at > utcnow())))


def _save_token(token, request):
    """Store the SHA-256 of a freshly issued access token, never the token itself."""
    db.session.add(ApiToken(client=request.client, access_token_hash=sha256_hex(token["access_token"]),
                            scope=token.get("scope") or "",
                            expires_at=utcnow() + timedelta(seconds=token["expires_in"])))
    db.session.commit()


class _ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return db.session.scalar(sa.select(ApiToken).where(ApiToken.access_token_hash == sha256_hex(token_string)))


class _Protector(ResourceProtector):
    def raise_error_response(self, error):
        """Answer in the one error shape, keeping the WWW-Authenticate header RFC 6750 asks for."""
        status = error.status_code
        if status == 403:
            message = _("This token lacks the scope this endpoint needs.")
        else:
            message = _("Send a valid bearer access token from POST /oauth/token.")
        response = jsonify(error_payload(error.error or "unauthorized", message))
        response.status_code = status
        response.headers.extend(error.get_headers())
        abort(response)


_UNKNOWN_CLIENT_DIGEST = sha256_hex(secrets.token_urlsafe(32))


def _authenticate_with(credentials_of):
    """Build a client authentication method that treats an unknown client exactly like a wrong secret.

    authlib's own methods answer an unknown client_id with its own message (and, for client_secret_post,
    400): that would tell an attacker which client ids exist. Here both fail alike, and authlib then answers
    401 invalid_client.
    """
    def authenticate(query_client, request):
        client_id, client_secret = credentials_of(request)
        if not (client_id and client_secret):
            return None
        client = query_client(client_id)
        if client is None:
            secrets.compare_digest(_UNKNOWN_CLIENT_DIGEST, sha256_hex(client_secret))  # same work as a real check
            return None
        return client if client.check_client_secret(client_secret) else None
    return authenticate


authorization = AuthorizationServer()
authorization.register_grant(_ClientCredentialsGrant)
authorization.register_client_auth_method(
    "client_secret_basic", _authenticate_with(lambda request: extract_basic_authorization(request.headers)))
authorization.register_client_auth_method(
    "client_secret_post", _authenticate_with(lambda request: (request.form.get("client_id"),
                                                              request.form.get("client_secret"))))
require_oauth = _Protector()
require_oauth.register_token_validator(_TokenValidator(realm="provider-api"))


@bp.route("/oauth/token", methods=["POST"])
def issue_token():
    """Issue an access token to an API client (client credentials grant)."""
    return authorization.create_token_response()


def require_token(scope=None):
    """Decorate an API handler: 401 without a valid token, 403 when the token lacks SCOPE."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            try:
                require_oauth.acquire_token([scope] if scope else None)
            except OAuth2Error as error:
                require_oauth.raise_error_response(error)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def current_api_client():
    """Return the ApiClient whose token authenticated this request."""
    return current_token.client


def _new_client_id():
    return "yrd_" + secrets.token_urlsafe(18)


def create_api_client(provider, name, scopes, user):
    """Create an API client for PROVIDER; return (client, secret). The secret is shown once, then only hashed."""
    errors = {}
    name = (name or "").strip()
    if not 1 <= len(name) <= CLIENT_NAME_MAX:
        errors["name"] = [_("1 to %(max)s characters.", max=CLIENT_NAME_MAX)]
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes or not set(scopes) <= set(SCOPES):
        errors["scopes"] = [_("Choose one or more of: %(scopes)s", scopes=", ".join(SCOPES))]
    if provider is None or provider.verified_at is None:
        raise ServiceError(_("Only a verified operator may create API clients."), status=403,
                           code="operator_not_verified")
    if errors:
        raise ServiceError(_("The API client is invalid."), errors, code="invalid_api_client")
    secret = secrets.token_urlsafe(32)
    client = ApiClient(client_id=_new_client_id(), client_secret_hash=sha256_hex(secret), provider_id=provider.id,
                       name=name, scope=" ".join(s for s in SCOPES if s in scopes), created_by_id=user.id,
                       secret_expires_at=utcnow() + timedelta(days=current_app.config["API_CLIENT_SECRET_DAYS"]))
    db.session.add(client)
    db.session.commit()
    return client, secret


def revoke_api_client(client, user):
    """Revoke CLIENT and every token it holds, at once; commit."""
    now = utcnow()
    if client.revoked_at is None:
        client.revoked_at, client.revoked_by_id = now, user.id
    db.session.execute(sa.update(ApiToken).where(ApiToken.api_client_id == client.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.commit()
    return client


def clients_of(provider_id):
    """Return the API clients of an operator, newest first (revoked ones too)."""
    return db.session.scalars(sa.select(ApiClient).where(ApiClient.provider_id == provider_id)
                              .order_by(ApiClient.created_at.desc(), ApiClient.id.desc())).all()


def init_app(app):
    """Bind the authorization server to APP and serve POST /oauth/token (CSRF-exempt: form posts by machines)."""
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": TOKEN_EXPIRES_IN})
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(SCOPES))
    authorization.init_app(app, query_client=_query_client, save_token=_save_token)
    csrf.exempt(bp)
    app.register_blueprint(bp)

