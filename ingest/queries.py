"""Reads for the import pages: runs, quarantined rows and conflicts, scoped to what a regulator oversees."""

import sqlalchemy as sa

from core.extensions import db
from geo.gazetteer import gazetteer
from ingest.models import ImportConflict, ImportRun, QuarantinedRow
from marketplace.models import Home


def visible_codes(user):
    """Return the jurisdiction codes of the runs USER sees (None: all, for admins)."""
    if user.role == "admin":
        return None
    code = user.jurisdiction_code
    return [code] + [c.code for c in gazetteer().cities_of(code)] if gazetteer().province(code) else [code]


def _scoped(stmt, user):
    codes = visible_codes(user)
    return stmt if codes is None else stmt.where(ImportRun.jurisdiction_code.in_(codes))


def recent_runs(user, limit):
    """Return the LIMIT most recent runs USER oversees, newest first."""
    return db.session.scalars(_scoped(sa.select(ImportRun).order_by(ImportRun.id.desc()), user).limit(limit)).all()


def get_run(run_id):
    """Return run RUN_ID, or None."""
    return db.session.get(ImportRun, run_id)


def run_rows(run, limit):
    """Return the first LIMIT quarantined rows of RUN, in file order."""
    return db.session.scalars(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
                              .order_by(QuarantinedRow.row_number).limit(limit)).all()


def run_conflicts(run, limit):
    """Return the first LIMIT conflicts RUN raised."""
    return db.session.scalars(sa.select(ImportConflict).where(ImportConflict.run_id == run.id)
                              .order_by(ImportConflict.id).limit(limit)).all()


def open_quarantine(user, limit=200):
    """Return the open quarantined rows of the runs USER oversees, oldest first."""
    stmt = _scoped(sa.select(QuarantinedRow).join(ImportRun, ImportRun.id == QuarantinedRow.run_id)
                   .where(QuarantinedRow.status == "open").order_by(QuarantinedRow.id).limit(limit), user)
    return db.session.scalars(stmt).all()


def row_context(row):
    """Return (the home ROW may be a duplicate of, the run that resolved it), each or None."""
    candidate = db.session.get(Home, row.candidate_home_id) if row.candidate_home_id else None
    resolver = db.session.get(ImportRun, row.resolved_run_id) if row.resolved_run_id else None
    return candidate, resolver


def open_conflicts(limit=200):
    """Return (conflict, home) pairs of the open conflicts, oldest first."""
    return db.session.execute(sa.select(ImportConflict, Home).join(Home, Home.id == ImportConflict.home_id)
                              .where(ImportConflict.status == "open").order_by(ImportConflict.id).limit(limit)).all()


def home_of(conflict):
    """Return the home CONFLICT is about."""
    return db.session.get(Home, conflict.home_id)
