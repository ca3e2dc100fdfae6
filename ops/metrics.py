"""Prometheus metrics at /metrics (prometheus_client). Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty
directory per start) so every worker's samples add up; docs/ops/gunicorn.conf.py marks dead workers.

Counters and histograms are updated as requests, searches and sign-ins happen; the outbox and import figures
are read from SQL when Prometheus scrapes, so they are right whichever process answers."""

import ipaddress
import os
import time as clock

import sqlalchemy as sa
from flask import Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core import signals

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter("yrd_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("yrd_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["method", "route"], buckets=_LATENCY_BUCKETS)
SEARCH_LATENCY = Histogram("yrd_search_duration_seconds", "Time a search took in the backend",
                           ["backend", "kind"], buckets=_LATENCY_BUCKETS)
ENGINE_ERRORS = Counter("yrd_search_engine_errors_total", "Searches the engine could not answer", ["backend"])
LOGIN_FAILURES = Counter("yrd_login_failures_total", "Sign-ins refused for wrong credentials")
LOCKOUTS = Counter("yrd_login_lockouts_total", "Accounts locked after too many failed sign-ins")
RATE_LIMITED = Counter("yrd_rate_limit_hits_total", "Requests refused by a rate limit (429)", ["route"])


def _route():
    return request.url_rule.rule if request.url_rule else "unmatched"


def start_timer():
    g.metrics_started = clock.perf_counter()


def observe_request(response):
    """Count the response and time it, labelled by route (the rule, never the raw path) and status."""
    if request.path == "/metrics":
        return response
    route, started = _route(), g.get("metrics_started")
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    if started is not None:
        HTTP_LATENCY.labels(request.method, route).observe(clock.perf_counter() - started)
    if response.status_code == 429:
        RATE_LIMITED.labels(route).inc()
    return response


def _on_search(sender, backend, kind, seconds, failed):
    if failed:
        ENGINE_ERRORS.labels(backend).inc()
    else:
        SEARCH_LATENCY.labels(backend, kind).observe(seconds)


def _on_login_failed(sender, locked=False):
    LOGIN_FAILURES.inc()
    if locked:
        LOCKOUTS.inc()


class SqlCollector:
    """Outbox depth and age, import runs by status, read from SQL at scrape time."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from core.extensions import db
        from ingest.models import ImportRun
        from notify.delivery import pending_count
        from search.outbox import lag

        with self.app.app_context():
            depth, age = lag()
            runs = db.session.execute(sa.select(ImportRun.status, sa.func.count()).group_by(ImportRun.status)).all()
            queued = pending_count()
            db.session.remove()
        yield GaugeMetricFamily("yrd_outbox_depth", "Outbox rows waiting to be indexed", value=depth)
        yield GaugeMetricFamily("yrd_outbox_oldest_age_seconds", "Age of the oldest outbox row (0 when empty)",
                                value=age)
        yield GaugeMetricFamily("yrd_notification_queue_depth", "E-mails and SMS waiting to be sent", value=queued)
        family = GaugeMetricFamily("yrd_import_runs", "Import runs by status", labels=["status"])
        for status, count in runs:
            family.add_metric([status], count)
        yield family


def _allowed():
    """True when the scrape carries METRICS_TOKEN or comes from an address in METRICS_ALLOW."""
    token = current_app.config.get("METRICS_TOKEN")
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    allow = current_app.config.get("METRICS_ALLOW")
    if allow is None:  # development and tests: open
        return not token
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net.strip(), strict=False) for net in allow.split(",") if net.strip())


def metrics_view():
    """The Prometheus text exposition of every metric (all gunicorn workers in multiprocess mode)."""
    if not _allowed():
        abort(403)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(SqlCollector(current_app._get_current_object()))
    return Response(body + generate_latest(scraped), mimetype=CONTENT_TYPE_LATEST)


def init_app(app):
    """Time and count every request; listen to search and sign-in signals; serve /metrics."""
    app.before_request(start_timer)
    app.after_request(observe_request)
    signals.search_finished.connect(_on_search, weak=False)
    signals.login_failed.connect(_on_login_failed, weak=False)
    app.add_url_rule("/metrics", "ops.metrics", metrics_view)
