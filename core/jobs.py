"""Daily jobs: work that depends on the date (announced prices taking effect, ratings whose weights decay).

Packages register a job with `daily(app, job)` when the app is built; `flask search worker` runs every job at
start and again each new day (Asia/Shanghai date, the date the rules speak of). Each job is idempotent, so
several workers on several machines may run it the same day without harm.
"""

import logging

from flask import current_app

log = logging.getLogger(__name__)


def daily(app, job):
    """Register JOB (a function of no arguments, run in an app context) to run once a day."""
    app.extensions.setdefault("daily_jobs", []).append(job)


def run_daily_jobs():
    """Run every registered daily job; a failing job is logged and does not stop the others."""
    done = []
    for job in current_app.extensions.get("daily_jobs", []):
        try:
            job()
            done.append(job.__name__)
        except Exception:  # a job's failure must not stop the worker's draining
            log.exception("daily job %s failed", job.__name__)
    return done
