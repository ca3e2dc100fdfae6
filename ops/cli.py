"""`flask ops ...`: backups and restores."""

import click
from flask.cli import AppGroup

from ops.backup import BackupError, backup_database, restore_database

ops_cli = AppGroup("ops", help="Operating the service: backups and restores.")


@ops_cli.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False))
def backup_command(dest):
    """Write a consistent backup of the database to DEST (the search index is rebuilt on restore)."""
    try:
        kind = backup_database(dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written ({kind}): {dest}")


@ops_cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="restore over a database that is not empty")
@click.option("--no-reindex", is_flag=True, help="leave the search index for a later `flask search reindex`")
def restore_command(source, force, no_reindex):
    """Restore the database from SOURCE, then rebuild the search index from it (SQL first, then the index)."""
    try:
        kind = restore_database(source, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database restored ({kind}) from {source}")
    if no_reindex:
        return
    from search.cli import reindex_command

    click.get_current_context().invoke(reindex_command)
