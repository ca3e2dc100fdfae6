"""Issue 13, a family on a phone: every page at 390x844 and 1366x900, zh-CN and English, normal and large text,
and at 360 and 414 px wide with large text.

Each page: no sideways page scroll, nothing overflowing its container's right edge, no console errors; on a phone
the first search result starts within the first screen; axe-core finds no violations (signed out and in).
The filters drawer, the list/map toggle, the one-line compare tray and a compare that keeps the question.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "correct horse battery"
AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
# the narrowest and widest common phones too, in both languages with large text (the widest text they meet)
SMALL, LARGE_PHONE = {"width": 360, "height": 780}, {"width": 414, "height": 896}
COMBOS = ([(view, lang, large) for view in (PHONE, DESKTOP) for lang in ("zh_CN", "en") for large in (False, True)]
          + [(view, lang, True) for view in (SMALL, LARGE_PHONE) for lang in ("zh_CN", "en")])

# elements overflowing the right edge of their container (not inside a box that scrolls or clips on purpose)
OVERFLOW_JS = """() => {
  const out = [], W = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o !== 'visible') return true; } return false; };
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.position === 'absolute' || style.position === 'fixed' || style.display === 'none') continue;
    if (el.closest('.leaflet-container, .visually-hidden, [hidden]') || scrolls(el) || !el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    let box = el.parentElement;
    while (box && getComputedStyle(box).display.startsWith('inline')) box = box.parentElement;
    const limit = Math.min(W, box ? box.getBoundingClientRect().right : W);
    if (r.right > limit + 1) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)} > `
                                      + `${Math.round(limit)}: ${(el.textContent || '').trim().slice(0, 40)}`);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Homes in three provinces (one with an expired grade), a family with a visit inquiry, a verified operator."""
    def seed(_app):
        from datetime import timedelta

        from core import time
        from inquiries import services as inquiry_services
        from search.backend import current_backend
        from search.outbox import drain
        from tests.factories import make_home, make_user, make_verified_provider

        today = time.today()
        operator = make_verified_provider("姑苏运营方")
        homes = [
            make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", grade=4, is_demo=True,
                      provider_id=operator.id, medical_insurance=True, ltci=True, review_score=4.5, review_count=12,
                      grade_valid_until=today + timedelta(days=300), phone="0512-12345678",
                      visiting_hours="09:00–17:00", services=["rehabilitation", "tcm"], included=["three_meals"],
                      address_en="1 Test Road, Gusu District, Suzhou"),
            make_home("320506", name="吴中颐养中心", name_en="Wuzhong Elderly Centre", grade=5,
                      grade_valid_until=today - timedelta(days=3), integrated_medical=True,
                      fees={"self_care": (1800, 400, 800), "full": (2000, 2600, 800)}),
            make_home("310104", name="徐汇颐养院", name_en="Xuhui Elderly Home", grade=5, ownership="public",
                      fees={"self_care": (3000, 500, 1000), "full": (3500, 4000, 1000)}, medical_insurance=True),
            make_home("330106", name="西湖护理院", name_en="West Lake Nursing Home", fees={"full": (2000, 3000, 900)},
                      confirmed_days_ago=40, dementia_unit=True),
            make_home("340104", name="蜀山康养院", name_en="Shushan Care Home", grade=2, ownership="public_private"),
        ]
        family = make_user("family", email="mobile-family@example.test", password=PASSWORD, display_name="王小明")
        inquiry_services.send_inquiry(family, homes[0], kind="visit", contact_name="王小明",
                                      contact_phone="13800138000", contact_consent=True, body="想参观",
                                      visit_date=today + timedelta(days=5), time_slot="morning")
        drain(current_backend())
        return [h.id for h in homes]

    with serve(tmp_path_factory, "live-mobile", seed) as (base, ids, _app):
        yield base, ids


PAGES = {
    "home": ("/", False),
    "search": ("/?province=320000&care_level=full", False),
    "home_page": ("/homes/{0}", False),
    "cost_estimate": ("/homes/{0}?care_level=full", False),
    "cross_province": ("/homes/{0}?care_level=full&from_city=310000", False),
    "compare": ("/compare?ids={0},{1},{2}&care_level=full&from_city=310000", False),
    "ratings": ("/ratings", False),
    "sign_up": ("/account/signup", False),
    "sign_in": ("/account/login", False),
    "my_inquiries": ("/account/inquiries", True),
    "visit_booking": ("/homes/{0}/inquire?kind=visit", True),
    "account": ("/account", True),  # the form that corrects one's own name, e-mail and mobile
    "shortlist": ("/account/shortlist", True),
    "saved_searches": ("/account/saved-searches", True),
}


def _open(tab, base, path, view, lang, large):
    tab.set_viewport_size(view)
    tab.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    tab.goto(base + "/ratings")
    tab.evaluate(f"localStorage.setItem('yrd-large-text', '{1 if large else 0}')")
    tab.goto(base + path)
    tab.wait_for_load_state("load")


def _axe_violations(tab):
    # served as a same-origin file (routed by the browser, never by the app): the strict CSP refuses the inline
    # script that add_script_tag(path=...) would inject, and the test must not loosen the CSP it runs under
    origin = "/".join(tab.url.split("/")[:3])
    tab.route(f"{origin}/__axe-under-test.js",
              lambda route: route.fulfill(path=str(AXE), content_type="application/javascript"))
    tab.add_script_tag(url=f"{origin}/__axe-under-test.js")
    result = tab.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result]


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_every_screen_and_passes_axe(tab, site, name):
    base, ids = site
    path, needs_account = PAGES[name]
    path = path.format(*ids)
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    if needs_account:
        sign_in(tab, base, "mobile-family@example.test", PASSWORD)
    for view, lang, large in COMBOS:
        where = f"{name} at {view['width']}px, {lang}, {'large' if large else 'normal'} text"
        _open(tab, base, path, view, lang, large)
        assert tab.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"sideways scroll: {where}"
        assert tab.evaluate(OVERFLOW_JS) == [], where
        if name in ("home", "search") and view is not DESKTOP:
            top = tab.evaluate("document.querySelector('.result').getBoundingClientRect().top")
            assert top < view["height"] - 100, f"first result at {top}px: {where}"
        if (view is PHONE) == (lang == "zh_CN") and not large:  # axe at two of the eight combinations
            assert _axe_violations(tab) == [], where
    if not needs_account:  # the same page signed in: the header and the forms change
        sign_in(tab, base, "mobile-family@example.test", PASSWORD)
        _open(tab, base, path, PHONE, "zh_CN", True)
        assert _axe_violations(tab) == [], f"{name} signed in"
    assert errors == [], f"console errors on {name}: {errors}"


def test_filters_drawer_counts_and_closes_with_the_results_first(tab, site):
    base, _ids = site
    _open(tab, base, "/?province=320000", PHONE, "zh_CN", False)
    expect(tab.locator("#filters")).to_be_hidden()
    expect(tab.locator("#filters-open")).to_contain_text("（已选1项）")
    tab.click("#filters-open")
    expect(tab.locator("#filters")).to_be_visible()
    expect(tab.locator("#filters-apply")).to_have_text("显示2家机构")
    assert _axe_violations(tab) == []
    tab.select_option("#f-care_level", "dementia")  # neither Jiangsu home offers dementia care
    expect(tab.locator("#filters-apply")).to_have_text("显示0家机构")
    assert "care_level" not in tab.url  # a change in the drawer only counts
    tab.select_option("#f-care_level", "full")
    expect(tab.locator("#filters-apply")).to_have_text("显示2家机构")
    tab.click("#filters-apply")
    tab.wait_for_url("**care_level=full**")
    expect(tab.locator("#filters")).to_be_hidden()
    expect(tab.locator("#filters-open")).to_contain_text("（已选2项）")
    assert tab.evaluate("document.querySelector('.result').getBoundingClientRect().bottom") < PHONE["height"]
    tab.screenshot(path="/tmp/yrd-mobile-search.png")


def test_phone_map_is_behind_a_list_map_toggle(tab, site):
    base, _ids = site
    _open(tab, base, "/", PHONE, "en", False)
    expect(tab.locator(".results .map")).to_be_hidden()
    tab.get_by_role("button", name="Map").click()
    expect(tab.locator(".results .map")).to_be_visible()
    expect(tab.locator(".result-list")).to_be_hidden()
    assert tab.locator(".results .map").bounding_box()["height"] > 300
    assert _axe_violations(tab) == []
    tab.screenshot(path="/tmp/yrd-mobile-map.png")
    tab.get_by_role("button", name="List").click()
    expect(tab.locator(".result-list")).to_be_visible()


def test_tray_is_one_line_and_compare_keeps_care_level_and_city(tab, site):
    base, ids = site
    _open(tab, base, "/?care_level=full", PHONE, "zh_CN", True)
    for i in range(3):
        tab.locator(".result .add-compare").nth(i).click()
    tray = tab.locator("#compare-tray")
    expect(tray).to_be_visible()
    assert tray.bounding_box()["height"] <= 80  # one line, even with large text
    tab.goto(f"{base}/homes/{ids[0]}?care_level=full&from_city=310000")  # the family says where it lives
    tab.locator("#compare-tray-link").click()
    tab.wait_for_url("**/compare**")
    assert "care_level=full" in tab.url and "from_city=310000" in tab.url
    expect(tab.locator("#c-care_level")).to_have_value("full")
    expect(tab.locator("#c-from_city")).to_have_value("310000")
    # the row names stay in view while the homes scroll sideways
    box = tab.locator("#compare-table").evaluate("t => (t.parentElement.scrollLeft = 400, t.parentElement.scrollLeft)")
    assert box > 100  # it does scroll sideways
    left = tab.locator("#compare-table").evaluate("t => t.parentElement.getBoundingClientRect().left")
    assert abs(tab.locator("#compare-table tbody th").first.bounding_box()["x"] - left) < 2
    tab.screenshot(path="/tmp/yrd-mobile-compare.png")
    expect(tab.locator("#compare-tray")).to_be_hidden()  # on the compare page the tray would only cover it
    tab.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    tab.goto(f"{base}/homes/{ids[0]}")
    tab.set_viewport_size(DESKTOP)  # the names show beside the count on a wide screen
    expect(tab.locator("#compare-tray-title")).to_contain_text("Compare list")  # the tray follows the language
    expect(tab.locator("#compare-tray-link")).to_have_text("Compare")
    expect(tab.locator("#compare-tray-list")).to_contain_text("Gusu Rehab Care Home")
    expect(tab.locator("#compare-tray-list")).not_to_contain_text("姑苏")


def test_compare_without_a_care_level_asks_for_one_before_prices(tab, site):
    base, ids = site
    _open(tab, base, f"/compare?ids={ids[0]},{ids[1]},{ids[2]}", PHONE, "zh_CN", False)
    expect(tab.locator("#ask-care-level")).to_contain_text("您的家人需要哪种护理等级？")
    expect(tab.locator("#compare-table tr[data-row=monthly_price_fen]")).to_have_count(0)
    tab.locator("#ask-care-level").get_by_role("link", name="失能（介护）").click()
    tab.wait_for_url("**care_level=full**")
    expect(tab.locator("#ask-care-level")).to_have_count(0)
    expect(tab.locator("#compare-table tr[data-row=monthly_price_fen] td")).to_have_count(3)


def test_share_shows_the_link_and_its_qr_code_and_print_keeps_the_demo_label(tab, site):
    base, ids = site
    _open(tab, base, f"/homes/{ids[0]}?care_level=full", PHONE, "zh_CN", False)
    tab.locator("#share summary").click()
    expect(tab.locator("#share-url")).to_have_value(f"{base}/homes/{ids[0]}?care_level=full")
    expect(tab.locator(".share-qr svg path")).not_to_have_count(0)
    tab.click("#share-copy")
    expect(tab.locator("#share-status")).to_have_text("链接已复制")
    tab.emulate_media(media="print")
    expect(tab.locator(".site-header")).to_be_hidden()
    expect(tab.locator(".compare-tray")).to_be_hidden()
    expect(tab.locator(".demo-notice")).to_be_visible()
    expect(tab.locator("table.fees")).to_be_visible()
    tab.emulate_media(media="screen")


def test_expired_grade_in_a_real_browser(tab, site):
    base, ids = site
    _open(tab, base, "/?city=320500", PHONE, "zh_CN", False)
    card = tab.locator(f".result[data-home-id='{ids[1]}']")
    expect(card).to_contain_text("等级已过期（原为5星）")
    expect(card.locator(".rating-facts .grade[role=img]")).to_have_count(0)


def test_visit_date_reads_as_the_language_writes_it_and_time_slots_are_large(tab, site):
    base, ids = site
    sign_in(tab, base, "mobile-family@example.test", PASSWORD)
    _open(tab, base, f"/homes/{ids[0]}/inquire?kind=visit", PHONE, "zh_CN", False)
    day = tab.locator("#visit_date").get_attribute("min")
    tab.fill("#visit_date", day)
    tab.locator("#visit_date").dispatch_event("change")
    year, month, date = (int(part) for part in day.split("-"))
    expect(tab.locator("#visit-date-read")).to_have_text(f"您选择的是{year}年{month}月{date}日。")
    choices = tab.locator(".big-choices .check")
    expect(choices).to_have_count(2)
    assert all(choices.nth(i).bounding_box()["height"] >= 44 for i in range(2))
    tab.locator(".big-choices label").first.click()
    expect(tab.locator(".big-choices input").first).to_be_checked()
    tab.screenshot(path="/tmp/yrd-mobile-visit.png", full_page=True)
