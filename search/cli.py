"""`flask search ...`: drain the outbox, run a worker, rebuild and check the index."""

import time

import click
from flask.cli import AppGroup

from core import jobs
from core import time as clock
from search import outbox
from search.backend import current_backend
from search.sources import iter_all_documents, sql_versions

search_cli = AppGroup("search", help="The search index (derived from SQL, always rebuildable).")


@search_cli.command("drain")
@click.option("--batch-size", default=500, show_default=True)
def drain_command(batch_size):
    """Apply every pending outbox row to the index."""
    done = outbox.drain(current_backend(), batch_size=batch_size)
    click.echo(f"drained {done} outbox rows; {outbox.pending_count()} pending")


@search_cli.command("requeue-due")
@click.option("--days-back", default=7, show_default=True)
def requeue_due_command(days_back):
    """Queue homes whose documents changed with the date in the last DAYS_BACK days (prices now in effect)."""
    click.echo(f"queued {outbox.queue_due(days_back=days_back)} homes whose documents changed with the date")


@search_cli.command("worker")
@click.option("--interval", default=1.0, show_default=True, help="seconds between polls when idle")
@click.option("--batch-size", default=500, show_default=True)
@click.option("--max-idle-polls", default=0, help="stop after this many empty polls (0: run forever)")
def worker_command(interval, batch_size, max_idle_polls):
    """Poll the outbox and drain it, forever (or until idle for --max-idle-polls polls); run the daily jobs."""
    backend, idle, ran_on = current_backend(), 0, None
    while not max_idle_polls or idle < max_idle_polls:
        if ran_on != clock.today():  # at start and each new day: prices now in effect, ratings' decaying weights
            click.echo("daily jobs: " + ", ".join(jobs.run_daily_jobs()))
            ran_on = clock.today()
        try:
            done = outbox.drain(backend, batch_size=batch_size)
        except Exception as exc:  # engine down: keep the rows, retry later
            click.echo(f"drain failed, will retry: {exc}", err=True)
            done = 0
        idle = 0 if done else idle + 1
        if not done:
            time.sleep(interval)


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the index from SQL into a fresh index and switch to it atomically."""
    started = time.monotonic()
    count = current_backend().reindex(iter_all_documents())
    replayed = outbox.drain(current_backend())
    click.echo(f"indexed {count} homes in {time.monotonic() - started:.1f}s; replayed {replayed} outbox rows")


def compare_index(backend):
    """Return the differences between SQL and the index: missing, extra and stale home ids."""
    in_sql, indexed = sql_versions(), backend.versions()
    return {
        "missing": sorted(set(in_sql) - set(indexed)),
        "extra": sorted(set(indexed) - set(in_sql)),
        "stale": sorted(i for i in set(in_sql) & set(indexed) if indexed[i] != in_sql[i]),
        "sql_count": len(in_sql),
        "index_count": len(indexed),
        "pending_outbox": outbox.pending_count(),
    }


@search_cli.command("check")
def check_command():
    """Compare the index with SQL (counts and versions) and say what differs; exit 1 if anything does."""
    report = compare_index(current_backend())
    click.echo(f"SQL homes: {report['sql_count']}  indexed: {report['index_count']}  "
               f"outbox pending: {report['pending_outbox']}")
    for key in ("missing", "extra", "stale"):
        ids = report[key]
        if ids:
            click.echo(f"{key}: {len(ids)} (ids {', '.join(map(str, ids[:20]))}{' ...' if len(ids) > 20 else ''})")
    if report["missing"] or report["extra"] or report["stale"]:
        raise SystemExit(1)
    click.echo("index matches SQL")
