"""A family books a visit in a real headless Chromium and sees the reference number; the home confirms it.

Its own live server (a family and a provider user with passwords, a home of that provider); the browser signs
in through the real login form at /account/login.
"""

import re
from datetime import timedelta

import pytest

from core import time
from tests.browser.conftest import serve, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def inquiry_server(tmp_path_factory):
    """Serve the app from a thread with a home run by an operator, its staff and a family."""
    def seed(_app):
        from tests.factories import make_home, make_user, make_verified_provider

        operator = make_verified_provider("姑苏运营方")
        home = make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", provider_id=operator.id,
                         phone="0512-12345678")
        family = make_user("family", email="wang@example.test", password=PASSWORD, display_name="王小明")
        staff = make_user("provider", email="staff@example.test", password=PASSWORD, provider=operator)
        return {"home": home.id, "family": family.email, "staff": staff.email}

    with serve(tmp_path_factory, "live-inquiries", seed, SEARCH_SYNC="worker") as (base, ids, app):
        yield base, ids, app


def test_family_books_a_visit_and_the_home_confirms_it(tab, inquiry_server):

    base, ids, _app = inquiry_server
    sign_in(tab, base, ids["family"], PASSWORD)
    tab.goto(f"{base}/homes/{ids['home']}")
    tab.click("#book-visit")
    assert tab.url.endswith(f"/homes/{ids['home']}/inquire?kind=visit")

    # first with no consent: the form comes back with the error, linked to the checkbox
    day = (time.today() + timedelta(days=3)).isoformat()
    tab.fill("#visit_date", day)
    tab.check("#time_slot-1")
    tab.fill("#contact_phone", "13800138000")
    tab.click("form.inquiry-form button[type=submit]")
    assert tab.locator("#contact_consent-error").is_visible()
    assert tab.get_attribute("#contact_consent", "aria-invalid") == "true"

    tab.check("#contact_consent")
    tab.click("form.inquiry-form button[type=submit]")
    reference = tab.locator("#inquiry-reference").inner_text()
    assert re.fullmatch(r"YRD-\d{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}", reference)

    tab.goto(base + "/account/inquiries")
    assert reference in tab.locator("table.inquiries").inner_text()

    # the home's staff see it in the inbox and confirm it
    tab.context.clear_cookies()
    sign_in(tab, base, ids["staff"], PASSWORD)
    tab.goto(base + "/portal/inbox")
    item = tab.locator(f"#inquiry-{reference}")
    assert item.is_visible()
    item.locator("textarea").fill("请到一楼前台登记。")
    assert tab.locator("html").get_attribute("lang") == "zh-CN"  # the browser's language
    item.get_by_role("button", name="确认").click()
    tab.wait_for_load_state()
    assert "status-visit_confirmed" in tab.locator(f"#inquiry-{reference}").inner_html()
