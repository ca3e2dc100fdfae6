"""Optional extras in a real browser: a provider publishes extras and a prepayment requirement; a family sees
them on the home page, ticks an extra in the estimator and sees the bill and the prepayment flag."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "a long extras test passphrase"


def _seed(_app):
    from search.backend import current_backend
    from search.outbox import drain
    from tests.factories import make_home, make_user, make_verified_provider

    operator = make_verified_provider("姑苏附加服务运营有限公司")
    home = make_home("320508", name="姑苏附加服务测试院", provider_id=operator.id, licence_no="JS-EXTRAS-1",
                     fees={"full": (2200, 2800, 900)})
    make_user("provider", email="staff@extras.test", password=PASSWORD, provider=operator)
    drain(current_backend())
    return home.id


@pytest.fixture(scope="module")
def extras_server(tmp_path_factory):
    """Serve the app with one operator, its home and a provider user."""
    with serve(tmp_path_factory, "extras-live", _seed) as (base, home_id, _app):
        yield base, home_id


def test_provider_publishes_extras_and_a_family_ticks_one_in_the_estimator(tab, browser, extras_server):
    base, home_id = extras_server
    sign_in(tab, base, "staff@extras.test", PASSWORD)
    tab.goto(f"{base}/portal/homes/{home_id}/fees")
    section = tab.locator("#fees-full")
    section.locator("#full-extra_rehab").fill("600")
    section.locator("#full-extra_laundry").fill("150")
    section.locator("[type=submit]").click()
    expect(tab.locator("#full-extra_rehab")).to_have_value("600.00")
    tab.locator("#prepayment_months").fill("18")
    tab.locator("#prepayment [type=submit]").click()
    expect(tab.locator("#prepayment-over-limit")).to_be_visible()

    browser.clear_cookies()
    tab.goto(f"{base}/homes/{home_id}?care_level=full&lang=en")
    expect(tab.locator("#fee-extras tbody tr")).to_have_count(2)
    expect(tab.locator("#prepayment-requirement #prepayment-over-limit")).to_be_visible()
    expect(tab.locator("#estimate-monthly")).to_have_text("¥5,900")  # bed + care + meals: extras not ticked
    checkboxes = tab.locator("#estimate-form input[name=extras]")
    expect(checkboxes).to_have_count(2)
    tab.locator("#estimate-form input[value=extra_rehab]").check()
    tab.locator("#estimate-form [type=submit]").click()
    expect(tab.locator("#estimate-monthly")).to_have_text("¥6,500")  # 5900 + 600 rehabilitation
    expect(tab.locator("#cost-summary #summary-over-limit")).to_be_visible()  # said in the ten-second summary
    tab.click("#cost-basis summary")  # the detail behind "How we worked this out" (issue 13)
    expect(tab.locator("#home-prepayment-flag")).to_be_visible()
    tab.screenshot(path="/tmp/yrd-fee-extras.png", full_page=True)
