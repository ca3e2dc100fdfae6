"""`flask notify ...`: send what is due."""

import time

import click
from flask.cli import AppGroup

from notify.delivery import deliver_due

notify_cli = AppGroup("notify", help="Notifications: send e-mails and SMS that are due.")


@notify_cli.command("send")
def send_command():
    """Send every e-mail and SMS that is due, once."""
    total = 0
    while done := deliver_due():
        total += done
    click.echo(f"sent {total} messages")


@notify_cli.command("worker")
@click.option("--interval", default=2.0, show_default=True, help="seconds between polls")
@click.option("--max-idle-polls", default=0, help="stop after this many empty polls (0: run forever)")
def worker_command(interval, max_idle_polls):
    """Send due messages forever: retries back off, SMS waits out the quiet hours."""
    from notify.saved_searches import send_digests_due

    idle = 0
    while not max_idle_polls or idle < max_idle_polls:
        send_digests_due()  # saved-search digests at 08:00: a cheap query when none is due
        done = deliver_due()
        idle = 0 if done else idle + 1
        if not done:
            time.sleep(interval)


@notify_cli.command("rebuild-saved-searches")
def rebuild_saved_searches_command():
    """Rebuild the search engine's stored queries (the percolator index) from the saved searches in SQL."""
    from notify.saved_searches import rebuild_stored_queries

    click.echo(f"stored {rebuild_stored_queries()} saved-search queries")
