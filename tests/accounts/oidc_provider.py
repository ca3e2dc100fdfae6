"""A real OpenID Connect provider for the tests, built with authlib's server side and served on loopback.

Authorization code flow with OpenID Connect (authlib's AuthorizationCodeGrant + OpenIDCode), an RSA signing
key made for the run, discovery document and JWKS. Consent is approved automatically for `current_user`.
"""

import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey  # authlib.jose is deprecated in Authlib 1.9; authlib itself signs with joserfc
from werkzeug.serving import make_server


class Client:
    """One registered relying party (our app)."""

    def __init__(self, client_id, client_secret, redirect_uri):
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code:
    """An issued authorization code."""

    def __init__(self, code, client_id, redirect_uri, scope, user, nonce):
        self.code, self.client_id, self.redirect_uri, self.scope = code, client_id, redirect_uri, scope
        self.user, self.nonce, self.auth_time = user, nonce, int(time.time())

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class TestProvider:
    """The provider: start() serves it on 127.0.0.1 (a free port); `user` is who approves the next login."""

    __test__ = False

    def __init__(self, redirect_uri, client_id="yrd-care-compare", client_secret=None):
        self.client = Client(client_id, client_secret or secrets.token_urlsafe(24), redirect_uri)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.codes, self.tokens = {}, []
        self.user = {"sub": "alice-1", "email": "alice@example.cn", "email_verified": True, "name": "Alice"}
        self.app = self._build()
        self.issuer = None

    def start(self):
        """Serve on loopback from a thread; return the issuer URL."""
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.issuer

    def stop(self):
        """Stop serving."""
        self.server.shutdown()
        self.thread.join(timeout=5)

    def _build(self):
        app = Flask("test_oidc_provider")
        server = AuthorizationServer(app, query_client=self._query_client,
                                     save_token=lambda token, request: self.tokens.append(token))
        server.register_grant(self._code_grant(), [self._openid_code()(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(self._discovery())

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            user = dict(self.user)
            try:
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant=grant, grant_user=user)  # consent: approved

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app

    def _discovery(self):
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]}

    def _query_client(self, client_id):
        return self.client if client_id == self.client.client_id else None

    def _code_grant(self):
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                provider.codes[code] = Code(code, request.client.client_id, request.payload.redirect_uri,
                                            request.payload.scope, request.user, request.payload.data.get("nonce"))

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        return CodeGrant

    def _openid_code(self):
        provider = self

        class ProviderOpenIDCode(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user["sub"])
                if "email" in scope.split():
                    info.update(email=user.get("email"), email_verified=user.get("email_verified"))
                if "profile" in scope.split():
                    info["name"] = user.get("name")
                return info

        return ProviderOpenIDCode
