"""Running the service: health and readiness, Prometheus metrics, request ids and structured logs, backups.
Depends on the domain packages (it reads the outbox and import runs); nothing depends on it."""

from flask import g, request

from core.context import accept_request_id


def _bind_request_id():
    g.request_id = accept_request_id(request.headers.get("X-Request-ID"))


def _return_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def init_app(app):
    """Request ids, logging, metrics, health endpoints and the `flask ops` commands."""
    from ops import health, logs, metrics
    from ops.cli import ops_cli

    app.config.setdefault("READINESS_TIMEOUT_S", 2.0)
    app.config.setdefault("READINESS_OUTBOX_MAX_AGE_S", 60.0)
    logs.configure_logging(app)
    # first of all before-request hooks, so an error raised by any other (CSRF, limits) carries the id too
    app.before_request_funcs.setdefault(None, []).insert(0, _bind_request_id)
    app.before_request(logs.start_request_timer)
    app.after_request(_return_request_id)
    if app.config.get("LOG_REQUESTS"):
        app.after_request(logs.log_request)
    metrics.init_app(app)
    health.init_app(app)
    app.cli.add_command(ops_cli)
