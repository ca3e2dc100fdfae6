"""Reads of homes from SQL (the system of record) for pages and the API."""

import functools
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from accounts import permissions
from core.errors import NotFound
from core.extensions import db
from marketplace.models import FeeItem, Home, HomeClaim, ListingChange, Provider
from marketplace.portal_models import HomePhoto, HomeView


@functools.cache  # built once: constructing loader options costs more than the query that uses them
def _with_children():
    return (selectinload(Home.fee_items), selectinload(Home.vacancies))


def get_home(home_id):
    """Return the home with HOME_ID (fees and vacancies loaded) or raise NotFound."""
    home = db.session.scalars(sa.select(Home).where(Home.id == home_id).options(*_with_children())).first()
    if home is None:
        raise NotFound(_("No care home with id %(id)s.", id=home_id), {"id": [_("Unknown home.")]})
    return home


def get_homes(home_ids):
    """Return the homes with HOME_IDS in the given order, or raise NotFound naming the missing ids."""
    homes = {h.id: h for h in db.session.scalars(sa.select(Home).where(Home.id.in_(home_ids))
                                                  .options(*_with_children()))}
    missing = [i for i in home_ids if i not in homes]
    if missing:
        raise NotFound(_("No care home with id %(id)s.", id=", ".join(map(str, missing))),
                       {"ids": [_("Unknown home ids: %(ids)s", ids=", ".join(map(str, missing)))]})
    return [homes[i] for i in home_ids]


# --- the regulator's pages: claims and operators to verify in a jurisdiction ---------------------------------


def _place_filter(stmt, user):
    """Narrow a query over Home to USER's jurisdiction in SQL (permissions still decide per row)."""
    if user.role == "admin":
        return stmt
    code = user.jurisdiction_code
    return stmt.where(sa.or_(Home.province_code == code, Home.city_code == code))


def pending_claims(user):
    """Return the home claims USER decides (pending, or disputed by the home's operator), oldest first, each with
    its home and operator."""
    stmt = _place_filter(sa.select(HomeClaim, Home, Provider).join(Home, Home.id == HomeClaim.home_id)
                         .join(Provider, Provider.id == HomeClaim.provider_id)
                         .where(HomeClaim.status.in_(("pending", "disputed"))).order_by(HomeClaim.created_at), user)
    return [{"claim": c, "home": h, "provider": p} for c, h, p in db.session.execute(stmt)
            if permissions.regulates_home(user, h)]


def homes_linked_to(provider_ids):
    """Return {provider id: [(home, how)]}: homes each operator runs or has claimed (not rejected)."""
    linked = {pid: [] for pid in provider_ids}
    for home in db.session.scalars(sa.select(Home).where(Home.provider_id.in_(provider_ids))):
        linked[home.provider_id].append((home, "manages"))
    claims = db.session.execute(sa.select(HomeClaim, Home).join(Home, Home.id == HomeClaim.home_id)
                                .where(HomeClaim.provider_id.in_(provider_ids),
                                       HomeClaim.status != "rejected"))
    for claim, home in claims:
        if home.provider_id != claim.provider_id:
            linked[claim.provider_id].append((home, claim.status))
    return linked


def _in_scope(user, provider, linked):
    return any(permissions.regulates_home(user, home) for home, _how in linked.get(provider.id, []))


def operator_in_scope(user, provider):
    """Say whether PROVIDER runs or claims a home in USER's jurisdiction."""
    return _in_scope(user, provider, homes_linked_to([provider.id]))


def unverified_operators(user):
    """Return the unverified (non-demo) operators with a home in USER's jurisdiction, with their homes."""
    providers = db.session.scalars(sa.select(Provider).where(Provider.verified_at.is_(None),
                                                             Provider.is_demo.is_(False))
                                   .order_by(Provider.created_at)).all()
    linked = homes_linked_to([p.id for p in providers])
    return [{"provider": p, "homes": linked[p.id]} for p in providers if _in_scope(user, p, linked)]


# --- the provider portal ------------------------------------------------------------------------------------


def own_homes(provider_id):
    """Return the homes operator PROVIDER_ID runs, by name (none without an operator)."""
    if provider_id is None:
        return []
    return db.session.scalars(sa.select(Home).where(Home.provider_id == provider_id).order_by(Home.name)).all()


def own_claims(provider_id):
    """Return operator PROVIDER_ID's claims with their homes, newest first."""
    if provider_id is None:
        return []
    rows = db.session.execute(sa.select(HomeClaim, Home).join(Home, Home.id == HomeClaim.home_id)
                              .where(HomeClaim.provider_id == provider_id)
                              .order_by(HomeClaim.created_at.desc())).all()
    return [{"claim": claim, "home": home} for claim, home in rows]


def claims_on_homes_of(provider_id):
    """Return the approved claims that will move one of operator PROVIDER_ID's homes to another (it may dispute
    them), and those it disputed, soonest first, each with its home and claimant."""
    if provider_id is None:
        return []
    rows = db.session.execute(sa.select(HomeClaim, Home, Provider).join(Home, Home.id == HomeClaim.home_id)
                              .join(Provider, Provider.id == HomeClaim.provider_id)
                              .where(HomeClaim.previous_provider_id == provider_id,
                                     HomeClaim.transferred_at.is_(None),
                                     HomeClaim.status.in_(("approved", "disputed")))
                              .order_by(HomeClaim.transfer_due_on, HomeClaim.id)).all()
    return [{"claim": claim, "home": home, "claimant": claimant} for claim, home, claimant in rows]


def views_by_month(home_id, since):
    """Return {"YYYY-MM": page views} of HOME_ID from the date SINCE on."""
    rows = db.session.execute(sa.select(HomeView.day, HomeView.views)
                              .where(HomeView.home_id == home_id, HomeView.day >= since)).all()
    counts = defaultdict(int)
    for day, views in rows:
        counts[day.strftime("%Y-%m")] += views
    return counts


def listing_changes(home_id, limit):
    """Return the LIMIT latest recorded changes of HOME_ID's listing, newest first."""
    return db.session.scalars(sa.select(ListingChange).where(ListingChange.home_id == home_id)
                              .order_by(ListingChange.created_at.desc(), ListingChange.id.desc())
                              .limit(limit)).all()


def change_authors(changes):
    """Return {user id: user} of the people who made CHANGES."""
    from accounts.models import User

    user_ids = {c.user_id for c in changes if c.user_id}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}


def fee_items_of(home_id):
    """Return every fee item HOME_ID has had, latest effective date first."""
    return db.session.scalars(sa.select(FeeItem).where(FeeItem.home_id == home_id)
                              .order_by(FeeItem.effective_from.desc(), FeeItem.care_level, FeeItem.kind)).all()


def home_photo(home, photo_id):
    """Return photo PHOTO_ID of HOME, or None (also when it belongs to another home)."""
    photo = db.session.get(HomePhoto, photo_id)
    return photo if photo is not None and photo.home_id == home.id else None


def photo_named(filename):
    """Return the photo stored as FILENAME, or None."""
    return db.session.scalar(sa.select(HomePhoto).where(HomePhoto.filename == filename))


def provider_homes(provider_id):
    """Return the homes operator PROVIDER_ID runs, by id (what its API client lists)."""
    return db.session.scalars(sa.select(Home).where(Home.provider_id == provider_id).order_by(Home.id)).all()
