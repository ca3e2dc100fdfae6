"""Pages work under the strict Content-Security-Policy: no violation in the console (the `tab` fixture checks)."""

import pytest

from tests.browser.conftest import watch_errors


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
