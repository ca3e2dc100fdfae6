"""A claim approved on a home another operator runs, in a real browser at phone and desktop width: that
operator sees the notice on its dashboard and disputes it; the regulator sees the dispute."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in

PASSWORD = "a long dispute test passphrase"


def _seed(_app):
    from marketplace import services
    from tests.factories import make_home, make_user, make_verified_provider

    runs_it, claimant = make_verified_provider("姑苏原运营有限公司"), make_verified_provider("新来运营有限公司")
    homes = []
    for n in range(2):
        home = make_home("320508", name=f"姑苏争议测试院{n}", provider_id=runs_it.id, licence_no=f"JS-DISPUTE-{n}")
        claim = services.claim_home(claimant, home.licence_no, make_user("provider", provider=claimant))
        services.decide_claim(claim, make_user("admin"), approve=True)
        homes.append(claim.id)
    make_user("provider", email="staff@dispute.test", password=PASSWORD, provider=runs_it)
    make_user("regulator", email="reg@dispute.test", password=PASSWORD, jurisdiction="320000")
    return homes


@pytest.fixture(scope="module")
def dispute_server(tmp_path_factory):
    with serve(tmp_path_factory, "dispute-live", _seed) as (base, claim_ids, _app):
        yield base, claim_ids


@pytest.mark.parametrize("width, height, index", [(390, 844, 0), (1366, 900, 1)])
def test_the_operator_disputes_an_approved_claim_from_its_dashboard(tab, dispute_server, width, height, index):
    base, claim_ids = dispute_server
    claim_id = claim_ids[index]
    tab.set_viewport_size({"width": width, "height": height})
    sign_in(tab, base, "staff@dispute.test", PASSWORD)
    tab.goto(f"{base}/portal/")
    notice = tab.locator(f"#claim-against-{claim_id}")
    expect(notice).to_contain_text("新来运营有限公司")
    expect(notice).to_contain_text(f"姑苏争议测试院{index}")
    assert tab.evaluate("document.documentElement.scrollWidth") <= width  # nothing sideways at phone width
    notice.get_by_role("button", name="对该认领提出异议").click()  # no reason yet: the form says so
    expect(tab.locator(f"#dispute{claim_id}-note-error")).to_be_visible()
    tab.locator(f"#dispute{claim_id}-note").fill("我方持有该机构备案，请核实。")
    tab.locator(f"#claim-against-{claim_id}").get_by_role("button", name="对该认领提出异议").click()
    tab.wait_for_load_state()
    expect(tab.locator(".flash")).to_have_count(1)
    expect(tab.locator(f"#claim-against-{claim_id}")).to_have_attribute("data-status", "disputed")
    tab.screenshot(path=f"/tmp/yrd-claim-dispute-{width}.png", full_page=True)

    sign_in(tab, base, "reg@dispute.test", PASSWORD)
    tab.goto(f"{base}/regulator/")
    expect(tab.locator(f"#claim-{claim_id} .dispute-note")).to_contain_text("我方持有该机构备案")
