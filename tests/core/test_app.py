"""The app factory's production guards."""

import pytest

from app import create_app


def test_production_refuses_development_secrets():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="dev-only-not-secret", PASSWORD_RESET_SENDER="x.Sender",
                   PASSWORD_RESET_BASE_URL="https://care.example.cn")
    with pytest.raises(RuntimeError, match="PASSWORD_RESET_SENDER"):
        create_app("production", SECRET_KEY="s3cret-value", PASSWORD_RESET_BASE_URL="https://care.example.cn")


SHARED_LIMITS = "redis://127.0.0.1:6379/3"  # never contacted by these tests: the storage is only named
PRODUCTION = {"SECRET_KEY": "s3cret-value", "PASSWORD_RESET_SENDER": "x.Sender",
              "PASSWORD_RESET_BASE_URL": "https://care.example.cn"}


@pytest.mark.parametrize("storage", ["memory://", "", None])
def test_production_refuses_a_rate_limit_storage_per_worker(storage):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app("production", **PRODUCTION, RATELIMIT_STORAGE_URI=storage)


def test_production_starts_with_a_shared_rate_limit_storage(tmp_path):
    app = create_app("production", **PRODUCTION, RATELIMIT_STORAGE_URI=SHARED_LIMITS,
                     SQLALCHEMY_DATABASE_URI="sqlite://", SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    assert app.config["RATELIMIT_STORAGE_URI"] == SHARED_LIMITS


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(tmp_path):
    app = create_app("production", SECRET_KEY="s3cret-value", PASSWORD_RESET_SENDER="accounts.senders.LogSender2",
                     PASSWORD_RESET_BASE_URL="https://care.example.cn", SQLALCHEMY_DATABASE_URI="sqlite://",
                     RATELIMIT_STORAGE_URI=SHARED_LIMITS,
                     SEARCH_INDEX_PATH=str(tmp_path / "i.sqlite3"))
    seen = {}

    @app.get("/_whoami")
    def whoami():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen["addr"] == "203.0.113.9"
