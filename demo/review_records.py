"""Demo reviews for demo homes: deterministic, labelled (is_demo), with scores that follow a home's quality."""

import random
from datetime import timedelta

import sqlalchemy as sa

from core.db import utcnow
from core.extensions import db
from marketplace.models import Home
from reviews.models import SUB_SCORES, Review
from reviews.reputation import compute_scores

CHUNK_SIZE = 5000
QUALITY_BY_GRADE = {None: 3.3, 1: 3.1, 2: 3.4, 3: 3.7, 4: 4.0, 5: 4.3}
STATUS_WEIGHTS = {"published": 92, "folded": 3, "rejected": 2, "pending": 3}
RELATIONSHIP_WEIGHTS = {"family": 60, "resident": 30, "visitor": 10}
TEXT_ZH = {
    5: ("护理员非常耐心，老人住得安心，饭菜也合口味。", "环境干净，医护到位，家属探视很方便。"),
    4: ("整体不错，护理细心，就是活动可以再多一些。", "服务周到，价格合理，房间稍小。"),
    3: ("中规中矩，护理还可以，伙食一般。", "设施有些旧，但工作人员态度好。"),
    2: ("护理人员流动大，沟通不够及时。", "饭菜偏咸，房间打扫不够勤。"),
    1: ("收费不透明，投诉后没有回应。", "护理不到位，家属很担心。"),
}
TEXT_EN = {
    5: ("Caring staff and a clean, calm home; my mother is settled.",),
    4: ("Good care overall; the activities could be more varied.",),
    3: ("Adequate care, average food.",),
    2: ("High staff turnover and slow replies to the family.",),
    1: ("Unclear fees and no answer to our complaint.",),
}
# what a regulator would have decided: demo reviews carry a reason like real ones (the queue keeps the pending)
DEMO_DECISIONS = {
    "published": {"reason_code": "meets_guidelines", "decision_statement": ""},
    "folded": {"reason_code": "not_first_hand", "decision_statement": "示例数据：并非亲身经历。"},
    "rejected": {"reason_code": "personal_data", "decision_statement": "示例数据：含有个人信息。"},
}
NO_DECISION = {"reason_code": None, "decision_statement": None}  # every row needs the same keys (executemany)
DEMO_SUFFIX_ZH = "【示例评价】"
DEMO_SUFFIX_EN = " [Demo review]"


def _weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _clamp_score(value):
    return max(1, min(5, round(value)))


def _review_row(rng, review_id, home_id, quality, now):
    overall = _clamp_score(rng.gauss(quality, 0.9))
    created = now - timedelta(days=int(rng.triangular(0, 1095, 0)), seconds=rng.randrange(86400))
    end = (created - timedelta(days=rng.randrange(0, 60))).date()
    status = _weighted(rng, STATUS_WEIGHTS)
    english = rng.random() < 0.15
    text = rng.choice((TEXT_EN if english else TEXT_ZH)[overall]) + (DEMO_SUFFIX_EN if english else DEMO_SUFFIX_ZH)
    return {
        "id": review_id, "home_id": home_id, "relationship": _weighted(rng, RELATIONSHIP_WEIGHTS),
        "period_start": end - timedelta(days=rng.randrange(30, 700)), "period_end": end, "overall": overall,
        "sub_scores": {s: _clamp_score(overall + rng.gauss(0, 0.7)) for s in SUB_SCORES},
        "text": text, "language": "en" if english else "zh", "status": status, "verified": rng.random() < 0.3,
        "is_demo": True, "created_at": created,
        "published_at": created + timedelta(days=2) if status in ("published", "folded") else None,
        **DEMO_DECISIONS.get(status, NO_DECISION),
        "decided_at": created + timedelta(days=2) if status != "pending" else None,
    }


def _homes():
    return db.session.execute(sa.select(Home.id, Home.grade, Home.beds_total).where(Home.is_demo)
                              .order_by(Home.id)).all()


def _allocate(rng, homes, total):
    weights = [max(beds, 10) ** 0.7 * rng.lognormvariate(0, 0.6) for _, _, beds in homes]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(len(homes)), total - sum(counts)) if total > sum(counts) else ():
        counts[i] += 1
    return counts


def _store_scores():
    scores = compute_scores()
    rows = [{"b_id": hid, "score": s, "count": c} for hid, (s, c) in scores.items()]
    stmt = (sa.update(Home.__table__).where(Home.__table__.c.id == sa.bindparam("b_id"))
            .values(review_score=sa.bindparam("score"), review_count=sa.bindparam("count")))
    for start in range(0, len(rows), CHUNK_SIZE):
        db.session.execute(stmt, rows[start:start + CHUNK_SIZE])


def seed_demo_reviews(reviews, seed, now=None):
    """Generate REVIEWS demo reviews over the demo homes from SEED, store them and the homes' scores; commit.

    Bulk inserts bypass the outbox: run `flask search reindex` afterwards (the demo CLI does).
    """
    homes = _homes()
    if not homes or reviews <= 0:
        return 0
    rng, now = random.Random(f"reviews-{seed}"), (now or utcnow()).replace(microsecond=0)
    next_id = (db.session.scalar(sa.select(sa.func.max(Review.id))) or 0) + 1
    batch = []
    for (home_id, grade, _beds), count in zip(homes, _allocate(rng, homes, reviews)):
        quality = QUALITY_BY_GRADE[grade] + rng.gauss(0, 0.4)
        for _ in range(count):
            batch.append(_review_row(rng, next_id, home_id, quality, now))
            next_id += 1
        if len(batch) >= CHUNK_SIZE:
            db.session.execute(sa.insert(Review.__table__), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Review.__table__), batch)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('reviews', 'id'), "
                                   "COALESCE((SELECT MAX(id) FROM reviews), 0) + 1, false)"))
    _store_scores()
    db.session.commit()
    return reviews
