"""Reads for the quality pages: the homes a regulator rates and the staffing reports still to check."""

import sqlalchemy as sa

from accounts import permissions
from core.extensions import db
from marketplace.models import Home
from quality.models import StaffingReport


def jurisdiction_homes(user, text=None, limit=100):
    """Return up to LIMIT homes USER records quality for (matching TEXT: a name part or a licence number),
    homes with a quality warning first."""
    stmt = sa.select(Home).order_by(Home.quality_warning.desc(), Home.name).limit(limit)
    if user.role != "admin":
        code = user.jurisdiction_code
        stmt = stmt.where(sa.or_(Home.province_code == code, Home.city_code == code))
    if text:
        stmt = stmt.where(sa.or_(Home.name.contains(text, autoescape=True), Home.licence_no == text))
    return [h for h in db.session.scalars(stmt) if permissions.records_quality(user, h)]


def unchecked_reports(user, limit=200):
    """Return (report, home) pairs of staffing reports not yet checked, oldest first, that USER may check."""
    stmt = (sa.select(StaffingReport, Home).join(Home, Home.id == StaffingReport.home_id)
            .where(StaffingReport.checked_at.is_(None)).order_by(StaffingReport.reported_at).limit(limit))
    return [(r, h) for r, h in db.session.execute(stmt) if permissions.records_quality(user, h)]
