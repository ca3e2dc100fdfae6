"""`flask ingest ...`: run or resume an import with a progress bar, list the source formats and the quarantine."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.errors import ServiceError
from core.extensions import db
from ingest import services
from ingest.adapters import adapters
from ingest.models import QuarantinedRow
from ingest.normalise import problem_text

ingest_cli = AppGroup("ingest", help="Import care-home lists from official and provider files.")


def _user(email):
    from accounts.models import User

    if not email:
        return None
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or user.role not in ("regulator", "admin"):
        raise click.ClickException(f"no regulator or admin with the e-mail {email}")
    return user


@ingest_cli.command("run")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", help="Import as this regulator (rows outside their jurisdiction are quarantined).")
@click.option("--batch-size", default=services.DEFAULT_BATCH, show_default=True, help="Rows per commit.")
def run_command(source, file, email, batch_size):
    """Import FILE with the adapter SOURCE; re-running a file changes nothing, a killed run resumes."""
    user = _user(email)
    try:
        with open(file, "rb") as fh:
            kept = services.store_file(fh, file.name, user)
        run, created = services.start_run(source, kept, user)
        if not created and run.status == "done":
            click.echo(f"already imported as run {run.id}: nothing changed")
        else:
            with click.progressbar(length=run.rows_total or 1, label=f"run {run.id}") as bar:
                bar.update(run.rows_done)
                services.execute_run(run, on_progress=bar.update, batch_size=batch_size)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    _report(run)
    _sync_search()


def _report(run):
    counts = " ".join(f"{k}={v}" for k, v in run.counts().items())
    click.echo(f"run {run.id} {run.status}: rows={run.rows_done} {counts}")


@ingest_cli.command("resume")
@click.option("--run", "run_id", type=int, help="Only this run.")
@click.option("--batch-size", default=services.DEFAULT_BATCH, show_default=True, help="Rows per commit.")
def resume_command(run_id, batch_size):
    """Finish the imports whose process died (left running without a heartbeat); safe to run from cron."""
    runs = [r for r in services.resumable_runs() if run_id in (None, r.id)]
    if not runs:
        click.echo("nothing to resume")
    failed = False
    for run in runs:
        try:
            with click.progressbar(length=run.rows_total or 1, label=f"run {run.id}") as bar:
                bar.update(run.rows_done)
                services.execute_run(run, on_progress=bar.update, batch_size=batch_size)
        except ServiceError as exc:
            click.echo(f"run {run.id}: {exc.message}", err=True)
            failed = failed or exc.code != "import_running"  # a live run of the source: it finishes there
            continue
        _report(run)
    _sync_search()
    if failed:
        raise click.exceptions.Exit(1)


def _sync_search():
    """Bring the search index up to the imported rows (inline sync), as a request that wrote would."""
    from flask import current_app

    from search import outbox
    from search.backend import current_backend

    if current_app.config.get("SEARCH_SYNC") == "inline" and outbox.pending_count():
        outbox.drain(current_backend())


@ingest_cli.command("sources")
def sources_command():
    """List the source formats (adapters) with their units and coordinate systems."""
    for code, adapter in adapters().items():
        click.echo(f"{code}\t{adapter.label}\tscope={adapter.scope}\tprice=yuan/{adapter.price_unit}"
                   f"\tgrade={adapter.grade_scale}\tcoords={adapter.coord_system or 'none'}")
    from ingest.models import SourceMapping

    for mapping in db.session.scalars(sa.select(SourceMapping).order_by(SourceMapping.code)):
        click.echo(f"{mapping.code}\t{mapping.label}\tsaved mapping v{mapping.version}"
                   f"\tjurisdiction={mapping.jurisdiction_code or 'all'}")


@ingest_cli.command("quarantine")
@click.option("--run", "run_id", type=int, help="Only this run's rows.")
def quarantine_command(run_id):
    """List the open quarantined rows with their reasons."""
    stmt = sa.select(QuarantinedRow).where(QuarantinedRow.status == "open").order_by(QuarantinedRow.id)
    if run_id:
        stmt = stmt.where(QuarantinedRow.run_id == run_id)
    for row in db.session.scalars(stmt):
        reasons = "; ".join(problem_text(p) for p in row.problems)
        click.echo(f"#{row.id} run {row.run_id} row {row.row_number} {row.data.get('name', '')}: {reasons}")


@ingest_cli.command("mapping-export")
@click.argument("code")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
def mapping_export_command(code, out):
    """Export the saved source mapping CODE as TOML (the shape of ingest/adapters/*.toml)."""
    from ingest import mappings

    try:
        text = mappings.export_toml(code)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text)


@ingest_cli.command("mapping-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", required=True, help="Save as this regulator (their jurisdiction) or admin.")
def mapping_import_command(file, email):
    """Save the source mapping in the TOML FILE (a new version when its code exists)."""
    from ingest import mappings

    try:
        mapping = mappings.import_toml(file.read_text(encoding="utf-8"), _user(email))
    except ServiceError as exc:
        details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"saved {mapping.code} version {mapping.version}")
