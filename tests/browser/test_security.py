"""Pages work under the strict Content-Security-Policy: no violation in the console (the `tab` fixture checks)."""

import pytest

from tests.browser.conftest import serve, watch_errors


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_api_docs_start_under_the_csp(tab, live_server, viewport):
    tab.set_viewport_size(viewport)
    tab.goto(live_server + "/api/docs")
    tab.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "YRD Care Compare API" in tab.inner_text(".swagger-ui .info .title")


def test_an_injected_inline_script_is_refused(browser, live_server):
    """The policy is enforced: markup that slipped into a page could not run script; the browser reports it."""
    browser.clear_cookies()
    tab = browser.new_page()
    errors = watch_errors(tab)
    try:
        tab.goto(live_server + "/")
        tab.evaluate("localStorage.clear()")
        tab.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                               document.body.appendChild(s); }""")
        assert tab.evaluate("window.__ran") is None
        assert any("Content Security Policy" in e for e in errors)
        tab.reload()
        assert tab.evaluate("document.documentElement.classList.contains('large-text')") is False
        tab.click("#large-text-toggle")
        tab.reload()
        assert tab.evaluate("document.documentElement.classList.contains('large-text')") is True  # prefs.js ran
    finally:
        tab.evaluate("localStorage.clear()")
        tab.close()


@pytest.fixture(scope="module")
def small_upload_server(tmp_path_factory):
    """A server whose import route takes at most 2 KB, and a regulator to use it."""
    def seed(_app):
        from tests.factories import make_user

        make_user("regulator", email="reg-limit@example.test", password="correct horse battery",
                  jurisdiction="310000")

    tmp = tmp_path_factory.mktemp("upload-limit")
    with serve(tmp_path_factory, "upload-limit", seed, INGEST_UPLOAD_MAX_BYTES=2048,
               INGEST_DIR=str(tmp / "ingest")) as (base, _data, _app):
        yield base, tmp


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_a_file_over_the_routes_limit_is_a_form_error_before_it_is_sent(small_upload_server, tab, viewport):
    base, tmp = small_upload_server
    tab.set_viewport_size(viewport)
    big = tmp / "too-big.csv"
    big.write_bytes(b"name,address\n" + b"x" * 8192)
    tab.goto(base + "/account/login")
    tab.fill("#identifier", "reg-limit@example.test")
    tab.fill("#password", "correct horse battery")
    tab.click("form:has(#identifier) button[type=submit]")
    tab.goto(base + "/regulator/imports/")
    tab.select_option("#source", "shanghai")
    tab.set_input_files("#file", str(big))
    posts = []
    tab.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)
    tab.click("#upload-button")
    error = tab.locator(".upload-size-error")
    error.wait_for()
    assert "2 KB" in error.inner_text() and tab.get_attribute("#file", "aria-invalid") == "true"
    assert posts == [] and tab.url.endswith("/regulator/imports/")
    assert not (tmp / "ingest").exists() or not any((tmp / "ingest").iterdir())
