"""Liveness and readiness. /healthz answers from the process alone; /readyz checks the database, the search
engine, Redis (when configured) and the outbox lag, each within READINESS_TIMEOUT_S, and names what fails.
Bodies carry check names and plain words only: never hosts, ports, passwords or exception text."""

import logging
import time as clock
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import sqlalchemy as sa
from flask import current_app, jsonify

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def healthz():
    """The process is alive (no dependency touched)."""
    return jsonify({"status": "ok"})


def _check_database():
    from core.extensions import db

    db.session.execute(sa.text("SELECT 1"))
    return {}


def _check_search():
    from search.backend import current_backend

    current_backend().health()
    return {}


def _check_redis():
    import redis

    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"skipped": True}
    timeout = current_app.config["READINESS_TIMEOUT_S"]
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _check_outbox():
    from search.outbox import lag

    depth, age = lag()
    age = round(age, 1)
    limit = current_app.config["READINESS_OUTBOX_MAX_AGE_S"]
    if age > limit:
        raise _Lagging(depth, age)
    return {"depth": depth, "oldest_age_s": age}


class _Lagging(Exception):
    def __init__(self, depth, age):
        super().__init__("outbox lagging")
        self.detail = {"depth": depth, "oldest_age_s": age, "error": "lagging"}


CHECKS = {"database": _check_database, "search": _check_search, "redis": _check_redis, "outbox": _check_outbox}


def _run(app, check):
    with app.app_context():
        started = clock.perf_counter()
        try:
            detail = {"ok": True, **check()}
        except _Lagging as exc:
            detail = {"ok": False, **exc.detail}
        except Exception as exc:  # any failure of a dependency is "unavailable" to the caller
            log.warning("readiness check failed: %s: %s", check.__name__, exc)
            detail = {"ok": False, "error": "unavailable"}
        finally:
            from core.extensions import db

            db.session.remove()
        detail["ms"] = round((clock.perf_counter() - started) * 1000, 1)
        return detail


def readyz():
    """Every dependency checked with a short timeout: 200 when all answer, 503 naming those that do not."""
    app = current_app._get_current_object()
    timeout = app.config["READINESS_TIMEOUT_S"]
    futures = {name: _pool.submit(_run, app, check) for name, check in CHECKS.items()}
    deadline = clock.monotonic() + timeout
    checks = {}
    for name, future in futures.items():
        try:
            checks[name] = future.result(timeout=max(0.0, deadline - clock.monotonic()))
        except FutureTimeout:
            checks[name] = {"ok": False, "error": "timeout"}
    failing = sorted(name for name, detail in checks.items() if not detail["ok"])
    body = {"status": "unavailable" if failing else "ready", "failing": failing, "checks": checks}
    return jsonify(body), 503 if failing else 200


def init_app(app):
    """Serve /healthz and /readyz."""
    app.add_url_rule("/healthz", "ops.healthz", healthz)
    app.add_url_rule("/readyz", "ops.readyz", readyz)
