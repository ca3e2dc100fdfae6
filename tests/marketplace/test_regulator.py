"""Regulator pages: claims and operator verification, only within the regulator's jurisdiction."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from marketplace.models import Home, HomeClaim, ListingChange, Provider
from marketplace.services import claim_home
from tests.factories import login_as
from tests.marketplace.test_portal import (  # noqa: F401
    _photo_dir,
    anonymous_token,
    build_world,
    csrf_from,
    sent_to_sign_in,
    snapshot,
)


@pytest.fixture
def world(app):  # noqa: F811
    world = build_world()
    # the unverified operator C claims the home no one runs (Suzhou, Jiangsu)
    world.claim = claim_home(world.op_c, "JS-0003", world.staff_c)
    return world


def _decision(token, claim_id, action="approve", note="核对营业执照无误"):
    return {f"claim{claim_id}-csrf_token": token, f"claim{claim_id}-note": note,
            f"claim{claim_id}-{action}": "1"}


def test_regulator_pages_answer_by_role(client, world):
    assert sent_to_sign_in(client.get("/regulator/"))
    for user, status in ((world.family, 403), (world.staff_a, 403), (world.reg_js, 200), (world.reg_sz, 200),
                         (world.reg_zj, 200), (world.admin, 200)):
        login_as(client, user)
        assert client.get("/regulator/").status_code == status, user.role


def test_a_regulator_sees_only_claims_and_operators_in_their_jurisdiction(client, world):
    login_as(client, world.reg_js)
    page = client.get("/regulator/").get_data(as_text=True)
    assert f'id="claim-{world.claim.id}"' in page and f'id="operator-{world.op_c.id}"' in page
    login_as(client, world.reg_zj)
    page = client.get("/regulator/").get_data(as_text=True)
    assert f'id="claim-{world.claim.id}"' not in page and f'id="operator-{world.op_c.id}"' not in page


@pytest.mark.parametrize("approver", ["reg_js", "reg_sz", "admin"])
def test_a_regulator_of_the_place_approves_a_claim(client, world, approver):
    login_as(client, getattr(world, approver))
    token = csrf_from(client, "/regulator/")
    response = client.post(f"/regulator/claims/{world.claim.id}", data=_decision(token, world.claim.id))
    assert response.status_code == 302
    db.session.expire_all()
    claim = db.session.get(HomeClaim, world.claim.id)
    decider = getattr(world, approver)
    assert (claim.status, claim.note, claim.decided_by_id) == ("approved", "核对营业执照无误", decider.id)
    assert db.session.get(Home, world.orphan.id).provider_id == world.op_c.id
    change = db.session.scalar(sa.select(ListingChange).where(ListingChange.home_id == world.orphan.id))
    assert change.channel == "regulator" and change.changes["provider_id"] == [None, world.op_c.id]


def test_a_regulator_rejects_a_claim_with_a_note(client, world):
    login_as(client, world.reg_js)
    token = csrf_from(client, "/regulator/")
    response = client.post(f"/regulator/claims/{world.claim.id}",
                           data=_decision(token, world.claim.id, "reject", "备案号与运营方不符"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).status == "rejected"
    assert db.session.get(Home, world.orphan.id).provider_id is None
    login_as(client, world.staff_c)
    page = client.get("/portal/claims").get_data(as_text=True)
    assert "备案号与运营方不符" in page and 'data-status="rejected"' in page


def test_decisions_outside_the_jurisdiction_are_refused_and_change_nothing(client, world):
    token = anonymous_token(client, world.family)
    before = snapshot(world.orphan.id)
    for user, status in ((world.reg_zj, 403), (world.staff_c, 403), (world.family, 403)):
        login_as(client, user)
        response = client.post(f"/regulator/claims/{world.claim.id}", data=_decision(token, world.claim.id))
        assert response.status_code == status, user.role
        response = client.post(f"/regulator/operators/{world.op_c.id}/verify", data={"verify-csrf_token": token})
        assert response.status_code == status, user.role
    with client.session_transaction() as session:
        session.pop("_user_id")
    assert sent_to_sign_in(client.post(f"/regulator/claims/{world.claim.id}", data=_decision(token, world.claim.id)))
    assert snapshot(world.orphan.id) == before
    assert db.session.get(Provider, world.op_c.id).verified_at is None


def test_a_claim_cannot_be_decided_twice(client, world):
    login_as(client, world.reg_js)
    token = csrf_from(client, "/regulator/")
    client.post(f"/regulator/claims/{world.claim.id}", data=_decision(token, world.claim.id, "reject"))
    response = client.post(f"/regulator/claims/{world.claim.id}", data=_decision(token, world.claim.id))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).status == "rejected"


def test_a_decision_needs_approve_or_reject(client, world):
    login_as(client, world.reg_js)
    token = csrf_from(client, "/regulator/")
    data = _decision(token, world.claim.id)
    del data[f"claim{world.claim.id}-approve"]
    response = client.post(f"/regulator/claims/{world.claim.id}", data=data)
    assert response.status_code == 400 and f'id="claim{world.claim.id}-note-error"' in response.get_data(as_text=True)
    assert db.session.get(HomeClaim, world.claim.id).status == "pending"


def test_verifying_an_operator_lets_its_staff_publish(client, world):
    login_as(client, world.staff_c)
    token = csrf_from(client, f"/portal/homes/{world.home_c.id}/vacancies")
    confirm = {"confirm-csrf_token": token}
    assert client.post(f"/portal/homes/{world.home_c.id}/vacancies/confirm", data=confirm).status_code == 403
    login_as(client, world.reg_sz)
    response = client.post(f"/regulator/operators/{world.op_c.id}/verify", data={"verify-csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    provider = db.session.get(Provider, world.op_c.id)
    assert provider.verified_at is not None and provider.verified_by_id == world.reg_sz.id
    login_as(client, world.staff_c)
    assert client.post(f"/portal/homes/{world.home_c.id}/vacancies/confirm", data=confirm).status_code == 302
    login_as(client, world.reg_sz)
    page = client.get("/regulator/").get_data(as_text=True)
    assert f'id="operator-{world.op_c.id}"' not in page
    again = client.post(f"/regulator/operators/{world.op_c.id}/verify", data={"verify-csrf_token": token})
    assert again.status_code == 400


def test_an_operator_with_nothing_in_the_jurisdiction_cannot_be_verified_there(client, world):
    token = anonymous_token(client, world.family)
    login_as(client, world.reg_zj)  # operator C's homes and claims are all in Jiangsu
    response = client.post(f"/regulator/operators/{world.op_c.id}/verify", data={"verify-csrf_token": token})
    assert response.status_code == 403
    assert db.session.get(Provider, world.op_c.id).verified_at is None


def test_unknown_claim_or_operator_is_404(client, world):
    login_as(client, world.reg_js)
    token = csrf_from(client, "/regulator/")
    assert client.post("/regulator/claims/9999", data=_decision(token, 9999)).status_code == 404
    assert client.post("/regulator/operators/9999/verify", data={"verify-csrf_token": token}).status_code == 404
