"""Security headers on every response: every route in the URL map, every method, errors and static files."""

import re
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from core.security import _tile_source

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
REFERRER_POLICIES = {"strict-origin-when-cross-origin", "no-referrer"}  # the reset page keeps its token private


def _assert_secure(response, where):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    assert response.headers.get("Referrer-Policy") in REFERRER_POLICIES, where
    csp = response.headers.get("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp, f"{where}: CSP {csp!r}"
    assert "object-src 'none'" in csp, where
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, f"{where}: CSP {csp!r}"
    assert script_src.split()[0] == "'self'" and re.fullmatch(r"'nonce-[\w-]{16,}'", script_src.split()[1]), csp
    assert "Permissions-Policy" in response.headers, where


def _sample_url(rule):
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else ("css/app.css" if name == "filename" else "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_and_method_answers_with_the_security_headers(app, client):
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            _assert_secure(response, f"{method} {url} ({rule.endpoint}, {response.status_code})")


def test_not_found_static_and_json_errors_carry_the_headers(client):
    for url in ("/no-such-page", "/api/v1/no-such-thing", "/static/css/app.css", "/openapi.json", "/api/docs"):
        _assert_secure(client.get(url), url)


def test_a_server_error_carries_the_headers(app):
    @app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    response = app.test_client().get("/_test/boom")
    assert response.status_code == 500
    _assert_secure(response, "500 page")


def test_each_response_gets_its_own_nonce(client):
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    assert re.search(r"'nonce-[^']+'", first).group() != re.search(r"'nonce-[^']+'", second).group()


def test_hsts_only_where_configured(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["HSTS_MAX_AGE"] = 31536000
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_sends_hsts_by_default():
    from config import ProductionConfig

    assert ProductionConfig.HSTS_MAX_AGE >= 15552000  # at least 180 days


@pytest.mark.parametrize(("url", "source"), [
    ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", "https://*.is.autonavi.com"),
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"),
    ("javascript:alert(1)", None), (None, None),
])
def test_map_tiles_are_allowed_as_images_from_their_origin_only(url, source):
    assert _tile_source(url) == source


def test_configured_map_tiles_may_load(app, client):
    app.config["MAP_TILE_URL"] = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    csp = client.get("/").headers["Content-Security-Policy"]
    assert re.search(r"img-src [^;]*https://\*\.tile\.openstreetmap\.org", csp)


def _templates():
    return [p for p in ROOT.rglob("templates/**/*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]


def test_no_template_has_inline_script_handlers_or_styles():
    """The CSP would block them: script goes in static/js, style in static/css."""
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs and "csp_nonce()" not in attrs:
                offenders.append(f"{path}: inline <script{attrs}>")
        offenders += [f"{path}: {m.group()}" for m in re.finditer(r"\son[a-z]+\s*=", text)]
        offenders += [f"{path}: {m.group()}" for m in re.finditer(r"\sstyle\s*=", text)]
        offenders += [f"{path}: javascript: URL" for _ in re.finditer(r"javascript:", text, re.I)]
        offenders += [f"{path}: <style> block" for _ in re.finditer(r"<style\b", text)]
    assert len(_templates()) > 30
    assert offenders == []
