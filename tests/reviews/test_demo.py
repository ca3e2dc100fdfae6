"""Demo reviews: seeded over demo homes, labelled, without authors; scores follow them; queue and pages work."""

import sqlalchemy as sa

from core.extensions import db
from demo.review_records import DEMO_SUFFIX_EN, DEMO_SUFFIX_ZH, seed_demo_reviews
from marketplace.models import Home
from reviews.models import Review
from tests.factories import login_as, make_home


def test_demo_reviews_are_labelled_scored_and_shown(app, client):
    homes = [make_home("320508", is_demo=True, grade=g) for g in (1, 3, 5)]
    assert seed_demo_reviews(120, seed=7) == 120
    reviews = db.session.scalars(sa.select(Review)).all()
    assert len(reviews) == 120 and all(r.is_demo and r.author_id is None and not r.superseded for r in reviews)
    assert all(r.text.endswith((DEMO_SUFFIX_ZH, DEMO_SUFFIX_EN)) for r in reviews)
    assert {r.status for r in reviews} <= {"published", "folded", "rejected", "pending"}
    assert all(r.reason_code for r in reviews if r.status != "pending")  # decided like real ones, with a reason
    counted = {h.id: sum(1 for r in reviews if r.home_id == h.id and r.status == "published") for h in homes}
    for home in homes:
        stored = db.session.get(Home, home.id)
        assert stored.review_count == counted[home.id]
        if stored.review_count:
            assert 1 <= stored.review_score <= 5
        else:
            assert stored.review_score is None  # no published review: no score (unknown stays unknown)
    busiest = max(homes, key=lambda h: counted[h.id])
    page = client.get(f"/homes/{busiest.id}").get_data(as_text=True)
    assert "badge demo" in page


def test_pending_demo_reviews_can_be_moderated(app, client):
    from tests.factories import make_user

    make_home("320508", is_demo=True)
    seed_demo_reviews(200, seed=3)
    pending = db.session.scalars(sa.select(Review).where(Review.status == "pending")).first()
    assert pending is not None
    login_as(client, make_user("regulator", jurisdiction="320000"))
    assert f'id="queue-{pending.id}"' in client.get("/regulator/reviews/").get_data(as_text=True)
