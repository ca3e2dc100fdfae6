"""A Jiangsu regulator signs in and sees the dashboard in a real headless Chromium: tables, drawn charts, CSV."""


import pytest

from tests.browser.conftest import serve

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory):
    """Serve the app from a thread with homes in Jiangsu (one demo) and Zhejiang, and a Jiangsu regulator."""
    def seed(_app):
        from tests.factories import make_home, make_user

        make_home("320508", name="姑苏看板院", beds_total=120, quality_stars=4, free={"full": 3})
        make_home("320506", name="吴中看板院", beds_total=80, confirmed_days_ago=30, is_demo=True)
        make_home("320102", name="玄武看板院", beds_total=60, quality_stars=5)
        make_home("330106", name="西湖看板院", beds_total=300)
        make_user("regulator", email="reg@example.test", password=PASSWORD, jurisdiction="320000")

    with serve(tmp_path_factory, "live-dashboard", seed) as (base, _data, _app):
        yield base


def test_regulator_sees_tables_and_charts(tab, dashboard_server):
    base = dashboard_server
    tab.goto(base + "/account/login?next=/regulator/dashboard")
    tab.fill("#identifier", "reg@example.test")
    tab.fill("#password", PASSWORD)
    tab.click("form:has(#identifier) button[type=submit]")
    tab.wait_for_load_state()
    tab.goto(base + "/regulator/dashboard")
    assert tab.locator("h1").inner_text() == "监管数据看板"

    for name in ("capacity", "prices", "ratings", "stale", "stale_homes", "backlog"):
        assert tab.locator(f"#table-{name}").is_visible()
    total = tab.locator("#table-capacity tfoot tr.total")
    assert total.locator("[data-key=homes]").inner_text() == "3"
    assert total.locator("[data-key=beds]").inner_text() == "260"
    assert tab.locator("#table-capacity tr[data-city='320500'] [data-key=homes]").inner_text() == "2"
    assert tab.locator("text=西湖看板院").count() == 0  # a Zhejiang home: outside the jurisdiction
    assert tab.locator("#table-stale_homes").get_by_text("吴中看板院").is_visible()
    assert tab.locator("#dashboard-demo-notice .badge.demo").is_visible()

    canvas = tab.locator("#chart-capacity")
    assert canvas.is_visible()
    box = canvas.bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    drawn = tab.evaluate("""() => {
        const c = document.getElementById('chart-capacity');
        const chart = window.Chart && window.Chart.getChart(c);
        return {chart: !!chart, bars: chart ? chart.data.datasets[0].data : []};
    }""")
    assert drawn["chart"] and 120 + 80 in drawn["bars"] and 60 in drawn["bars"]

    with tab.expect_download() as download:
        tab.click("#section-capacity a[download]")
    with open(download.value.path(), "rb") as fh:
        content = fh.read()
    assert content.startswith(b"\xef\xbb\xbf") and "苏州市,2,1,200".encode() in content
