"""Login records (the last sign-in's time, the failed sign-ins since the last success and when, the lock they
caused) are kept LOGIN_RECORD_RETENTION_DAYS (180) and then cleared by the daily retention job."""

from datetime import timedelta

import pytest

from accounts import services as accounts
from accounts.services import LoginRefused
from core import time
from core.extensions import db
from privacy import services
from tests.factories import make_user

PASSWORD = "correct horse battery"  # what tests.factories.make_user gives


def test_a_failed_sign_in_records_its_time(app):
    user = make_user(email="fail@example.cn")
    with pytest.raises(LoginRefused):
        accounts.authenticate("fail@example.cn", "not the password")
    db.session.refresh(user)
    assert user.failed_logins == 1 and user.last_failed_login_at is not None


def test_login_records_are_cleared_after_their_retention_period_with_the_test_clock(app):
    signed_in, failed, fresh = (make_user(email=f"{n}@example.cn") for n in ("signed", "failed", "fresh"))
    accounts.authenticate("signed@example.cn", PASSWORD)
    with pytest.raises(LoginRefused):
        accounts.authenticate("failed@example.cn", "not the password")
    start = time.utcnow()
    with time.frozen(start + timedelta(days=100)):
        accounts.authenticate("fresh@example.cn", PASSWORD)
    with time.frozen(start + timedelta(days=179)):
        assert services.apply_retention()["login_records"] == 0
    with time.frozen(start + timedelta(days=181)):
        assert services.apply_retention()["login_records"] == 2
    db.session.expire_all()
    assert signed_in.last_login_at is None
    assert (failed.failed_logins, failed.last_failed_login_at, failed.locked_until) == (0, None, None)
    assert fresh.last_login_at is not None  # 81 days old: kept
    assert signed_in.email == "signed@example.cn" and signed_in.active  # the account itself stays


def test_the_retention_period_comes_from_configuration(app):
    app.config["LOGIN_RECORD_RETENTION_DAYS"] = 30
    user = make_user(email="short@example.cn")
    accounts.authenticate("short@example.cn", PASSWORD)
    with time.frozen(time.utcnow() + timedelta(days=31)):
        assert services.apply_retention()["login_records"] == 1
    db.session.refresh(user)
    assert user.last_login_at is None


def test_a_lock_in_force_is_kept_even_when_its_count_has_no_time(app):
    now = time.utcnow()
    locked = make_user(email="locked@example.cn", failed_logins=5, locked_until=now + timedelta(minutes=10))
    old = make_user(email="old@example.cn", failed_logins=2)  # counted before failure times were recorded
    assert services.apply_retention()["login_records"] == 1
    db.session.expire_all()
    assert locked.failed_logins == 5 and locked.locked_until is not None
    assert old.failed_logins == 0
