"""Security headers on every response: a strict Content-Security-Policy, no framing, no sniffing, HSTS in production.

Pages load script only from our own origin (static/js), or inline with the request's nonce (`csp_nonce()` in
templates) where a page cannot avoid it; styles only from our stylesheets. One place sets them all, after every
request, so pages, the JSON API, error pages and static files carry the same headers.
"""

import secrets
from urllib.parse import urlsplit

from flask import current_app, request

PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=()")


def csp_nonce():
    """Return this request's CSP nonce (one per request, drawn on first use)."""
    # kept in the WSGI environ, not `g`: an app context (and its `g`) can outlive one request
    return request.environ.setdefault("yrd.csp_nonce", secrets.token_urlsafe(18))


def _tile_source(tile_url):
    """The CSP source for a Leaflet tile URL template: its origin, a {s} subdomain label becoming '*'."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    labels = ["*" if "{" in label else label for label in parts.netloc.split(".")]
    if "*" in labels[1:]:  # CSP allows a wildcard only as the leftmost label: allow the scheme's hosts below it
        labels = ["*"] + labels[labels.index("*", 1) + 1:]
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(nonce):
    """Build the Content-Security-Policy value for a response carrying NONCE."""
    images = ["'self'", "data:", "blob:"]
    tiles = _tile_source(current_app.config.get("MAP_TILE_URL"))
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


_NONCE = "\x00nonce\x00"


def _policy_around_nonce():
    """The policy split at its nonce, built once per tile setting (it does not change between requests)."""
    tile_url = current_app.config.get("MAP_TILE_URL")
    cached = current_app.extensions.get("security.csp")
    if cached is None or cached[0] != tile_url:
        cached = current_app.extensions["security.csp"] = (tile_url,
                                                           *content_security_policy(_NONCE).split(_NONCE))
    return cached[1], cached[2]


def set_security_headers(response):
    """Add the security headers to RESPONSE (a view that set its own keeps it)."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        before, after = _policy_around_nonce()
        headers["Content-Security-Policy"] = f"{before}{csp_nonce()}{after}"
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    max_age = current_app.config.get("HSTS_MAX_AGE")
    if max_age:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(max_age)}; includeSubDomains")
    return response


def init_app(app):
    """Set the security headers on every response of APP and offer csp_nonce() to templates."""
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
