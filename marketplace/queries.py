"""Reads of homes from SQL (the system of record) for pages and the API."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core.errors import NotFound
from core.extensions import db
from marketplace.models import Home


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
