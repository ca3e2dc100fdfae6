"""A regulator records an inspection and a grade certificate by form; the public home page explains the rating."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core import time
from tests.browser.conftest import serve

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def quality_server(tmp_path_factory):
    """Serve the app from a thread with a Suzhou home and a Jiangsu regulator."""
    def seed(_app):
        from tests.factories import make_home, make_user

        home = make_home("320508", name="姑苏质量养老院", name_en="Gusu Quality Home", licence_no="SZ-B-1")
        regulator = make_user("regulator", email="reg@example.test", password=PASSWORD, jurisdiction="320000")
        return {"home": home.id, "regulator": regulator.email}

    with serve(tmp_path_factory, "live-quality", seed) as (base, ids, _app):
        yield base, ids


def test_regulator_records_and_the_public_page_explains_the_rating(tab, quality_server):

    base, ids = quality_server
    tab.goto(base + "/homes/{}?lang=en".format(ids["home"]))
    assert "Quality: not enough data" in tab.locator("#quality-rating").inner_text()

    tab.goto(base + "/account/login")
    tab.fill("#identifier", ids["regulator"])
    tab.fill("#password", PASSWORD)
    tab.click("form:has(#identifier) button[type=submit]")
    tab.wait_for_load_state()
    tab.goto(f"{base}/lang/en?next=/regulator/quality/homes/{ids['home']}")  # English from here on (a cookie)
    assert tab.locator("html").get_attribute("lang") == "en"
    tab.fill("#inspection-inspected_on", (time.today() - timedelta(days=20)).isoformat())
    tab.select_option("#inspection-findings-0-severity", "moderate")
    tab.fill("#inspection-findings-0-description", "Fire exit blocked")
    with tab.expect_navigation():  # the form's answer, not the page it was sent from
        tab.get_by_role("button", name="Record inspection").click()
    expect(tab.locator("#inspections")).to_contain_text("Fire exit blocked")

    # a grade certificate that expires before it is issued is refused, with the field named
    tab.fill("#grade-level", "4")
    tab.fill("#grade-issuing_body", "苏州市民政局")
    tab.fill("#grade-issued_on", (time.today() - timedelta(days=30)).isoformat())
    tab.fill("#grade-valid_until", (time.today() - timedelta(days=60)).isoformat())
    with tab.expect_navigation():
        tab.get_by_role("button", name="Record grade certificate").click()
    expect(tab.locator("#grade-valid_until-error")).to_be_visible()
    tab.fill("#grade-valid_until", (time.today() + timedelta(days=600)).isoformat())
    with tab.expect_navigation():
        tab.get_by_role("button", name="Record grade certificate").click()

    tab.goto(base + "/homes/{}?lang=en".format(ids["home"]))
    rating = tab.locator("#quality-rating")
    # inspections: 6 points -> 4 stars; grade 4: (0.4 * 4 + 0.2 * 4) / 0.6 = 4
    assert rating.get_by_role("img", name="Quality rating 4 of 5 stars").is_visible()
    assert "Grade 4 certificate" in rating.locator('[data-part="grade"]').inner_text()
    assert "not enough data" in rating.locator('[data-part="staffing"]').inner_text()
    rating.get_by_role("link", name="How quality ratings are made").click()
    tab.wait_for_load_state()
    assert "40%" in tab.locator("#weights").inner_text()
