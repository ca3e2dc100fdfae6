"""Fixtures for inquiry tests: a home run by an operator, its staff, two families, and form helpers."""

import functools
import re
from datetime import timedelta

import pytest

from core import time
from tests.factories import login_as, make_home, make_user, make_verified_provider


def csrf_token(html):
    """Return the CSRF token of the first form in a rendered page."""
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert match, "no csrf_token in the page"
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def reference_in(html):
    """Return the inquiry reference number shown on a page."""
    match = re.search(r"YRD-\d{4}-[2-9A-HJKMNP-TV-Z]{6}", html)
    return match.group(0) if match else None


class World:
    """A home of operator A with its staff; another operator's home and staff; two families.

    Users are made when first asked for: each one costs an argon2 hash (about half a second).
    """

    def __init__(self):
        self.operator = make_verified_provider("运营方甲")
        self.other_operator = make_verified_provider("运营方乙")
        self.home = make_home("320508", name="姑苏康复养老院", provider_id=self.operator.id)
        self.other_home = make_home("310104", name="徐汇颐养院", provider_id=self.other_operator.id)

    @functools.cached_property
    def staff(self):
        return make_user("provider", provider=self.operator)

    @functools.cached_property
    def other_staff(self):
        return make_user("provider", provider=self.other_operator)

    @functools.cached_property
    def family(self):
        return make_user("family", display_name="王小明", mobile="+8613800138000")

    @functools.cached_property
    def other_family(self):
        return make_user("family")


@pytest.fixture
def world(app):
    return World()


def visit_date(days=7):
    """Return a visit date DAYS ahead, as the form sends it."""
    return (time.today() + timedelta(days=days)).isoformat()


def form_data(**changes):
    """Return a valid question's form fields with CHANGES applied (None removes a field)."""
    data = {"kind": "inquiry", "body": "请问有认知症照护床位吗？", "contact_name": "王小明",
            "contact_phone": "13800138000", "contact_email": "", "care_level": "dementia",
            "contact_consent": "y", "care_consent": "y", "website": ""}  # care_consent: the separate consent
    # to storing the care level (health information); tests/privacy check what happens without it
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def visit_data(**changes):
    """Return a valid visit booking's form fields with CHANGES applied."""
    base = {"kind": "visit", "visit_date": visit_date(), "time_slot": "morning", "body": ""}
    base.update(changes)
    return form_data(**base)


def send(client, home_id, data, kind="inquiry"):
    """Open the form (for its CSRF token) and post DATA; return the response."""
    page = client.get(f"/homes/{home_id}/inquire?kind={kind}")
    assert page.status_code == 200, page.status_code
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/homes/{home_id}/inquire", data={"csrf_token": token, **data})


def post_with_token(client, page_url, url, data=None):
    """Post DATA to URL with the CSRF token of the page at PAGE_URL."""
    page = client.get(page_url)
    token = csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else "none"
    return client.post(url, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def as_family(client, world):
    login_as(client, world.family)
    return client


__all__ = ["csrf_token", "form_data", "login_as", "post_with_token", "reference_in", "send", "visit_data",
           "visit_date"]
