"""Shared data for the review-engagement tests: two operators' homes, their staff, families, regulators, and
published reviews. Users are made when first asked for (each costs an argon2 hash)."""

import functools
import re
from datetime import date

import flask_babel
import sqlalchemy as sa

from core import time
from core.extensions import db
from reviews.models import Review
from tests.factories import login_as, make_home, make_provider, make_user, make_verified_provider


def make_review(home, author=None, overall=4, status="published", relationship="visitor", **fields):
    """Create a review of HOME by AUTHOR (None: a demo-like review without an author); it is the author's
    current one (their earlier reviews of HOME become superseded, as the submit service does)."""
    if author is not None and not fields.get("superseded"):
        db.session.execute(sa.update(Review).where(Review.author_id == author.id, Review.home_id == home.id)
                           .values(superseded=True))
    review = Review(home_id=home.id, author_id=author.id if author else None, relationship=relationship,
                    period_start=date(2026, 1, 1), period_end=date(2026, 6, 1), overall=overall,
                    sub_scores={}, text=fields.pop("text", "护理员很耐心，饭菜可口。"), status=status,
                    created_at=fields.pop("created_at", time.utcnow()),
                    published_at=time.utcnow() if status == "published" else None, **fields)
    db.session.add(review)
    db.session.commit()
    return review


def csrf_token(html):
    """Return the CSRF token of the first form in a rendered page."""
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert match, "no csrf_token in the page"
    return re.search(r'value="([^"]+)"', match.group(0)).group(1)


def post_form(client, page_url, url, data=None):
    """Post DATA to URL with the CSRF token of the page at PAGE_URL (or of the login page)."""
    html = client.get(page_url).get_data(as_text=True)
    if 'name="csrf_token"' not in html:
        html = client.get("/account/login").get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), **(data or {})})


class World:
    """Home A (Suzhou, Jiangsu) of verified operator A; home B (Hangzhou, Zhejiang) of verified operator B."""

    def __init__(self):
        self.operator = make_verified_provider("运营方甲")
        self.other_operator = make_verified_provider("运营方乙")
        self.home = make_home("320508", name="姑苏康复养老院", provider_id=self.operator.id)
        self.other_home = make_home("330106", name="西湖护理院", provider_id=self.other_operator.id)

    @functools.cached_property
    def author(self):
        return make_user("family", display_name="王小明")

    @functools.cached_property
    def family(self):
        return make_user("family", display_name="李华")

    @functools.cached_property
    def staff(self):
        return make_user("provider", provider=self.operator)

    @functools.cached_property
    def other_staff(self):
        return make_user("provider", provider=self.other_operator)

    @functools.cached_property
    def unverified_staff(self):
        operator = make_provider("未认证运营方")
        self.unverified_home = make_home("320508", name="未认证养老院", provider_id=operator.id)
        return make_user("provider", provider=operator)

    @functools.cached_property
    def regulator(self):
        return make_user("regulator", jurisdiction="320000")

    @functools.cached_property
    def city_regulator(self):
        return make_user("regulator", jurisdiction="320500")

    @functools.cached_property
    def outside_regulator(self):
        return make_user("regulator", jurisdiction="330000")

    @functools.cached_property
    def review(self):
        return make_review(self.home, self.author)

    @functools.cached_property
    def other_review(self):
        return make_review(self.other_home, self.author)


def fresh_request_state():
    """Forget the locale and user that earlier requests left on the test's long-lived app context."""
    from accounts.auth import forget_session_globals

    flask_babel.refresh()
    forget_session_globals()


def refreshed(row):
    """Return ROW as the database has it now."""
    db.session.expire_all()
    return db.session.get(type(row), row.id)


__all__ = ["World", "csrf_token", "fresh_request_state", "login_as", "make_review", "post_form", "refreshed"]
