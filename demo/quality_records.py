"""Demo quality records for demo homes: deterministic (seed and date), labelled (is_demo, 示例), made up.

Each demo home gets from one seeded Random: 0-3 inspections over the last three years whose findings follow
its grade, sometimes a sanction, a grade certificate matching its listing's grade, and usually a staffing
report (mostly checked). Ratings are then computed by the same rules as real homes (quality/rules.py).
"""

import random
from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from core import time
from core.db import utcnow
from core.extensions import db
from marketplace.models import Home
from quality import rules
from quality.models import Finding, GradeCertificate, Inspection, QualityRating, Sanction, StaffingReport

CHUNK_SIZE = 5000
DEMO_NOTE = "示例数据（虚构）/ demo data, made up"
# chance that a finding has each severity, by the home's grade (None: ungraded)
FINDINGS_PER_INSPECTION = {None: 2.5, 1: 3.0, 2: 2.2, 3: 1.5, 4: 0.9, 5: 0.5}
SEVERITY_WEIGHTS = {"minor": 60, "moderate": 30, "serious": 8, "critical": 2}
SCOPE_WEIGHTS = {"isolated": 70, "pattern": 22, "widespread": 8}
SANCTION_KINDS = {"corrective_order": 60, "warning": 25, "fine": 12, "admission_suspension": 3}


def _pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _poisson(rng, mean):
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count, product = count + 1, product * rng.random()
    return count


class _Rows:
    """Rows per table for bulk inserts, with explicit ids continuing each table's maximum."""

    TABLES = {"inspections": Inspection, "findings": Finding, "sanctions": Sanction,
              "certificates": GradeCertificate, "staffing": StaffingReport}

    def __init__(self):
        self.rows = {name: [] for name in self.TABLES}
        self.next_id = {name: (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
                        for name, model in self.TABLES.items()}

    def add(self, table, **row):
        row["id"] = self.next_id[table]
        self.next_id[table] += 1
        self.rows[table].append(row)
        return row["id"]

    def insert(self):
        for name, model in self.TABLES.items():  # parents first (findings after inspections)
            batch = self.rows[name]
            for start in range(0, len(batch), CHUNK_SIZE):
                db.session.execute(sa.insert(model.__table__), batch[start:start + CHUNK_SIZE])
        if db.session.get_bind().dialect.name == "postgresql":
            for model in self.TABLES.values():
                table = model.__tablename__
                db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def _inspections(rng, rows, home, today, now):
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        day = today - timedelta(days=rng.randint(20, 1080))
        inspection_id = rows.add("inspections", home_id=home.id, inspected_on=day,
                                 kind=rng.choice(("routine", "routine", "routine", "follow_up", "complaint")),
                                 inspector=f"{DEMO_NOTE} 民政局检查组", summary=DEMO_NOTE, source="demo",
                                 is_demo=True, recorded_by_id=None, created_at=now)
        for _ in range(_poisson(rng, FINDINGS_PER_INSPECTION[home.grade])):
            rows.add("findings", inspection_id=inspection_id, severity=_pick(rng, SEVERITY_WEIGHTS),
                     scope=_pick(rng, SCOPE_WEIGHTS), description=DEMO_NOTE)


def _sanction(rng, rows, home, today, now):
    if rng.random() >= 0.06:
        return
    issued = today - timedelta(days=rng.randint(10, 700))
    resolved = issued + timedelta(days=rng.randint(20, 120))
    rows.add("sanctions", home_id=home.id, kind=_pick(rng, SANCTION_KINDS),
             severity="serious" if rng.random() < 0.35 else "minor", issued_on=issued,
             resolved_on=resolved if resolved <= today and rng.random() < 0.7 else None, description=DEMO_NOTE,
             source="demo", is_demo=True, recorded_by_id=None, created_at=now)


def _certificate(rows, home, now):
    if home.grade is None or home.grade_valid_until is None:
        return
    rows.add("certificates", home_id=home.id, level=home.grade, issuing_body=f"{DEMO_NOTE} 民政局",
             certificate_no=f"DEMO-{home.id}", issued_on=home.grade_valid_until - timedelta(days=3 * 365),
             valid_until=home.grade_valid_until, source="demo", is_demo=True, recorded_by_id=None, created_at=now)


def _staffing(rng, rows, home, today, now):
    if rng.random() >= 0.75:
        return
    residents = max(10, int(home.beds_total * rng.uniform(0.5, 0.95)))
    ratio = max(0.08, rng.gauss(0.16 + 0.04 * (home.grade or 1), 0.06))
    care_staff = max(1, round(residents * ratio))
    checked = rng.random() < 0.8
    rows.add("staffing", home_id=home.id, as_of=today - timedelta(days=rng.randint(10, 400)), residents=residents,
             care_staff=care_staff, nurses=min(care_staff, round(care_staff * rng.uniform(0.02, 0.25))),
             is_demo=True, reported_by_id=None, reported_at=now, checked_by_id=None,
             checked_at=now if checked else None)


def seed_demo_quality(seed, now=None, today=None):
    """Generate quality records for demo homes without any, from SEED, then compute demo ratings; no commit."""
    now = (now or utcnow()).replace(microsecond=0)
    today = today or time.today()
    rng, rows = random.Random(f"quality-{seed}"), _Rows()
    stmt = (sa.select(Home.id, Home.grade, Home.grade_valid_until, Home.beds_total)
            .where(Home.is_demo, ~sa.exists().where(Inspection.home_id == Home.id)).order_by(Home.id))
    for home in db.session.execute(stmt).all():
        _inspections(rng, rows, home, today, now)
        _sanction(rng, rows, home, today, now)
        _certificate(rows, home, now)
        _staffing(rng, rows, home, today, now)
    rows.insert()
    return store_demo_ratings(today, now)


def _grouped(model, home_ids):
    grouped = defaultdict(list)
    for row in db.session.execute(sa.select(model.__table__).where(model.__table__.c.home_id.in_(home_ids))):
        grouped[row.home_id].append(row)
    return grouped


def _records_of(home_ids):
    """Load every demo input in a few queries: {home id: records} as rules.compute_rating reads them."""
    findings = defaultdict(list)
    inspection_ids = sa.select(Inspection.id).where(Inspection.home_id.in_(home_ids))
    for row in db.session.execute(sa.select(Finding.__table__).where(Finding.inspection_id.in_(inspection_ids))):
        findings[row.inspection_id].append(row)
    inspections = _grouped(Inspection, home_ids)
    sanctions, certificates = _grouped(Sanction, home_ids), _grouped(GradeCertificate, home_ids)
    staffing = _grouped(StaffingReport, home_ids)
    return {hid: {"inspections": [SimpleNamespace(inspected_on=i.inspected_on, findings=findings[i.id])
                                  for i in inspections[hid]],
                  "sanctions": sanctions[hid], "certificates": certificates[hid],
                  "staffing": [_report(s) for s in staffing[hid]]} for hid in home_ids}


def _report(row):
    return SimpleNamespace(id=row.id, as_of=row.as_of, staff_ratio=row.care_staff / row.residents,
                           nursing_share=row.nurses / row.care_staff if row.care_staff else 0.0,
                           checked=row.checked_at is not None)


def store_demo_ratings(today=None, now=None):
    """Compute and store the ratings of every demo home in bulk (after demo reviews change scores); no commit.

    Bulk writes bypass the outbox: the demo CLI rebuilds the search index afterwards.
    """
    today, now = today or time.today(), now or utcnow()
    homes = db.session.execute(sa.select(Home.id, Home.review_score, Home.review_count, Home.updated_at)
                               .where(Home.is_demo).order_by(Home.id)).all()
    for start in range(0, len(homes), CHUNK_SIZE):
        _store_batch(homes[start:start + CHUNK_SIZE], today, now)
    return len(homes)


def _store_batch(homes, today, now):
    ids = [h.id for h in homes]
    records = _records_of(ids)
    ratings, updates = [], []
    for home in homes:
        result = rules.compute_rating({**records[home.id], "review_score": home.review_score,
                                       "review_count": home.review_count or 0}, today)
        ratings.append({"home_id": home.id, "rules_id": result["rules_id"], "overall": result["overall"],
                        "capped": result["capped"], "warning": result["warning"], "computed_on": today,
                        "computed_at": now, "sub_ratings": {**result["sub_ratings"], "uncapped": result["uncapped"],
                                                            "capping_sanctions": result["capping_sanctions"]}})
        # updated_at is written as it was: the listing did not change, and the demo stays deterministic
        updates.append({"b_id": home.id, "stars": result["overall"], "warning": result["warning"],
                        "updated": home.updated_at})
    db.session.execute(sa.delete(QualityRating.__table__).where(QualityRating.__table__.c.home_id.in_(ids)))
    db.session.execute(sa.insert(QualityRating.__table__), ratings)
    homes_table = Home.__table__
    db.session.execute(sa.update(homes_table).where(homes_table.c.id == sa.bindparam("b_id")).values(
        quality_stars=sa.bindparam("stars"), quality_warning=sa.bindparam("warning"),
        updated_at=sa.bindparam("updated")), updates)


def refresh_demo_ratings():
    """Recompute every demo home's rating (after demo reviews set review scores in bulk) and commit."""
    count = store_demo_ratings()
    db.session.commit()
    return count
