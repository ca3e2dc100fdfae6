"""Issue 15: the compare tray becomes the account's shortlist. Homes put in the tray while signed out join the
account's shortlist at sign-in (with what it had already), the browser's copy goes, the shortlist has no limit of
four, it is there on another device, and signing out leaves no shortlist behind in the browser. At desktop width
and at 390x844 on a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "correct horse battery"
VIEWS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Five homes; per width a family whose account already keeps one home, with a note."""
    def seed(_app):
        from marketplace import shortlist
        from search.backend import current_backend
        from search.outbox import drain
        from tests.factories import make_home, make_user

        homes = [make_home("320508", name=f"姑苏候选{i}号院", name_en=f"Gusu Candidate {i}",
                           fees={"full": (2000 + 100 * i, 2600, 800)}) for i in range(5)]
        for view in VIEWS:
            family = make_user("family", email=f"shortlist-{view}@example.test", password=PASSWORD)
            shortlist.add_home(family, homes[4].id, note="离女儿家近")
        drain(current_backend())
        return [h.id for h in homes]

    with serve(tmp_path_factory, "live-shortlist", seed) as (base, ids, _app):
        yield base, ids


def _add(tab, home_id):
    button = tab.locator(f".result [data-compare-id='{home_id}']")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize("view", VIEWS)
def test_the_browser_tray_merges_into_the_account_shortlist_at_sign_in(tab, site, view):
    base, ids = site
    tab.set_viewport_size(VIEWS[view])
    tab.context.add_cookies([{"name": "lang", "value": "zh_CN", "url": base}])
    tab.goto(base + "/?care_level=full")
    tab.evaluate("localStorage.removeItem('yrd-compare')")
    tab.reload()
    _add(tab, ids[0])
    _add(tab, ids[1])
    expect(tab.locator("#compare-tray-count")).to_contain_text("2")

    sign_in(tab, base, f"shortlist-{view}@example.test", PASSWORD)
    tab.goto(base + "/account/shortlist")
    items = tab.locator("#shortlist-list .shortlist-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("姑苏候选4号院")  # what the account had comes first, note and all
    expect(tab.locator(f"#note-{ids[4]}")).to_have_value("离女儿家近")
    expect(items.nth(1)).to_contain_text("姑苏候选0号院")
    expect(items.nth(2)).to_contain_text("姑苏候选1号院")
    tab.wait_for_function("localStorage.getItem('yrd-compare') === null")  # the browser's copy is gone

    # signed in, the tray is the shortlist: no limit of four, the compare link takes the first four
    tab.goto(base + "/?care_level=full")
    expect(tab.locator("#compare-tray-count")).to_contain_text("3")
    _add(tab, ids[2])
    _add(tab, ids[3])
    expect(tab.locator("#compare-tray-count")).to_contain_text("5")
    assert tab.evaluate("document.documentElement.scrollWidth <= innerWidth"), "sideways scroll with the tray"
    href = tab.locator("#compare-tray-link").get_attribute("href")
    assert href.startswith(f"/compare?ids={ids[4]},{ids[0]},{ids[1]},{ids[2]}") and str(ids[3]) not in href

    # a private note, kept on the account
    tab.goto(base + "/account/shortlist")
    tab.fill(f"#note-{ids[0]}", "有失智专区，周末可参观")
    with tab.expect_navigation():  # the form's answer, not the page it was typed into
        tab.locator(f"#home-{ids[0]} .shortlist-note-form button").click()
    expect(tab.locator(f"#note-{ids[0]}")).to_have_value("有失智专区，周末可参观")

    # signed out, nothing of the shortlist stays in this browser
    tab.locator("#nav-toggle:visible, #logout-button:visible").first.click()
    if view == "phone":
        tab.locator("#logout-button").click()
    tab.wait_for_url(base + "/")
    expect(tab.locator("#compare-tray")).to_be_hidden()

    # another device (no cookies, an empty tray): the same shortlist, with the notes
    tab.evaluate("localStorage.clear()")
    sign_in(tab, base, f"shortlist-{view}@example.test", PASSWORD)
    tab.goto(base + "/account/shortlist")
    expect(tab.locator("#shortlist-list .shortlist-item")).to_have_count(5)
    expect(tab.locator(f"#note-{ids[0]}")).to_have_value("有失智专区，周末可参观")
