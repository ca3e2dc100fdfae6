"""`flask accounts create-user`: how admins, regulators and provider staff are made."""

import pytest

from accounts.passwords import verify_password
from tests.accounts.helpers import GOOD_PASSWORD, users
from tests.factories import make_provider


def _create(runner, *args):
    return runner.invoke(args=["accounts", "create-user", "--password", GOOD_PASSWORD, *args])


@pytest.mark.parametrize("jurisdiction", ["320000", "320500"])
def test_creates_a_regulator_for_a_province_or_a_city(runner, jurisdiction):
    result = _create(runner, "--email", "Reg@SZ.gov.cn", "--role", "regulator", "--jurisdiction", jurisdiction)
    assert result.exit_code == 0, result.output
    [user] = users()
    assert (user.email, user.role, user.jurisdiction_code) == ("reg@sz.gov.cn", "regulator", jurisdiction)
    assert verify_password(user.password_hash, GOOD_PASSWORD)


def test_creates_an_admin_with_a_mobile_number(runner):
    result = _create(runner, "--mobile", "13912345678", "--role", "admin", "--display-name", "管理员")
    assert result.exit_code == 0, result.output
    [user] = users()
    assert (user.mobile, user.role, user.display_name) == ("+8613912345678", "admin", "管理员")
    assert "12345678" not in result.output and "****5678" in result.output  # a terminal's scrollback is a log


def test_creates_provider_staff_of_an_operator(app, runner):
    provider = make_provider()
    result = _create(runner, "--email", "staff@home.cn", "--role", "provider", "--provider-id", str(provider.id))
    assert result.exit_code == 0, result.output
    assert users()[0].provider_id == provider.id


def test_asks_for_the_password_when_not_given(runner):
    result = runner.invoke(args=["accounts", "create-user", "--email", "ask@example.cn", "--role", "admin"],
                           input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output


@pytest.mark.parametrize("args", [
    ["--email", "a@example.cn", "--role", "superuser"],
    ["--email", "a@example.cn", "--role", "regulator"],  # no jurisdiction
    ["--email", "a@example.cn", "--role", "regulator", "--jurisdiction", "320508"],  # a district
    ["--email", "a@example.cn", "--role", "regulator", "--jurisdiction", "110000"],  # Beijing: not ours
    ["--email", "a@example.cn", "--role", "regulator", "--jurisdiction", "nonsense"],
    ["--email", "a@example.cn", "--role", "family", "--jurisdiction", "320000"],
    ["--email", "a@example.cn", "--role", "provider"],  # no operator
    ["--email", "a@example.cn", "--role", "provider", "--provider-id", "999"],
    ["--email", "a@example.cn", "--role", "admin", "--provider-id", "1"],
    ["--email", "not-an-email", "--role", "admin"],
    ["--mobile", "12345", "--role", "admin"],
    ["--role", "admin"],  # neither email nor mobile
])
def test_refuses_invalid_roles_jurisdictions_and_identifiers(runner, args):
    result = _create(runner, *args)
    assert result.exit_code != 0
    assert users() == []


def test_refuses_a_weak_password(runner):
    result = runner.invoke(args=["accounts", "create-user", "--email", "a@example.cn", "--role", "admin",
                                 "--password", "password1"])
    assert result.exit_code != 0 and "--password" in result.output
    assert users() == []


def test_refuses_an_email_already_used(runner):
    assert _create(runner, "--email", "dup@example.cn", "--role", "admin").exit_code == 0
    result = _create(runner, "--email", "DUP@example.cn", "--role", "admin")
    assert result.exit_code != 0 and "--email" in result.output
    assert len(users()) == 1
