"""A family writes a review in a real Chromium, a regulator publishes it with the keyboard, the home replies and
a regulator approves the reply, and the family sees both on the home's page.

Its own live server (a family, the home's staff and two regulators with passwords); every step signs in through
the real login form.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core import time
from tests.browser.conftest import serve, sign_in
from tests.reviews.test_photos import png_bytes

PASSWORD = "correct horse battery"
TEXT = "母亲在这里住了八个月，护理员很耐心，每天都有康复训练，饭菜清淡合口。"
REPLY = "感谢您的肯定，我们会继续做好康复服务。"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory):
    """Serve the app from a thread with a home run by a verified operator, its staff, a family, regulators."""
    def seed(_app):
        from tests.factories import make_home, make_user, make_verified_provider

        operator = make_verified_provider("姑苏运营方")
        home = make_home("320508", name="姑苏评价养老院", name_en="Gusu Review Home", provider_id=operator.id)
        return {"home": home.id,
                "family": make_user("family", email="li@example.test", password=PASSWORD).email,
                "staff": make_user("provider", email="staff@example.test", password=PASSWORD,
                                   provider=operator).email,
                "regulator": make_user("regulator", email="reg@example.test", password=PASSWORD,
                                       jurisdiction="320000").email}

    with serve(tmp_path_factory, "live-reviews", seed, SEARCH_SYNC="worker",
               PHOTO_DIR=str(tmp_path_factory.mktemp("review-photos"))) as (base, ids, app):
        yield base, ids, app


def _write_review(tab, base, home_id):
    from reviews.models import SUB_SCORES

    tab.goto(f"{base}/homes/{home_id}")
    tab.click("#write-review")
    assert tab.url.endswith(f"/homes/{home_id}/reviews/new")
    tab.check("#relationship-1")  # family of a resident
    tab.fill("#period_start", (time.today() - timedelta(days=240)).isoformat())
    tab.fill("#period_end", (time.today() - timedelta(days=5)).isoformat())
    tab.fill("#text", TEXT)
    tab.set_input_files("#photos", files=[{"name": "garden.png", "mimeType": "image/png", "buffer": png_bytes()}])
    tab.click("#submit-review")  # no scores yet: the form comes back with the errors
    expect(tab.locator("#error-summary")).to_be_visible()  # waits for the page the form posts to
    assert tab.locator("#overall-error").is_visible() and tab.locator("#care-error").is_visible()
    for name in ("overall", *SUB_SCORES):
        tab.check(f"#{name}-4")  # 5 of 5
    # a file input is never refilled after an error: choose the photo again
    tab.set_input_files("#photos", files=[{"name": "garden.png", "mimeType": "image/png", "buffer": png_bytes()}])
    tab.click("#submit-review")
    tab.wait_for_url(re.compile(r"/reviews/\d+$"))
    return int(tab.url.rsplit("/", 1)[1])


def test_a_review_is_written_published_replied_to_and_shown(tab, browser, review_server):
    base, ids, app = review_server
    sign_in(tab, base, ids["family"], PASSWORD)
    review_id = _write_review(tab, base, ids["home"])
    assert tab.locator("#review-status").is_visible()
    assert _photo_loaded(tab, review_id)  # the author sees the photo on the review's own page
    tab.goto(f"{base}/homes/{ids['home']}")
    assert TEXT not in tab.content()  # waiting for the regulator
    assert tab.locator(f"#review-photos-{review_id}").count() == 0

    # the regulator publishes it from the queue with the keyboard: j to the first review, p to publish
    sign_in(tab, base, ids["regulator"], PASSWORD)
    tab.goto(f"{base}/regulator/reviews/")
    assert tab.locator(f"#queue-{review_id}").is_visible()
    tab.keyboard.press("j")
    with tab.expect_navigation():
        tab.keyboard.press("p")
    assert tab.locator("#queue-empty").is_visible()

    replied = _reply_and_approve(tab, browser, base, ids, review_id, app)

    sign_in(tab, base, ids["family"], PASSWORD)
    tab.goto(f"{base}/homes/{ids['home']}")
    review = tab.locator(f"#review-{review_id}")
    assert TEXT in review.inner_text()
    assert _photo_loaded(tab, review_id)  # published: the photo shows with the review
    if replied:
        assert REPLY in tab.locator(f"#reply-{review_id}").inner_text()
    tab.goto(f"{base}/reviews/{review_id}")
    assert tab.locator("#decision").is_visible()


def _photo_loaded(tab, review_id):
    """Say whether the review's first photo is on the page and the browser decoded it (lazy: scroll to it)."""
    image = tab.locator(f"#review-photos-{review_id} img").first
    image.scroll_into_view_if_needed()
    tab.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    return True


def _reply_and_approve(tab, browser, base, ids, review_id, app):
    """The home replies and the regulator approves the reply (when the engagement pages are there)."""
    if "review_engagement.reply" not in app.view_functions:
        return False
    sign_in(tab, base, ids["staff"], PASSWORD)
    tab.goto(f"{base}/portal/homes/{ids['home']}/reviews")
    tab.fill(f"#r{review_id}-text", REPLY)
    tab.click(f"#review-{review_id} button[type=submit]")
    tab.wait_for_load_state()
    sign_in(tab, base, ids["regulator"], PASSWORD)
    tab.goto(f"{base}/regulator/review-engagement")
    item = tab.locator("#pending-replies li").first
    reply_id = item.get_attribute("id").rsplit("-", 1)[1]
    tab.check(f"#reply{reply_id}-decision-0")  # publish
    with tab.expect_navigation():
        item.locator("button[type=submit]").click()
    return True
