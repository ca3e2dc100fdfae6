"""`flask quality ...`: recompute ratings (nightly: recency weights and certificate expiry move with the date)."""

import click
from flask.cli import AppGroup

from quality.services import recompute_ratings

quality_cli = AppGroup("quality", help="Quality ratings computed from the published rules (quality/rules).")


@quality_cli.command("recompute")
@click.option("--home", "home_ids", multiple=True, type=int, help="only these home ids (repeatable)")
def recompute_command(home_ids):
    """Recompute quality ratings under the current rules, for today's date."""
    count = recompute_ratings(list(home_ids) or None)
    click.echo(f"recomputed {count} ratings")
