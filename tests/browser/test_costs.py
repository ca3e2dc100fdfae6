"""A Shanghai family sets its location, compares homes in Jiaxing, Suzhou and Xuancheng for dementia care,
and sees the cost, the estimated travel time and the insurance portability of each (real headless Chromium).
"""


import pytest

from tests.browser.conftest import serve


@pytest.fixture(scope="module")
def costs_server(tmp_path_factory):
    """Serve the app from a thread with three dementia-care homes in three provinces."""
    def seed(_app):
        from tests.factories import make_home

        homes = [
            make_home("330402", name="南湖颐养院", fees={"dementia": (3000, 4000, 900)}, ltci=True,
                      cross_province_settlement=True),
            make_home("320508", name="姑苏认知照护中心", fees={"dementia": (2800, 3500, 900)}, ownership="public",
                      deposit_yuan=50000),
            make_home("341802", name="宣州康养院", fees={"dementia": (2000, 2500, 700)}, medical_insurance=True),
        ]
        return [h.id for h in homes]

    with serve(tmp_path_factory, "live-costs", seed) as (base, ids, _app):
        yield base, ids


def test_shanghai_family_compares_cost_travel_and_insurance_across_three_provinces(tab, costs_server):
    base, ids = costs_server
    tab.goto(f"{base}/homes/{ids[0]}?care_level=dementia&lang=en")
    assert tab.locator("#estimate-monthly").inner_text() == "¥7,900"
    tab.click("#set-family-place")
    tab.select_option("#place_code", "310000")
    tab.click("#family-place-form button[type=submit]")
    tab.wait_for_url(f"**/homes/{ids[0]}**")
    assert "Your family lives in Shanghai." in tab.locator(".family-place").inner_text()
    assert "estimate" in tab.locator(".decision-travel").inner_text()

    tab.goto(f"{base}/compare?ids={','.join(map(str, ids))}&care_level=dementia&lang=en")
    table = tab.locator("#compare-costs-table")
    bills = table.locator("tr[data-row=monthly_bill] td").all_inner_texts()
    assert bills == ["¥7,900", "¥7,200", "¥5,200"]
    travel = table.locator("tr[data-row=travel] td").all_inner_texts()
    assert all("km in a straight line" in t and "about" in t and "estimate" in t for t in travel)
    hours = [t.split("·")[1] for t in travel]
    assert len(set(hours)) >= 2  # Xuancheng is further than Jiaxing and Suzhou
    settlement = table.locator("tr[data-row=settlement] td").all_inner_texts()
    assert settlement[0].startswith("✓") and settlement[1].startswith("✗") and settlement[2].startswith("✗")
    ltci = table.locator("tr[data-row=ltci_follows] td").all_inner_texts()
    # Shanghai LTCI follows to providers designated for it elsewhere in the YRD; none of these homes is
    assert all("not designated" in t for t in ltci)
    accepts = table.locator("tr[data-row=accepts] td").all_inner_texts()
    assert "local residents usually have priority" in accepts[1] and accepts[0].startswith("✓")
    deposit = table.locator("tr[data-row=deposit] td").all_inner_texts()
    assert "Over 12 months' bed fee" in deposit[1]
