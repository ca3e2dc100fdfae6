"""Daily jobs: work that depends on the date (announced prices taking effect, ratings whose weights decay).

Packages register a job with `daily(app, job)` when the app is built; `flask search worker` runs every job at
start and again each new day (Asia/Shanghai date, the date the rules speak of). Each job is idempotent, so
several workers on several machines may run it the same day without harm.
"""

import logging
import time as clock

from flask import current_app

from core.context import bound_request_id

log = logging.getLogger(__name__)
job_log = logging.getLogger("yrd.job")


def daily(app, job):
    """Register JOB (a function of no arguments, run in an app context) to run once a day."""
    app.extensions.setdefault("daily_jobs", []).append(job)


def run_daily_jobs():
    """Run every registered daily job; a failing job is logged and does not stop the others."""
    done = []
    for job in current_app.extensions.get("daily_jobs", []):
        with bound_request_id():  # one id per job run, on every line the job logs
            started = clock.perf_counter()
            try:
                job()
                done.append(job.__name__)
                outcome = "done"
            except Exception:  # a job's failure must not stop the worker's draining
                log.exception("daily job %s failed", job.__name__)
                outcome = "failed"
            seconds = round(clock.perf_counter() - started, 3)
            job_log.info("job %s %s in %ss", job.__name__, outcome, seconds,
                         extra={"job": job.__name__, "outcome": outcome, "seconds": seconds})
    return done
