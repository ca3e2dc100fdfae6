"""The provider portal in a real browser: a provider signs in, changes a price and confirms free beds; a family
then finds the new price in search."""

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

PASSWORD = "a long portal test passphrase"


def _seed(app):
    from core.extensions import db
    from geo.services import load_regions
    from search.backend import current_backend
    from search.outbox import drain
    from tests.factories import make_home, make_user, make_verified_provider

    with app.app_context():
        db.create_all()
        load_regions()
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
    from app import create_app

    tmp = tmp_path_factory.mktemp("portal-live")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'app.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp / "search-index.sqlite3"), PHOTO_DIR=str(tmp / "photos"))
    if "accounts.login" not in app.view_functions:
        pytest.skip("accounts/views.py has no login form yet: the browser cannot sign in")
    home_id = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", home_id
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def tab(browser):
    """A fresh tab without cookies; JavaScript errors fail the test."""
    browser.clear_cookies()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _sign_in(page, base, email):
    page.goto(base + "/account/login")
    page.locator("#login-form input[name=identifier]").fill(email)
    page.locator("#login-form input[name=password]").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/account/login" not in page.url, "sign-in failed"


def test_provider_changes_a_price_and_confirms_beds_then_a_family_finds_the_new_price(tab, browser, portal_server):
    base, home_id = portal_server
    _sign_in(tab, base, "staff@portal.test")

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
    _sign_in(tab, base, "family@portal.test")
    tab.goto(f"{base}/?q=姑苏门户&care_level=full")
    result = tab.locator(f".result[data-home-id='{home_id}']")
    expect(result.locator(".price strong")).to_have_text("¥6,300")  # 2,600 + 2,800 + 900
    expect(result).not_to_contain_text(re.compile("可能已过时|May be out of date"))
