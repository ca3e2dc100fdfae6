"""The family's journey in a real browser: search, filter, open a home, compare, switch language."""

import re

from playwright.sync_api import expect


def test_search_with_a_filter_updates_the_results(page, live_server):
    page.goto(live_server + "/")
    expect(page.locator("#results-title")).to_have_text("找到 5 家养老机构")
    expect(page.locator(".map .leaflet-marker-icon")).to_have_count(5)
    page.select_option("#f-province", "320000")
    expect(page.locator("#results-title")).to_have_text("找到 2 家养老机构")
    assert "province=320000" in page.url
    expect(page.locator("#f-province")).to_be_focused()  # focus stays on the control that changed
    page.select_option("#f-care_level", "full")
    expect(page.locator(".result .price strong").first).to_have_text(re.compile(r"¥\d{1,2},\d{3}"))
    expect(page.locator(".map .leaflet-marker-icon")).to_have_count(2)
    page.screenshot(path="/tmp/yrd-search.png", full_page=True)


def test_a_bad_filter_shows_a_form_error(page, live_server):
    response = page.goto(live_server + "/?min_price=9000&max_price=100")
    assert response.status == 400
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#min_price-error")).to_be_visible()


def test_open_a_home(page, live_server):
    page.goto(live_server + "/?q=姑苏")
    page.get_by_role("link", name="姑苏康复养老院").click()
    expect(page.locator("h1")).to_contain_text("姑苏康复养老院")
    expect(page.locator(".demo-notice")).to_be_visible()
    expect(page.locator("table.fees tbody tr")).to_have_count(3)
    expect(page.locator(".provenance")).to_contain_text("苏州市民政局公示")
    expect(page.locator(".map .leaflet-marker-icon")).to_have_count(1)
    page.screenshot(path="/tmp/yrd-home.png", full_page=True)


def test_add_three_homes_to_the_tray_and_compare(page, live_server):
    page.goto(live_server + "/?sort=grade")
    buttons = page.locator(".result .add-compare")
    for i in range(3):
        buttons.nth(i).click()
    expect(page.locator("#compare-tray")).to_be_visible()
    expect(page.locator("#compare-tray-list li")).to_have_count(3)
    page.reload()  # the tray persists
    expect(page.locator("#compare-tray-list li")).to_have_count(3)
    page.locator("#compare-tray-link").click()
    expect(page.locator("h1")).to_have_text("比较养老机构")
    expect(page.locator("#compare-table thead th.home-col")).to_have_count(3)
    expect(page.locator("#compare-table tr.differs[data-row=grade]")).to_have_count(1)
    page.select_option("#c-care_level", "full")
    page.select_option("#c-from_city", "310000")
    page.get_by_role("button", name="更新").click()
    assert "care_level=full" in page.url and "from_city=310000" in page.url
    expect(page.locator("#compare-table tr.differs[data-row=distance_km]")).to_have_count(1)
    page.screenshot(path="/tmp/yrd-compare.png", full_page=True)


def test_the_tray_says_when_it_is_full(page, live_server):
    page.goto(live_server + "/")
    buttons = page.locator(".result .add-compare")
    for i in range(5):
        buttons.nth(i).click()
    expect(page.locator("#compare-tray-list li")).to_have_count(4)
    expect(page.locator("#compare-tray-message")).to_contain_text("比较清单已满")


def test_switch_to_english(page, live_server):
    page.goto(live_server + "/")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Find a care home")
    expect(page.locator("label[for=f-care_level]")).to_have_text("Care level")
    expect(page.locator("#f-care_level option[value=partial]")).to_contain_text("Partly dependent")
    expect(page.locator(".result .add-compare").first).to_have_text("Add to compare")
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("查找养老机构")


def test_keyboard_skip_link_and_large_text_toggle(page, live_server):
    page.goto(live_server + "/")
    base = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert base == 18
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link").first).to_be_focused()
    toggle = page.locator("#large-text-toggle")
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "large-text-toggle":
            break
        page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus outline
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > base
    page.reload()  # remembered
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > base
    page.locator("#large-text-toggle").focus()
    page.keyboard.press("Space")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == base
