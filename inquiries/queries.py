"""Reads of inquiries: a family's list, a provider's inbox, counts for the provider dashboard."""


import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core import time
from core.extensions import db
from inquiries.models import Inquiry
from marketplace.models import Home


def for_user(user_id):
    """Return the family USER_ID's inquiries, newest first, with their homes."""
    return list(db.session.scalars(sa.select(Inquiry).where(Inquiry.user_id == user_id)
                                   .options(selectinload(Inquiry.home))
                                   .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())))


def for_provider(provider_id, status=None):
    """Return inquiries to the homes of operator PROVIDER_ID (optionally of one STATUS): unanswered first,
    then the most recently active."""
    query = (sa.select(Inquiry).join(Home, Home.id == Inquiry.home_id).where(Home.provider_id == provider_id)
             .options(selectinload(Inquiry.home), selectinload(Inquiry.messages)))
    if status:
        query = query.where(Inquiry.status == status)
    unanswered = sa.and_(Inquiry.awaiting_provider, Inquiry.status != "closed")
    return list(db.session.scalars(query.order_by(sa.case((unanswered, 0), else_=1),
                                                  Inquiry.updated_at.desc(), Inquiry.id.desc())))


def unanswered_count(provider_id):
    """Return how many inquiries to operator PROVIDER_ID's homes wait for the home's answer."""
    return db.session.scalar(sa.select(sa.func.count(Inquiry.id)).join(Home, Home.id == Inquiry.home_id).where(
        Home.provider_id == provider_id, Inquiry.awaiting_provider, Inquiry.status != "closed"))


def counts_by_month(home_ids):
    """Return {"YYYY-MM": {"inquiry": n, "visit": n}} for HOME_IDS, months in Asia/Shanghai, oldest first."""
    home_ids = list(home_ids)
    if not home_ids:
        return {}
    rows = db.session.execute(sa.select(Inquiry.kind, Inquiry.created_at).where(Inquiry.home_id.in_(home_ids)))
    # grouping in Python: the month is a local (Asia/Shanghai) one, which SQLite cannot compute in SQL;
    # two columns per inquiry stay cheap for the volumes one operator gets
    counts = {}
    for kind, created_at in rows:
        month = created_at.astimezone(time.business_tz()).strftime("%Y-%m")
        counts.setdefault(month, {"inquiry": 0, "visit": 0})[kind] += 1
    return dict(sorted(counts.items()))
