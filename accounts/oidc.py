"""Optional single sign-on with an external OpenID Connect provider (authlib's Flask client)."""

from flask import current_app

# authlib's Flask client, joserfc and requests (~13 MiB per process) are imported on the first sign-in by SSO:
# a web worker that never sees one never loads them (tests/core/test_worker_imports.py)


def sso_errors():
    """What can go wrong on the way back from the provider: a bad state, a bad or forged ID token, an error answer
    from the provider, the provider unreachable."""
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    return (OAuthError, JoseError, RequestException, KeyError, ValueError)


def sso_enabled():
    """Say whether single sign-on is configured."""
    config = current_app.config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def sso_client():
    """Return this app's OpenID Connect client, registered on first use from OIDC_* settings."""
    issuer = current_app.config["OIDC_ISSUER"].rstrip("/")
    clients = current_app.extensions.setdefault("accounts.oidc", {})
    if issuer not in clients:
        from authlib.integrations.flask_client import OAuth

        oauth = OAuth(current_app)
        clients[issuer] = oauth.register(
            "sso", client_id=current_app.config["OIDC_CLIENT_ID"],
            client_secret=current_app.config.get("OIDC_CLIENT_SECRET"),
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "timeout": 10})
    return clients[issuer]


def start_sign_in(redirect_uri):
    """Return the redirect to the provider (state and nonce kept in the session)."""
    return sso_client().authorize_redirect(redirect_uri)


def finish_sign_in():
    """Exchange the code, verify the ID token (signature, issuer, audience, nonce) and return (issuer, claims)."""
    token = sso_client().authorize_access_token()
    claims = token.get("userinfo")
    if not claims:
        from authlib.integrations.base_client import OAuthError

        raise OAuthError(description="no ID token")
    return claims["iss"], dict(claims)
