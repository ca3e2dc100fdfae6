"""Factories with traits for test data: real rows in the real database."""

import itertools
from datetime import timedelta

from core import time
from core.db import utcnow
from core.extensions import db
from geo.gazetteer import gazetteer
from marketplace.models import FeeItem, Home, Provider, Vacancy

_seq = itertools.count(1)

# monthly bed / care / meals in yuan per care level (a plain mid-priced home)
DEFAULT_FEES = {
    "self_care": (2000, 500, 900),
    "partial": (2000, 1500, 900),
    "full": (2200, 2800, 900),
}


def make_provider(name=None):
    """Create an operator."""
    provider = Provider(name=name or f"测试运营方{next(_seq)}")
    db.session.add(provider)
    db.session.flush()
    return provider


def make_home(district_code="320508", name=None, fees=None, free=None, deposit_yuan=10000, commit=True,
              confirmed_days_ago=1, **fields):
    """Create a home in DISTRICT_CODE with fee items (yuan per month per level) and vacancies.

    Traits as keywords: grade=5, ownership="public", dementia_unit=True, fees={"dementia": (3000, 4000, 900)},
    free={"full": 0}, lat=..., lon=..., any other Home column.
    """
    district = gazetteer().district(district_code)
    n = next(_seq)
    home = Home(
        name=name or f"测试养老院{n}号", name_en=fields.pop("name_en", f"Test Care Home {n}"),
        province_code=district.province_code, city_code=district.city_code, district_code=district.code,
        address=fields.pop("address", f"{district.name}测试路{n}号"), lat=fields.pop("lat", district.lat),
        lon=fields.pop("lon", district.lon), beds_total=fields.pop("beds_total", 100), **fields,
    )
    fees = DEFAULT_FEES if fees is None else fees
    start = time.today() - timedelta(days=30)
    for level, amounts in fees.items():
        for kind, yuan in zip(("bed", "care", "meals"), amounts):
            home.fee_items.append(FeeItem(care_level=level, kind=kind, amount_fen=yuan * 100,
                                          effective_from=start, source="test"))
        home.fee_items.append(FeeItem(care_level=level, kind="deposit", amount_fen=deposit_yuan * 100,
                                      effective_from=start, source="test"))
        beds = (free or {}).get(level, 5)
        home.vacancies.append(Vacancy(care_level=level, beds_free=beds, source="test",
                                      confirmed_at=utcnow() - timedelta(days=confirmed_days_ago)))
    db.session.add(home)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return home


def make_user(role="family", email=None, password="correct horse battery", provider=None, jurisdiction=None,
              consented=True, **fields):
    """Create a user with ROLE (provider: staff of PROVIDER; regulator: scoped to JURISDICTION)."""
    from accounts.models import User
    from accounts.passwords import hash_password

    n = next(_seq)
    user = User(email=email or f"{role}{n}@example.test", password_hash=hash_password(password), role=role,
                provider_id=provider.id if provider else None, jurisdiction_code=jurisdiction,
                display_name=fields.pop("display_name", f"{role} {n}"), **fields)
    db.session.add(user)
    db.session.flush()
    if consented:  # as sign-up leaves it: the current privacy notice agreed to
        from accounts import consents

        consents.grant(user.id, "notice")
    db.session.commit()
    return user


def login_as(client, user):
    """Sign USER in on the test CLIENT (a Flask-Login session, as the login form would leave it)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def make_verified_provider(name=None):
    """Create an operator already verified by a regulator."""
    provider = make_provider(name)
    provider.verified_at = utcnow()
    db.session.commit()
    return provider
