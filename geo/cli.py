"""`flask geo ...` commands."""

import click
from flask.cli import AppGroup

from geo import services

geo_cli = AppGroup("geo", help="Region reference data.")


@geo_cli.command("load-regions")
def load_regions_command():
    """Load the 4 provinces, 41 cities and 305 districts into the regions table."""
    click.echo(f"regions loaded: {services.load_regions()}")
