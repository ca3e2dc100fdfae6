"""API clients of operators (OAuth2 client credentials), their access tokens, and idempotency records.

Secrets and tokens are high-entropy random strings; only their SHA-256 is stored, so a leaked database
reveals neither. Revoking a client makes its tokens fail at once (a token checks its client on every use).
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db

SCOPES = ("listings:write", "vacancies:write", "inquiries:read")
IDEMPOTENCY_TTL = timedelta(hours=24)


def sha256_hex(value):
    """Return the SHA-256 of VALUE (a str) as 64 hex digits."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def scope_list(scope):
    """Split a space-separated scope string into a list."""
    return [s for s in (scope or "").split() if s]


class ApiClient(db.Model):
    """A management system acting for one operator through the provider API (client credentials only)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(sa.String(64))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    scope: Mapped[str] = mapped_column(sa.String(200))  # space-separated, a subset of SCOPES
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # the secret stops working then (API_CLIENT_SECRET_DAYS after creation); None: no expiry was set
    secret_expires_at: Mapped[object | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider", foreign_keys=[provider_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def scopes(self):
        """Return the scopes granted to this client, as a list."""
        return scope_list(self.scope)

    @property
    def is_revoked(self):
        """Say whether the client was revoked."""
        return self.revoked_at is not None

    # authlib's ClientMixin, for the client-credentials grant only

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_client_secret(self, client_secret):
        # constant time: compare digests, never the secret itself
        return secrets.compare_digest(self.client_secret_hash, sha256_hex(client_secret or ""))

    def get_allowed_scope(self, scope):
        # no scope asked for: every scope the client holds; asking for one it lacks fails (invalid_scope)
        if not scope:
            return self.scope
        asked = scope_list(scope)
        return " ".join(asked) if set(asked) <= set(self.scopes) else None


class ApiToken(db.Model):
    """An opaque bearer access token (only its SHA-256 is stored), valid until expires_at."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id", ondelete="CASCADE"), index=True)
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(200), default="")
    issued_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    client: Mapped[ApiClient] = relationship()

    # authlib's TokenMixin

    def check_client(self, client):
        return self.api_client_id == client.id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self):
        return self.expires_at <= utcnow()

    def is_revoked(self):
        return self.revoked_at is not None or self.client.revoked_at is not None


class IdempotencyRecord(db.Model):
    """The stored outcome of a provider API write sent with an Idempotency-Key (kept 24 hours).

    response_status is None while the first request with the key is still being applied.
    """

    __tablename__ = "api_idempotency_records"
    __table_args__ = (sa.UniqueConstraint("api_client_id", "key", name="uq_api_idempotency_records_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))  # method, path and canonical JSON body
    response_status: Mapped[int | None] = mapped_column(sa.SmallInteger)
    response_body: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_expired(self):
        """Say whether the record is older than 24 hours (the key may then be used afresh)."""
        return self.created_at + IDEMPOTENCY_TTL <= utcnow()
