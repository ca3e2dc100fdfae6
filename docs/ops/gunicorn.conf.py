"""gunicorn settings for YRD Care Compare (gunicorn -c docs/ops/gunicorn.conf.py "app:create_app()").

Prometheus multiprocess mode: PROMETHEUS_MULTIPROC_DIR must name an empty directory at each start (the systemd
unit and the compose file give one); a dead worker's live gauges are dropped here."""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The app is created once in the master and the workers fork from it: what every worker would import and build
# for itself (~75 MiB of its ~130) is shared copy-on-write, and a recycled or new worker is serving in
# milliseconds. Forked workers open their own database connections (core/db.py) and their own view of the
# search index (search/embedded/store.py). New code needs a restart of the master (systemctl restart), not HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 10000  # recycle workers now and then, with jitter so they do not all restart together
max_requests_jitter = 1000
accesslog = None  # the app writes one JSON line per request itself (LOG_REQUESTS), with the request id
errorlog = "-"


def pre_fork(server, worker):
    """Move everything the preloaded app built into the collector's permanent generation before a worker forks:
    the worker's collections then skip the app's millions of long-lived objects (tables, templates, the
    gazetteer), and skipping them keeps those pages shared instead of dirtying them copy-on-write."""
    gc.freeze()


def child_exit(server, worker):
    """Tell prometheus_client that WORKER is gone, so its gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
