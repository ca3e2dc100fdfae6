"""Helpers for the quality tests: a home with enough records for a rating, and the users who act on it."""

from datetime import timedelta

import pytest

from core import time
from quality import services
from tests.factories import make_home, make_user, make_verified_provider


def rate_home(home, regulator, grade=4, findings=()):
    """Give HOME a clean-ish recent inspection and a grade certificate in force: enough for a rating."""
    today = time.today()
    services.record_inspection(home, regulator, today - timedelta(days=30), "routine", findings=findings)
    services.record_grade(home, regulator, grade, "苏州市民政局", today - timedelta(days=100),
                          today + timedelta(days=900), certificate_no="SZ-1")


@pytest.fixture
def people(app):
    """A verified operator running a Suzhou home, its staff, regulators in and out of Jiangsu, a family user."""
    operator = make_verified_provider("质量测试运营方")
    home = make_home("320508", provider_id=operator.id, licence_no="SZ-Q-1", name="姑苏质量测试养老院")
    return {"home": home, "operator": operator,
            "provider": make_user("provider", provider=operator),
            "reg_in": make_user("regulator", jurisdiction="320000"),
            "reg_out": make_user("regulator", jurisdiction="330000"),
            "family": make_user("family")}
