"""A regulator maps an unrecognised directory in real Chromium (desktop and phone width): the mapping saved in
the browser imports the next file of that shape; a home without fees says so on its page."""

import pytest

from tests.browser.conftest import serve, sign_in
from tests.ingest.test_directory import write_csv

PASSWORD = "correct horse battery"
HEADER = ["养老单位", "所处位置", "核定床位(张)", "服务热线"]


@pytest.fixture(scope="module")
def mapping_server(tmp_path_factory):
    """Serve the app with a Shanghai regulator; uploads run inside the request."""
    tmp = tmp_path_factory.mktemp("mapping-files")

    def seed(_app):
        from tests.factories import make_user

        make_user("regulator", email="map@example.test", password=PASSWORD, jurisdiction="310000")

    with serve(tmp_path_factory, "live-mapping", seed, INGEST_DIR=str(tmp / "ingest")) as (base, _data, _app):
        yield base, tmp


# distinct homes per run (the same home twice would be merged by the dedupe, as it should)
ROWS = {1366: ([["徐汇康乐养老院", "上海市徐汇区虹漕路461号", "150", "021-64000000"],
                ["闸北颐养院", "上海市闸北区共和新路2号", "", ""]],
               [["长宁夕阳红", "长宁区愚园路1号", "", ""]], "徐汇区"),
        390: ([["嘉定安康苑", "上海市嘉定区城中路8号", "90", ""], ["天目西路敬老院", "闸北区天目西路9号", "", ""]],
              [["普陀长风护理院", "普陀区长风路5号", "60", ""]], "嘉定区")}


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_a_mapping_saved_in_the_browser_imports_the_next_file(mapping_server, tab, viewport):
    base, tmp = mapping_server
    suffix = viewport["width"]
    first_rows, next_rows, district = ROWS[suffix]
    tab.set_viewport_size(viewport)
    first = write_csv(tmp / f"odd-{suffix}-1.csv", HEADER, first_rows)
    sign_in(tab, base, "map@example.test", PASSWORD)
    tab.goto(base + "/regulator/imports/")
    tab.select_option("#source", "directory")
    tab.set_input_files("#file", str(first))
    tab.click("#upload-button")
    tab.wait_for_url("**/mapping")
    assert tab.locator("#mapping-columns [data-header='养老单位']").count() == 1
    for index, target in enumerate(("name", "address", "beds_total", "phone")):
        tab.select_option(f"#col-{index}", target)
    tab.fill("#label", f"徐汇区名单 {suffix}")
    tab.fill("#code", f"xuhui-{suffix}")
    tab.click("#preview-button")
    preview = tab.locator("#mapping-preview")
    preview.wait_for()
    assert "静安区" in preview.inner_text() and district in preview.inner_text()
    assert tab.locator("#code").input_value() == f"xuhui-{suffix}"  # the form keeps what was chosen
    tab.click("#save-mapping-button")
    tab.wait_for_url("**/regulator/imports/runs/*")
    assert tab.inner_text("#count-inserted") == "2"

    second = write_csv(tmp / f"odd-{suffix}-2.csv", HEADER, next_rows)
    tab.goto(base + "/regulator/imports/")
    tab.select_option("#source", f"xuhui-{suffix}")
    tab.set_input_files("#file", str(second))
    tab.click("#upload-button")
    tab.wait_for_url("**/regulator/imports/runs/*")
    assert tab.inner_text("#count-inserted") == "1" and tab.inner_text("#count-quarantined") == "0"

    name = next_rows[0][0]
    tab.goto(base + f"/?q={name}&sort=price")
    assert "未公布收费" in tab.inner_text("#unpriced-note")
    tab.goto(base + f"/?q={name}")
    card = tab.locator(".result", has_text=name)
    assert "收费未公布" in card.inner_text()
    assert card.locator("a.inquiry").is_visible()
    card.locator("h3 a").click()
    tab.wait_for_url("**/homes/*")
    fees = tab.locator(".fees-unpublished")
    assert "收费未公布" in fees.inner_text() and fees.locator("a.inquiry").is_visible()
