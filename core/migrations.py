"""Flask-Migrate where migrations run, and nowhere else.

Flask-Migrate brings Alembic, Mako and Pygments (~11 MiB in every process that imports it). Only the `flask db`
commands and code that upgrades a database itself need them, so a web or search worker never imports them: the
`db` command group is resolved to Flask-Migrate's own when it is first used, after `bind` has set the extension
up (as code calling Flask-Migrate's functions directly would have to).
"""

import os

import click
from flask import g
from flask.cli import with_appcontext

DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def bind(app):
    """Bind Flask-Migrate to APP once (batch mode for SQLite, column types compared); return its state."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from core.extensions import db

        Migrate(app, db, directory=DIRECTORY, render_as_batch=True, compare_type=True)
    return app.extensions["migrate"]


class _Commands(click.Group):
    """`flask db ...`: Flask-Migrate's command group, imported on first use."""

    def __init__(self, app):
        super().__init__(
            "db", callback=self._options, help="Perform database migrations (Flask-Migrate).",
            params=[click.Option(["-d", "--directory"], help='Migration script directory (default is "migrations")'),
                    click.Option(["-x", "--x-arg"], multiple=True,
                                 help="Additional arguments consumed by custom env.py scripts")])
        self._app = app

    @staticmethod
    @with_appcontext
    def _options(directory, x_arg):
        g.directory, g.x_arg = directory, x_arg  # what Flask-Migrate's own group sets, read by its get_config

    def _group(self):
        bind(self._app)
        from flask_migrate.cli import db as group

        return group

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)


def init_app(app):
    app.cli.add_command(_Commands(app))
