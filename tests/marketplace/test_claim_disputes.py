"""An approved claim on a home another operator runs: that operator is told, may dispute, and the home moves
only when the period (CLAIM_DISPUTE_DAYS business days) has passed undisputed (the daily job)."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from core import jobs, time
from core.extensions import db
from marketplace import services
from marketplace.models import Home, HomeClaim, ListingChange
from tests.factories import login_as
from tests.marketplace.test_portal import build_world, csrf_from

MONDAY_NOON = datetime(2026, 12, 7, 12, 0)  # business time (Asia/Shanghai)


@pytest.fixture
def world(app):
    """Operator C claims home A, which operator A runs."""
    world = build_world()
    world.claim = services.claim_home(world.op_c, "JS-0001", world.staff_c)
    return world


def _approve(client, world, user=None):
    login_as(client, user or world.reg_sz)
    token = csrf_from(client, "/regulator/")
    cid = world.claim.id
    return client.post(f"/regulator/claims/{cid}", data={f"claim{cid}-csrf_token": token,
                                                          f"claim{cid}-note": "核对无误", f"claim{cid}-approve": "1"})


def _dispute(client, world, note="我方仍在运营该机构，备案号由我方持有。"):
    login_as(client, world.staff_a)
    token = csrf_from(client, "/portal/")
    cid = world.claim.id
    return client.post(f"/portal/claims/{cid}/dispute",
                       data={f"dispute{cid}-csrf_token": token, f"dispute{cid}-note": note})


def _runner(world):
    return db.session.get(Home, world.home_a.id).provider_id


def test_business_days_skip_the_weekend():
    friday = date(2026, 12, 11)
    assert time.add_business_days(friday, 1) == date(2026, 12, 14)
    assert time.add_business_days(date(2026, 12, 7), 14) == date(2026, 12, 25)


def test_an_approved_claim_leaves_the_home_with_its_operator_who_is_told(client, world):
    with time.frozen(MONDAY_NOON):
        assert _approve(client, world).status_code == 302
    db.session.expire_all()
    claim = db.session.get(HomeClaim, world.claim.id)
    assert (claim.status, claim.previous_provider_id, claim.transfer_due_on) == ("approved", world.op_a.id,
                                                                                 date(2026, 12, 25))
    assert _runner(world) == world.op_a.id
    login_as(client, world.staff_a)
    page = client.get("/portal/?lang=en").get_data(as_text=True)
    notice = page[page.index(f'id="claim-against-{claim.id}"'):]
    assert world.op_c.name in notice[:800] and "Dec 25, 2026" in notice[:800]
    assert f'action="/portal/claims/{claim.id}/dispute"' in notice
    login_as(client, world.staff_b)
    assert 'id="claims-against"' not in client.get("/portal/").get_data(as_text=True)
    login_as(client, world.staff_c)
    assert "Dec 25, 2026" in client.get("/portal/claims?lang=en").get_data(as_text=True)


def test_the_period_follows_the_configuration(client, world, app):
    app.config["CLAIM_DISPUTE_DAYS"] = 3
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).transfer_due_on == date(2026, 12, 10)


def test_undisputed_the_daily_job_moves_the_home_when_the_period_has_passed(client, world, app):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
    with time.frozen(datetime(2026, 12, 24, 23, 59)):
        assert jobs.run_daily_jobs() and _runner(world) == world.op_a.id
    with time.frozen(datetime(2026, 12, 25, 0, 1)):
        assert "transfer_claims_due" in jobs.run_daily_jobs()
        db.session.expire_all()
        assert _runner(world) == world.op_c.id
        claim = db.session.get(HomeClaim, world.claim.id)
        assert claim.status == "approved" and claim.transferred_at == time.utcnow()
        moves = db.session.scalars(sa.select(ListingChange).where(ListingChange.home_id == world.home_a.id)).all()
        assert [(m.channel, m.changes, m.user_id) for m in moves] == [
            ("regulator", {"provider_id": [world.op_a.id, world.op_c.id]}, world.reg_sz.id)]
        assert services.transfer_claims_due() == 0  # idempotent: nothing left to move


def test_a_dispute_sends_the_claim_back_to_a_regulator_and_the_home_stays(client, world):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
    with time.frozen(datetime(2026, 12, 24, 9, 0)):
        response = _dispute(client, world)
        assert response.status_code == 302
        db.session.expire_all()
        claim = db.session.get(HomeClaim, world.claim.id)
        assert (claim.status, claim.disputed_by_id) == ("disputed", world.staff_a.id)
        login_as(client, world.reg_js)
        page = client.get("/regulator/").get_data(as_text=True)
        card = page[page.index(f'id="claim-{claim.id}"'):]
        assert "我方仍在运营该机构" in card[:2000]
    with time.frozen(datetime(2026, 12, 28, 9, 0)):
        services.transfer_claims_due()
        assert _runner(world) == world.op_a.id  # a disputed claim never moves by the clock


@pytest.mark.parametrize("approve, runner", [(True, "op_c"), (False, "op_a")])
def test_a_regulator_decides_a_disputed_claim_again(client, world, approve, runner):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
        _dispute(client, world)
        claim = db.session.get(HomeClaim, world.claim.id)
        services.decide_claim(claim, world.reg_js, approve=approve, note="已听取双方意见")
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).status == ("approved" if approve else "rejected")
    assert _runner(world) == getattr(world, runner).id


def test_a_dispute_after_the_period_is_refused_and_changes_nothing(client, world):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
    with time.frozen(datetime(2026, 12, 25, 8, 0)):
        response = _dispute(client, world)
        assert response.status_code == 409
        db.session.expire_all()
        assert db.session.get(HomeClaim, world.claim.id).status == "approved"


def test_a_dispute_needs_a_reason(client, world):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
        response = _dispute(client, world, note="")
    assert response.status_code == 400
    assert f'id="dispute{world.claim.id}-note-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).status == "approved"


def test_only_the_operator_running_the_home_may_dispute(client, world):
    with time.frozen(MONDAY_NOON):
        _approve(client, world)
        login_as(client, world.staff_a)
        token = csrf_from(client, "/portal/")
        cid = world.claim.id
        data = {f"dispute{cid}-csrf_token": token, f"dispute{cid}-note": "不是他们的机构，请核实。"}
        for user in (world.staff_b, world.staff_c, world.family, world.reg_js, world.admin):
            login_as(client, user)
            assert client.post(f"/portal/claims/{cid}/dispute", data=data).status_code == 403, user.role
        login_as(client, world.staff_a)
        assert client.post("/portal/claims/999999/dispute", data=data).status_code == 404
    db.session.expire_all()
    assert db.session.get(HomeClaim, world.claim.id).status == "approved"


def test_a_claim_on_a_home_nobody_runs_still_moves_it_at_once(client, world):
    claim = services.claim_home(world.op_c, "JS-0003", world.staff_c)
    services.decide_claim(claim, world.reg_js, approve=True)
    db.session.expire_all()
    assert db.session.get(Home, world.orphan.id).provider_id == world.op_c.id
    assert db.session.get(HomeClaim, claim.id).transferred_at is not None
