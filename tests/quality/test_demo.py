"""Demo quality data: deterministic, labelled, and rated by the same rules as real homes."""

from datetime import UTC, datetime

import sqlalchemy as sa

from core.extensions import db
from demo.market import delete_demo, local_date, seed_demo
from demo.quality_records import refresh_demo_ratings
from marketplace.models import Home
from quality import rules
from quality.models import GradeCertificate, Inspection, QualityRating, Sanction, StaffingReport
from quality.services import home_records

NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


def _snapshot():
    rows = db.session.execute(sa.select(Home.licence_no, Home.quality_stars, Home.quality_warning)
                              .order_by(Home.licence_no)).all()
    inspections = db.session.execute(sa.select(Inspection.inspected_on, Inspection.kind)
                                     .order_by(Inspection.id)).all()
    return rows, inspections


def test_the_demo_gets_the_same_records_and_ratings_for_the_same_seed(app):
    seed_demo(120, seed=3, now=NOW)
    first = _snapshot()
    delete_demo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 0
    seed_demo(120, seed=3, now=NOW)
    assert _snapshot() == first


def test_demo_records_are_labelled_and_ratings_follow_the_rules(app):
    seed_demo(200, seed=4, now=NOW)
    for model in (Inspection, Sanction, GradeCertificate, StaffingReport):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.is_demo.is_(False))) == 0
    homes = db.session.scalars(sa.select(Home).order_by(Home.id)).all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QualityRating)) == len(homes)
    stars = {h.quality_stars for h in homes}
    assert None in stars and len(stars - {None}) >= 3  # some homes lack data, the rest spread over the scale
    today = local_date(NOW)
    for home in homes[:60]:  # the bulk computation equals the one-home computation
        expected = rules.compute_rating(home_records(home), today)
        assert (home.quality_stars, home.quality_warning) == (expected["overall"], expected["warning"])


def test_demo_review_scores_feed_the_experience_part(app):
    seed_demo(50, seed=5, now=NOW)
    home = db.session.scalar(sa.select(Home).order_by(Home.id))
    db.session.execute(sa.update(Home.__table__).where(Home.__table__.c.id == home.id)
                       .values(review_score=4.8, review_count=40))  # as the demo reviews write scores: in bulk
    refresh_demo_ratings()
    rating = db.session.scalar(sa.select(QualityRating).where(QualityRating.home_id == home.id))
    assert rating.sub_ratings["experience"] == {"stars": 5, "score": 4.8, "reviews": 40}


def test_the_demo_command_rates_homes_with_their_demo_reviews(app, runner):
    result = runner.invoke(args=["demo", "seed", "--homes", "40", "--reviews", "400", "--seed", "2"])
    assert result.exit_code == 0, result.output
    with_reviews = db.session.scalars(sa.select(QualityRating).join(Home, Home.id == QualityRating.home_id)
                                      .where(Home.review_count >= 5)).all()
    assert with_reviews and all(r.sub_ratings["experience"]["stars"] is not None for r in with_reviews)


def test_the_recompute_command_recomputes_every_home(app, runner):
    seed_demo(30, seed=6, now=NOW)
    db.session.execute(sa.delete(QualityRating.__table__))
    db.session.commit()
    result = runner.invoke(args=["quality", "recompute"])
    assert result.exit_code == 0 and "recomputed 30 ratings" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QualityRating)) == 30
