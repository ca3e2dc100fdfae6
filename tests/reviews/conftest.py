"""Fixtures for review tests: a Suzhou home and a Hangzhou home, families, regulators in and out of Jiangsu."""

import functools
import re
from datetime import timedelta

import pytest

from core import time
from reviews import services
from reviews.models import SUB_SCORES
from tests.factories import make_home, make_user, make_verified_provider

GOOD_TEXT = "护理员很耐心，饭菜可口，房间每天打扫，家属探视也方便。"


def csrf_token(html):
    """Return the CSRF token of the first form in a rendered page."""
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert match, "no csrf_token in the page"
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def review_values(**changes):
    """Return valid keyword arguments for services.submit_review, with CHANGES."""
    today = time.today()
    values = {"relationship": "family", "period_start": today - timedelta(days=200),
              "period_end": today - timedelta(days=10), "overall": 4,
              "sub_scores": dict.fromkeys(SUB_SCORES, 4), "text": GOOD_TEXT}
    values.update(changes)
    return values


def form_data(**changes):
    """Return the review form's fields (strings), valid unless CHANGES say otherwise."""
    values = review_values()
    data = {"relationship": values["relationship"], "period_start": values["period_start"].isoformat(),
            "period_end": values["period_end"].isoformat(), "overall": "4", "text": values["text"],
            **dict.fromkeys(SUB_SCORES, "4")}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class World:
    """Home A in Suzhou (Jiangsu) and home B in Hangzhou (Zhejiang); users made when first asked for."""

    def __init__(self):
        self.operator = make_verified_provider("评价运营方")
        self.home = make_home("320508", name="姑苏评价养老院", provider_id=self.operator.id)
        self.other_home = make_home("330106", name="西湖评价养老院")

    @functools.cached_property
    def family(self):
        return make_user("family", display_name="李家属")

    @functools.cached_property
    def other_family(self):
        return make_user("family")

    @functools.cached_property
    def regulator(self):
        return make_user("regulator", jurisdiction="320000", display_name="江苏监管甲")

    @functools.cached_property
    def second_regulator(self):
        return make_user("regulator", jurisdiction="320500", display_name="苏州监管乙")

    @functools.cached_property
    def outside_regulator(self):
        return make_user("regulator", jurisdiction="330000")

    @functools.cached_property
    def staff(self):
        return make_user("provider", provider=self.operator)

    def submit(self, user=None, home=None, **changes):
        """Submit a valid review (as the family, of home A unless told) through the service."""
        return services.submit_review(user or self.family, home or self.home, **review_values(**changes))

    def published(self, overall=4, **changes):
        """Submit a review and publish it as the regulator."""
        review = self.submit(overall=overall, **changes)
        return services.moderate_review(self.regulator, review, "publish", "meets_guidelines")


@pytest.fixture
def world(app):
    return World()
