"""Recording quality records recomputes the rating every time an input changes, and the rating reaches search."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from quality import services
from quality.models import QualityRating, Sanction
from search import outbox
from search.backend import current_backend
from search.query import SearchQuery
from tests.quality.conftest import rate_home


def _rating(home):
    db.session.expire_all()
    return db.session.scalar(sa.select(QualityRating).where(QualityRating.home_id == home.id))


def _stars(home):
    db.session.expire_all()
    fresh = db.session.get(Home, home.id)
    return fresh.quality_stars, fresh.quality_warning


def test_a_home_without_records_has_no_rating_row_and_no_stars(people):
    assert services.rating_of(people["home"].id) is None
    assert _stars(people["home"]) == (None, False)


def test_each_record_recomputes_the_rating(people):
    home, reg, today = people["home"], people["reg_in"], time.today()
    services.record_inspection(home, reg, today - timedelta(days=10), "routine")
    assert _rating(home).overall is None and _stars(home) == (None, False)  # one part: not enough data
    services.record_grade(home, reg, 3, "苏州市民政局", today - timedelta(days=10), today + timedelta(days=100))
    assert _rating(home).overall == 4  # inspections 5, grade 3: (2.0 + 0.6) / 0.6 = 4.33
    services.record_inspection(home, reg, today - timedelta(days=2), "complaint",
                               findings=[("critical", "widespread", "跌倒未上报")])
    assert _rating(home).sub_ratings["inspections"]["stars"] < 5
    before = _rating(home).overall
    services.record_sanction(home, reg, "corrective_order", "serious", today - timedelta(days=5))
    assert _stars(home) == (min(before, 2), True)


def test_a_provider_report_counts_only_after_a_regulator_checks_it(people):
    home, today = people["home"], time.today()
    rate_home(home, people["reg_in"], grade=2)
    assert _rating(home).overall == 4  # inspections 5, grade 2: (2.0 + 0.4) / 0.6 = 4.0
    report = services.report_staffing(home, people["provider"], today - timedelta(days=3), 100, 10, 0)
    assert _rating(home).sub_ratings["staffing"]["reason"] == "unchecked" and _rating(home).overall == 4
    services.check_staffing(report, people["reg_in"])
    rating = _rating(home)  # staffing 0.10 -> 1, nursing share 0 -> 1: (2.0 + 0.4 + 0.2) / 0.8 = 3.25 -> 3
    assert rating.sub_ratings["staffing"]["stars"] == 1 and rating.overall == 3
    with pytest.raises(ServiceError):
        services.check_staffing(report, people["reg_in"])


def test_resolving_a_sanction_keeps_the_cap_for_twelve_months(people):
    home, today = people["home"], time.today()
    rate_home(home, people["reg_in"], grade=5)
    sanction = services.record_sanction(home, people["reg_in"], "fine", "serious", today - timedelta(days=30))
    services.resolve_sanction(db.session.get(Sanction, sanction.id), people["reg_in"], today)
    assert _stars(home) == (2, True)
    with pytest.raises(ServiceError) as caught:
        services.resolve_sanction(db.session.get(Sanction, sanction.id), people["reg_in"], today)
    assert caught.value.status == 409


def test_a_review_score_change_recomputes_the_rating(people):
    from reviews.services import refresh_review_scores  # the path the reviews package uses

    home = people["home"]
    rate_home(home, people["reg_in"], grade=5)
    assert _rating(home).sub_ratings["experience"]["stars"] is None and _stars(home) == (5, False)
    _publish_reviews(home, [1] * 12)  # the only reviews of the region: a score near 1
    refresh_review_scores([home.id])
    rating = _rating(home)
    score = db.session.get(Home, home.id).review_score
    assert score < 2.25  # below the 2-star threshold of rules v1, whatever the reviews' shrinkage
    assert rating.sub_ratings["experience"] == {"stars": 1, "score": score, "reviews": 12}
    assert _stars(home) == (4, False)  # inspections 5, grade 5, experience 1: (2.0 + 1.0 + 0.2) / 0.8 = 4.0


def test_setting_the_review_score_directly_also_recomputes_at_commit(people):
    home = people["home"]
    rate_home(home, people["reg_in"], grade=3)
    assert _stars(home)[0] == 4  # (2.0 + 0.6) / 0.6 = 4.33
    fresh = db.session.get(Home, home.id)
    fresh.review_score, fresh.review_count = 4.9, 30
    db.session.commit()
    assert _rating(home).sub_ratings["experience"]["stars"] == 5
    assert _stars(home)[0] == 5  # (2.0 + 0.6 + 1.0) / 0.8 = 4.5, halves up


def test_a_rolled_back_review_change_recomputes_nothing(people):
    home = people["home"]
    rate_home(home, people["reg_in"], grade=3)
    computed_at = _rating(home).computed_at
    fresh = db.session.get(Home, home.id)
    fresh.review_score, fresh.review_count = 1.0, 30
    db.session.flush()
    db.session.rollback()
    home.name = "改名"
    db.session.commit()
    assert _rating(home).computed_at == computed_at


def _publish_reviews(home, overalls):
    from core.db import utcnow
    from reviews.models import Review

    today = time.today()
    for overall in overalls:
        db.session.add(Review(home_id=home.id, relationship="family", period_start=today - timedelta(days=60),
                              period_end=today - timedelta(days=30), overall=overall, status="published",
                              published_at=utcnow()))
    db.session.commit()


def test_the_rating_reaches_search_through_the_outbox(people):
    home = people["home"]
    outbox.drain(current_backend())
    version = db.session.get(Home, home.id).version
    rate_home(home, people["reg_in"], grade=4)
    assert db.session.get(Home, home.id).version > version  # the home was queued for re-indexing
    outbox.drain(current_backend())
    hits = current_backend().search(SearchQuery(min_quality=5, per_page=100)).hits
    assert [h.id for h in hits] == [home.id] and hits[0].doc["quality_stars"] == 5
    services.record_sanction(home, people["reg_in"], "warning", "serious", time.today())
    outbox.drain(current_backend())
    assert current_backend().search(SearchQuery(min_quality=3)).total == 0
    hit = current_backend().search(SearchQuery(min_quality=2)).hits[0]
    assert hit.doc["quality_stars"] == 2 and hit.doc["quality_warning"] is True


@pytest.mark.parametrize(("call", "field"), [
    (lambda h, u, t: services.record_inspection(h, u, t + timedelta(days=3), "routine"), "inspected_on"),
    (lambda h, u, t: services.record_inspection(h, u, t, "party"), "kind"),
    (lambda h, u, t: services.record_inspection(h, u, t, "routine", findings=[("awful", "isolated", "")]),
     "findings-0-severity"),
    (lambda h, u, t: services.record_sanction(h, u, "fine", "serious", t, resolved_on=t - timedelta(days=1)),
     "resolved_on"),
    (lambda h, u, t: services.record_grade(h, u, 6, "局", t, t), "level"),
    (lambda h, u, t: services.record_grade(h, u, 3, "局", t, t - timedelta(days=1)), "valid_until"),
    (lambda h, u, t: services.record_grade(h, u, 3, "  ", t, t), "issuing_body"),
    (lambda h, u, t: services.report_staffing(h, u, t, 10, 3, 4), "nurses"),
    (lambda h, u, t: services.report_staffing(h, u, t, 0, 3, 1), "residents"),
])
def test_invalid_records_are_refused_naming_the_field_and_change_nothing(people, call, field):
    with pytest.raises(ServiceError) as caught:
        call(people["home"], people["reg_in"], time.today())
    assert field in caught.value.fields and caught.value.status == 400
    db.session.rollback()
    assert services.rating_of(people["home"].id) is None


def test_a_grade_certificate_in_force_updates_the_listing_grade(people):
    home, today = people["home"], time.today()
    services.record_grade(home, people["reg_in"], 4, "苏州市民政局", today - timedelta(days=5),
                          today + timedelta(days=365), certificate_no="SZ-9")
    fresh = db.session.get(Home, home.id)
    assert (fresh.grade, fresh.grade_valid_until) == (4, today + timedelta(days=365))
    assert "SZ-9" in fresh.grade_source


def test_recompute_ratings_covers_every_home(people):
    rate_home(people["home"], people["reg_in"])
    assert services.recompute_ratings() == db.session.scalar(sa.select(sa.func.count()).select_from(Home))
