"""The provider portal in a real browser: a provider signs in, changes a price and confirms free beds; a family
then finds the new price in search."""


import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "a long portal test passphrase"


def _seed(_app):
    from search.backend import current_backend
    from search.outbox import drain
    from tests.factories import make_home, make_user, make_verified_provider

    operator = make_verified_provider("姑苏养老运营有限公司")
    home = make_home("320508", name="姑苏门户测试院", name_en="Gusu Portal Test Home", provider_id=operator.id,
                     licence_no="JS-PORTAL-1", fees={"full": (2200, 2800, 900)}, confirmed_days_ago=20)
    make_user("provider", email="staff@portal.test", password=PASSWORD, provider=operator)
    make_user("family", email="family@portal.test", password=PASSWORD)
    drain(current_backend())
    return home.id


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory):
    """Serve the app with one operator, its home, a provider user and a family user."""
    photos = tmp_path_factory.mktemp("portal-photos")
    with serve(tmp_path_factory, "portal-live", _seed, PHOTO_DIR=str(photos)) as (base, home_id, _app):
        yield base, home_id


def test_provider_changes_a_price_and_confirms_beds_then_a_family_finds_the_new_price(tab, browser, portal_server):
    base, home_id = portal_server
    sign_in(tab, base, "staff@portal.test", PASSWORD)

    tab.goto(f"{base}/portal/")
    tab.get_by_role("link", name="姑苏门户测试院").click()
    expect(tab.locator("#home-stats")).to_be_visible()

    tab.goto(f"{base}/portal/homes/{home_id}/fees")
    section = tab.locator("#fees-full")
    expect(section.locator("#full-bed")).to_have_value("2200.00")
    section.locator("#full-bed").fill("2600")
    section.locator("[type=submit]").click()
    expect(tab.locator("#price-history tbody tr").first).to_contain_text("¥2,600")
    expect(tab.locator("#full-bed")).to_have_value("2600.00")

    tab.goto(f"{base}/portal/homes/{home_id}/vacancies")
    expect(tab.locator("#vacancy-table .badge.stale")).to_have_count(1)  # confirmed 20 days ago
    tab.locator("#confirm-beds").click()
    expect(tab.locator("#vacancy-table .badge.stale")).to_have_count(0)
    expect(tab.locator("#vacancy-table tr[data-level=full] td.num")).to_have_text("5")
    tab.screenshot(path="/tmp/yrd-portal-vacancies.png", full_page=True)

    browser.clear_cookies()
    sign_in(tab, base, "family@portal.test", PASSWORD)
    tab.goto(f"{base}/?q=姑苏门户&care_level=full")
    result = tab.locator(f".result[data-home-id='{home_id}']")
    expect(result.locator(".price strong")).to_have_text("¥6,300")  # 2,600 + 2,800 + 900
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")  # the browser's language, so the badge's
    expect(result).not_to_contain_text("可能已过时")
