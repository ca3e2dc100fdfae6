"""Write services: claims, verification, fees; a refused write changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.errors import ServiceError
from core.extensions import db
from marketplace import services
from marketplace.models import FeeItem, Home, HomeClaim
from tests.factories import make_home, make_provider, make_user


def test_approving_one_claim_rejects_the_rival_claims_to_the_same_home(app):
    home = make_home(licence_no="JS-320508-001")
    first, second = make_provider("甲"), make_provider("乙")
    staff_a, staff_b = make_user("provider", provider=first), make_user("provider", provider=second)
    regulator = make_user("regulator", jurisdiction="320000")
    claim_a = services.claim_home(first, "JS-320508-001", staff_a)
    claim_b = services.claim_home(second, "JS-320508-001", staff_b)
    services.decide_claim(claim_a, regulator, approve=True)
    assert db.session.get(Home, home.id).provider_id == first.id
    assert db.session.get(HomeClaim, claim_b.id).status == "rejected"
    with pytest.raises(ServiceError) as refused:
        services.decide_claim(claim_b, regulator, approve=True)
    assert refused.value.status == 409
    assert db.session.get(Home, home.id).provider_id == first.id


def test_an_operator_is_verified_once(app):
    provider, regulator = make_provider(), make_user("regulator", jurisdiction="320000")
    services.verify_provider(provider, regulator)
    first = provider.verified_at
    with pytest.raises(ServiceError) as refused:
        services.verify_provider(provider, make_user("regulator", jurisdiction="320500"))
    assert refused.value.status == 409 and provider.verified_at == first


def test_a_deposit_over_twelve_months_of_bed_fee_changes_nothing(app):
    home = make_home(fees={"full": (2000, 3000, 900)}, deposit_yuan=10_000)
    before = sorted((f.care_level, f.kind, f.amount_fen, f.effective_from) for f in home.fee_items)
    actor = services.Actor(channel="portal")
    with pytest.raises(ServiceError) as refused:
        services.set_fees(home, [{"care_level": "full", "kind": "deposit", "amount_fen": 12 * 200_000 + 1,
                                  "effective_from": time.today()},
                                 {"care_level": "full", "kind": "care", "amount_fen": 1,
                                  "effective_from": time.today() + timedelta(days=3)}], actor)
    assert refused.value.code == "deposit_over_limit"
    db.session.rollback()
    after = sorted((f.care_level, f.kind, f.amount_fen, f.effective_from)
                   for f in db.session.scalars(sa.select(FeeItem).where(FeeItem.home_id == home.id)))
    assert after == before


def test_setting_the_same_fees_twice_records_one_change(app):
    home = make_home()
    actor = services.Actor(channel="api", api_client_id="c1")
    item = {"care_level": "full", "kind": "care", "amount_fen": 330_000, "effective_from": time.today()}
    assert services.set_fees(home, [item], actor)
    assert services.set_fees(home, [item], actor) == {}
