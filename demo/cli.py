"""`flask demo ...`: seed the deterministic demo market and rebuild the search index from it."""

import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.extensions import db
from demo.market import delete_demo, seed_demo
from demo.quality_records import refresh_demo_ratings
from demo.review_records import seed_demo_reviews
from marketplace.models import Home

demo_cli = AppGroup("demo", help="Demo data: a generated care-home market, every row labelled as demo.")


def _home_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Home))


def _reindex():
    # bulk inserts bypass the outbox hook, so the index is rebuilt from SQL instead of drained
    from marketplace.search_documents import iter_all_documents
    from search.backend import current_backend

    return current_backend().reindex(iter_all_documents())


@demo_cli.command("seed")
@click.option("--homes", default=3000, show_default=True, type=click.IntRange(min=0), help="homes to generate")
@click.option("--seed", default=1, show_default=True, help="random seed: the same seed gives the same market")
@click.option("--reviews", default=0, show_default=True, type=click.IntRange(min=0),
              help="demo reviews to generate over the demo homes")
@click.option("--if-empty", is_flag=True, help="do nothing when any home exists (for start-up scripts)")
@click.option("--replace", is_flag=True, help="delete existing demo homes first")
def seed_command(homes, seed, reviews, if_empty, replace):
    """Generate a deterministic demo market, then rebuild the search index."""
    existing = _home_count()
    if existing and if_empty:
        click.echo(f"{existing} homes exist; nothing seeded")
        return
    if existing and not replace:
        raise click.ClickException(f"{existing} homes exist; use --replace to delete demo homes first "
                                   "or --if-empty to skip")
    if existing:
        deleted = delete_demo()
        click.echo(f"deleted {deleted['homes']} demo homes and {deleted['providers']} demo operators")
    started = time.monotonic()
    counts = seed_demo(homes, seed)
    counts["reviews"] = seed_demo_reviews(reviews, seed)
    refresh_demo_ratings()  # demo review scores are an input of the quality ratings
    seeded_s = time.monotonic() - started
    indexed = _reindex()
    click.echo(f"seeded {counts['homes']} homes, {counts['providers']} operators, {counts['fee_items']} fee "
               f"items, {counts['vacancies']} vacancies, {counts['reviews']} reviews (seed={seed}) "
               f"in {seeded_s:.1f}s; indexed {indexed} homes")
