"""A real headless Chromium (Playwright, the system browser) against the app served from a thread."""

import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from core import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_collection_modifyitems(config, items):
    """Skip every browser test, with the reason, when there is no Chromium to drive."""
    if os.path.exists(CHROMIUM):
        return
    reason = f"{CHROMIUM} is missing: run `make browser` (scripts/ensure-browser.sh) to install Chromium"
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


def _seed(_app):
    from datetime import timedelta

    from search.backend import current_backend
    from search.outbox import drain
    from tests.factories import make_home

    make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", grade=4, is_demo=True,
              medical_insurance=True, ltci=True, review_score=4.5, review_count=12, source="苏州市民政局公示",
              grade_source="苏州市民政局 2024", grade_valid_until=time.today() + timedelta(days=300),
              phone="0512-12345678", visiting_hours="09:00–17:00", services=["rehabilitation", "tcm"],
              included=["three_meals", "laundry"])
    make_home("320506", name="吴中颐养中心", name_en="Wuzhong Elderly Centre", grade=3,
              fees={"self_care": (1800, 400, 800), "full": (2000, 2600, 800)}, integrated_medical=True)
    make_home("310104", name="徐汇颐养院", name_en="Xuhui Elderly Home", grade=5, ownership="public",
              fees={"self_care": (3000, 500, 1000), "full": (3500, 4000, 1000)}, medical_insurance=True)
    make_home("330106", name="西湖护理院", name_en="West Lake Nursing Home", fees={"full": (2000, 3000, 900)},
              confirmed_days_ago=40, dementia_unit=True)
    make_home("340104", name="蜀山康养院", name_en="Shushan Care Home", grade=2, ownership="public_private")
    drain(current_backend())


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Serve the app on 127.0.0.1 (a free port) from a thread, with a file SQLite DB and seeded homes."""
    with serve(tmp_path_factory, "live", _seed) as (base, _data, _app):
        yield base


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh user-data dir."""
    from playwright.sync_api import sync_playwright

    user_data = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1366, "height": 900}, locale="zh-CN")
        yield context
        context.close()


def watch_errors(page):
    """Collect PAGE's JavaScript errors and Content-Security-Policy violations (a blocked script or style)."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    return errors


@pytest.fixture
def page(browser, live_server):
    """A fresh tab with an empty compare tray and default text size; JS errors and CSP violations fail the test."""
    page = browser.new_page()
    errors = watch_errors(page)
    page.goto(live_server + "/")
    page.evaluate("localStorage.clear()")
    browser.clear_cookies()
    yield page
    page.close()
    assert errors == [], f"JavaScript errors or CSP violations: {errors}"


@contextmanager
def serve(tmp_path_factory, name, seed, **config):
    """Serve a fresh app (its own file SQLite and index) from a thread; yield (base url, SEED(app)'s data, app).

    SEED runs inside the app context after the schema and the regions are loaded. The browser tests sign the
    same accounts in many times a minute from one address, so the login limit is raised here (the limits
    themselves are tested in tests/accounts); a test may still pass its own.
    """
    config = {"LOGIN_RATE_LIMIT": "1000/minute", **config}
    from app import create_app
    from core.extensions import db
    from geo.services import load_regions

    tmp = tmp_path_factory.mktemp(name)
    app = create_app("testing", **{"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'app.sqlite3'}",
                                   "SEARCH_INDEX_PATH": str(tmp / "search-index.sqlite3"), **config})
    with app.app_context():
        db.create_all()
        load_regions()
        data = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", data, app
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def tab(browser):
    """A fresh tab with no cookies; JavaScript errors and CSP violations fail the test."""
    page = browser.new_page()
    errors = watch_errors(page)
    browser.clear_cookies()
    yield page
    page.close()
    assert errors == [], f"JavaScript errors or CSP violations: {errors}"


def sign_in(page, base, email, password, lang=None):
    """Sign in through the real login form as a fresh visitor (cookies cleared); fail when it does not work."""
    page.context.clear_cookies()
    page.goto(base + "/account/login" + (f"?lang={lang}" if lang else ""))
    page.fill("#identifier", email)
    page.fill("#password", password)
    page.click("form:has(#identifier) button[type=submit]")
    page.wait_for_load_state()
    assert "/account/login" not in page.url, "sign-in failed"
