"""`flask costs ...`: load the shipped policy facts (idempotent), list facts due for re-verification, import
homes' insurance designations from a list."""

import csv

import click
from flask.cli import AppGroup

from core.errors import ServiceError
from costs.services import import_designations, list_stale_facts, load_seed_facts

costs_cli = AppGroup("costs", help="Policy facts behind the cost estimator and the cross-province panel.")


@costs_cli.command("load-facts")
@click.option("--replace-edits", is_flag=True, help="publish a newer shipped seed over facts edited on the site")
def load_facts_command(replace_edits):
    """Publish costs/data/facts.json as a facts version, unless that seed is already loaded."""
    try:
        version, loaded = load_seed_facts(replace_edits)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    word = "loaded" if loaded else "already loaded"
    click.echo(f"facts seed {version.seed_version} {word}: version {version.number}, {len(version.facts)} facts")


@costs_cli.command("list-stale-facts")
def list_stale_command():
    """List the current facts last verified over a year ago (the daily job does this too)."""
    click.echo(f"{list_stale_facts()} facts due for re-verification")


@costs_cli.command("import-designations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_designations_command(path):
    """Import designations (CSV: licence_no or home_id, kind, scheme_region, source, source_date); all or none."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    try:
        count = import_designations(rows)
    except ServiceError as exc:
        lines = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {lines}") from exc
    click.echo(f"imported {count} designations")
