"""In a real headless Chromium: the home issues a code, the author verifies their review with it; the home
replies, a regulator publishes the reply, and a family sees it under the review and marks the review helpful.

Its own live server; everyone signs in through the real login form.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def engagement_server(tmp_path_factory):
    """Serve the app from a thread: a home of a verified operator, its staff, two families, a regulator."""
    def seed(_app):
        from tests.factories import make_home, make_user, make_verified_provider
        from tests.reviews.test_engagement_fixtures import make_review

        operator = make_verified_provider("姑苏运营方")
        home = make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", provider_id=operator.id)
        author = make_user("family", email="author@example.test", password=PASSWORD)
        make_user("family", email="reader@example.test", password=PASSWORD)
        make_user("provider", email="staff@example.test", password=PASSWORD, provider=operator)
        make_user("regulator", email="reg@example.test", password=PASSWORD, jurisdiction="320000")
        review = make_review(home, author, text="护理员很耐心，饭菜可口，房间干净。")
        return {"home": home.id, "review": review.id}

    with serve(tmp_path_factory, "live-engagement", seed, SEARCH_SYNC="worker") as (base, ids, _app):
        yield base, ids


def test_code_verification_reply_moderation_and_helpful(tab, engagement_server):
    base, ids = engagement_server
    review = ids["review"]

    sign_in(tab, base, "staff@example.test", PASSWORD, lang="en")
    tab.goto(f"{base}/portal/homes/{ids['home']}/review-codes")
    tab.check("#relationship-0")  # resident
    tab.click("#issue-codes")
    code = tab.locator(".issued-code").first.inner_text()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    tab.goto(f"{base}/portal/homes/{ids['home']}/reviews")
    tab.fill(f"#r{review}-text", "感谢您的评价，欢迎常来探望。")
    tab.click(f"#review-{review} button[type=submit]")
    expect(tab.locator(f"#reply-{review}")).to_be_visible()  # waits for the page the form posts to

    sign_in(tab, base, "author@example.test", PASSWORD, lang="en")
    tab.goto(f"{base}/homes/{ids['home']}")
    tab.click(f"#review-extras-{review} a[href$='/code']")
    tab.fill("#verification_code", code.lower())
    tab.click("#redeem-code")
    expect(tab.locator("#verified-notice")).to_be_visible()

    sign_in(tab, base, "reg@example.test", PASSWORD, lang="en")
    tab.goto(f"{base}/regulator/review-engagement")
    card = tab.locator("[id^=pending-reply-]").first
    card.locator("input[value=publish]").check()
    card.locator("button[type=submit]").click()
    assert tab.locator("[id^=pending-reply-]").count() == 0

    sign_in(tab, base, "reader@example.test", PASSWORD, lang="en")
    tab.goto(f"{base}/homes/{ids['home']}?lang=en")
    assert "感谢您的评价" in tab.locator(f"#reply-{review}").inner_text()
    tab.click(f"#helpful-{review}")  # back on the page in the default locale, zh-CN
    assert "1 人认为有帮助" in tab.locator(f"#helpful-count-{review}").inner_text()
    assert tab.get_attribute(f"#helpful-{review}", "aria-pressed") == "true"
    assert tab.locator(f"#review-{review} .badge.verified").count() == 1
