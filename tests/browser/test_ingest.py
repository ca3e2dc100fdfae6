"""A regulator imports a list in a real headless Chromium: background run with a polled progress bar, the
report, then a quarantined row fixed on its page and imported again."""


import pytest

from tests.browser.conftest import serve
from tests.ingest.bigfile import write_shanghai

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def ingest_server(tmp_path_factory):
    """Serve the app from a thread; every upload runs in the background (INGEST_INLINE_MAX_BYTES=0)."""
    tmp = tmp_path_factory.mktemp("ingest-files")

    def seed(_app):
        from tests.factories import make_user

        make_user("regulator", email="reg@example.test", password=PASSWORD, jurisdiction="310000")

    big = tmp / "shanghai-big.csv"
    write_shanghai(big, 300)
    with serve(tmp_path_factory, "live-ingest", seed, SEARCH_SYNC="worker", INGEST_DIR=str(tmp / "ingest"),
               INGEST_INLINE_MAX_BYTES=0) as (base, _data, _app):
        yield base, big


def test_a_regulator_uploads_follows_progress_and_fixes_a_row(ingest_server, tab):
    base, big = ingest_server
    tab.goto(base + "/account/login")
    tab.fill("#identifier", "reg@example.test")
    tab.fill("#password", PASSWORD)
    tab.click("form:has(#identifier) button[type=submit]")
    tab.goto(base + "/regulator/imports/")
    tab.select_option("#source", "shanghai")
    tab.set_input_files("#file", str(big))
    tab.click("#upload-button")
    tab.wait_for_url("**/regulator/imports/runs/*")
    assert tab.locator("#run-progress-bar").count() == 1
    # the page polls the run's progress and reloads once it is done
    tab.wait_for_selector("#run-status[data-status=done]", timeout=60_000)
    assert tab.inner_text("#count-inserted") == "288" and tab.inner_text("#count-quarantined") == "12"
    assert tab.get_attribute("#run-progress-bar", "value") == "300"
    tab.click("#run-quarantine li:first-child a")
    tab.fill("[name='床位费(元/月)']", "2100")
    tab.click("#reimport")
    tab.wait_for_url("**/regulator/imports/quarantine")
    assert tab.locator("#quarantine tbody tr").count() == 11
