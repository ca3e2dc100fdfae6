"""A Jiangsu regulator corrects a Suzhou LTCI standard in a real Chromium: the evidence is required, the preview
shows how a sample estimate moves, publishing makes version 2, and the family's page (desktop and phone) shows
the new figure with its version, while version 1 still reproduces the old estimate."""

import re

import pytest

from tests.browser.conftest import serve, sign_in

PASSWORD = "correct horse battery"
SEVERE = "ltci.daily_standard_fen/320500/*/severe"


@pytest.fixture(scope="module")
def facts_server(tmp_path_factory):
    """Serve the app with the shipped facts loaded, a designated Suzhou home and a Jiangsu regulator."""
    def seed(_app):
        from costs import services
        from tests.factories import make_home, make_user

        services.load_seed_facts()
        home = make_home("320508", name="姑苏长护养老院", fees={"dementia": (3000, 4000, 900)}, ltci=True)
        regulator = make_user("regulator", email="facts-reg@example.test", password=PASSWORD, jurisdiction="320000")
        return {"home": home.id, "regulator": regulator.email}

    with serve(tmp_path_factory, "live-facts", seed) as (base, data, _app):
        yield base, data


def _family_share(tab):
    return tab.locator("#estimate-family-share").text_content().strip()  # inside the closed "how we worked it out"


def test_regulator_publishes_a_sourced_fact_and_the_family_sees_it_with_its_version(tab, facts_server):
    base, data = facts_server
    home_url = f"{base}/homes/{data['home']}?care_level=dementia&insurance_city=320500&ltci_grade=5&lang=en"
    tab.goto(home_url)
    # Suzhou's 26 yuan a day has no source: shown beside the total, never in it
    assert _family_share(tab) == "¥7,900"
    assert "to be confirmed" in tab.locator("#estimate-ltci").text_content()
    assert "version 1." in tab.locator("#facts-version").text_content()

    sign_in(tab, base, data["regulator"], PASSWORD, lang="en")
    tab.goto(f"{base}/regulator/facts/?lang=en")
    assert "Current version: 1." in tab.locator("#current-version").inner_text()
    tab.locator(f'tr[data-fact="{SEVERE}"] a').click()
    tab.wait_for_load_state()
    tab.fill("#value", "2800")
    tab.select_option("#status", "secondary")
    tab.fill("#doc_title", "苏州市医疗保障局 reply on LTCI institutional standards (2026)")
    tab.fill("#verified_by", "")
    tab.fill("#reason", "From the bureau's reply; the notice itself is not yet linked.")
    tab.click("#publish")
    tab.wait_for_load_state()
    # a secondary source needs when and by whom: refused, nothing published
    assert tab.locator("#error-summary").is_visible()
    assert tab.locator("#verified_on-error").is_visible() and tab.locator("#verified_by-error").is_visible()
    assert tab.locator("#value").input_value() == "2800"  # what was typed is kept

    tab.fill("#verified_on", "2026-12-01")
    tab.fill("#verified_by", "苏州 policy desk")
    tab.click("#preview")
    tab.wait_for_load_state()
    row = tab.locator('#preview-table tr[data-figure="family_share_fen"]')
    assert row.locator("td").all_inner_texts() == ["¥7,900", "¥7,060"]  # 28.00 x 30 = 840 yuan now counts
    assert "changed" in (row.get_attribute("class") or "")
    tab.fill("#change_note", "2026 Suzhou standard")
    tab.click("#publish")
    tab.wait_for_url(re.compile(r".*/regulator/facts/$"))
    assert "2" in tab.locator(".flashes").inner_text()
    assert tab.locator("#fact-versions li").count() == 2

    tab.context.clear_cookies()
    tab.set_viewport_size({"width": 390, "height": 844})
    try:
        tab.goto(home_url)
        assert _family_share(tab) == "¥7,060"
        assert "version 2" in tab.locator("#facts-version").text_content()
        tab.locator("#cost-basis > summary").click()  # "how we worked this out" holds the version used
        assert tab.locator("#facts-version").is_visible()
        assert tab.locator("#estimate-family-share-if-confirmed").count() == 0  # nothing left to confirm
        # the estimate the family saw before is reproduced with the version it used
        tab.goto(home_url + "&facts_version=1")
        assert _family_share(tab) == "¥7,900" and "version 1" in tab.locator("#facts-version").text_content()
        # 26 x 30 = 780 aside
        assert tab.locator("#estimate-family-share-if-confirmed").text_content().strip() == "¥7,120"
    finally:
        tab.set_viewport_size({"width": 1366, "height": 900})
