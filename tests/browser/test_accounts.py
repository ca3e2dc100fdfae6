"""Accounts in a real browser: sign up, sign out, sign in again; a refused login keeps focus on the errors."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve

PASSWORD = "tea garden by the west lake"


@pytest.fixture(scope="module")
def mailbox_server(tmp_path_factory):
    """A server whose account messages land in a list the test reads (as the address's owner would)."""
    from accounts.senders import current_sender

    server = serve(tmp_path_factory, "signup", lambda app: None,
                   PASSWORD_RESET_SENDER="accounts.senders.CollectingSender")
    with server as (base, _data, app), app.app_context():
        yield base, current_sender().sent


def _menu(page):
    """Open the header menu where a phone folds the account links into it (as a person taps "Menu")."""
    page.wait_for_load_state()
    toggle = page.locator("#nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_sign_up_log_out_and_log_in(page, mailbox_server, viewport):
    live_server, sent = mailbox_server
    page.set_viewport_size(viewport)
    email = f"browser-{uuid.uuid4().hex[:8]}@example.cn"
    page.goto(live_server + "/")
    _menu(page).locator("#nav-signup").click()
    page.fill("#identifier", email)
    page.fill("#display_name", "浏览器测试")
    page.fill("#password", PASSWORD)
    page.check("#accept_privacy")
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator("#signup-sent")).to_contain_text(email)
    expect(_menu(page).locator("#nav-login")).to_be_visible()  # not signed in until the link is followed
    page.goto([m for m in sent if m["to"] == email][-1]["link"])
    page.locator("#signup-confirm-form button[type=submit]").click()
    expect(_menu(page).locator("#nav-user")).to_have_text("浏览器测试")

    _menu(page).locator("#logout-button").click()
    expect(_menu(page).locator("#nav-login")).to_be_visible()
    expect(page.locator("#nav-user")).to_have_count(0)

    _menu(page).locator("#nav-login").click()
    page.fill("#identifier", email.upper())
    page.fill("#password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(_menu(page).locator("#nav-user")).to_have_text("浏览器测试")
    page.goto(live_server + "/account")
    expect(page.locator("#account-facts")).to_contain_text(email)
    page.screenshot(path="/tmp/yrd-account.png", full_page=True)


def test_a_wrong_password_shows_an_error_tied_to_the_form(page, live_server):
    page.goto(live_server + "/account/login")
    page.fill("#identifier", "nobody@example.cn")
    page.fill("#password", "not the password")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#nav-login")).to_be_visible()
    expect(page.locator("label[for=identifier]")).to_be_visible()
