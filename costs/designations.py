"""Which homes take which insurance: a home's designations, with their own source and date.

A designation is imported (a regulator's or insurer's list: it counts at once) or declared by the home's
operator (it counts once a regulator of the home's place confirms it). The home's feature flags (ltci,
cross_province_settlement, medical_insurance) follow its designations for its own city, so search filters
agree with the panel.
"""

import sqlalchemy as sa

from core.extensions import db
from costs.models import HomeDesignation


def _active(home_id):
    return db.session.scalars(sa.select(HomeDesignation).where(
        HomeDesignation.home_id == home_id, HomeDesignation.status == "confirmed")).all()


def designated_schemes(home):
    """Return the insuring cities whose LTCI designates HOME (confirmed designations; else its ltci flag)."""
    if home.id is None:  # a transient home (the editor's preview) names its schemes itself
        return frozenset(getattr(home, "preview_schemes", None) or ({home.city_code} if home.ltci else ()))
    rows = [d for d in _active(home.id) if d.kind == "ltci"]
    if not rows:
        return frozenset({home.city_code} if home.ltci else ())
    return frozenset(d.scheme_region or home.city_code for d in rows)


def schemes_of_item(item):
    """Return the LTCI schemes designating a search item's home (a dict with id, city_code and features)."""
    rows = [d for d in _active(item["id"]) if d.kind == "ltci"]
    return frozenset(d.scheme_region or item["city_code"] for d in rows)


def designations_of(home):
    """Return every designation of HOME (any status), newest first, as plain data for pages and the API."""
    rows = db.session.scalars(sa.select(HomeDesignation).where(HomeDesignation.home_id == home.id)
                              .order_by(HomeDesignation.id.desc())).all()
    return [{"id": d.id, "kind": d.kind, "scheme_region": d.scheme_region or home.city_code, "basis": d.basis,
             "status": d.status, "source": d.source,
             "source_date": d.source_date.isoformat() if d.source_date else None} for d in rows]
