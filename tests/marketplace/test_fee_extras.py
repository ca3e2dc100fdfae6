"""Optional monthly extras and the prepayment requirement: never in the all-in price; portal, API, pages, demo."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import time
from core.extensions import db
from demo.market import delete_demo, seed_demo
from marketplace import pricing, services
from marketplace.models import FeeItem, Home, ListingChange
from marketplace.vocab import EXTRA_KINDS, FEE_KINDS
from search.backend import current_backend
from search.outbox import drain
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import login_as, make_home, make_verified_provider
from tests.marketplace.test_portal import build_world, csrf_from, snapshot

TODAY = time.today()
ALL_EXTRAS = {"extra_single_room": 150_000, "extra_incontinence": 60_000, "extra_rehab": 90_000,
              "extra_special_diet": 40_000, "extra_laundry": 20_000}  # 3,600 yuan a month in all


def _add_extras(home, level="full", extras=ALL_EXTRAS):
    for kind, fen in extras.items():
        home.fee_items.append(FeeItem(care_level=level, kind=kind, amount_fen=fen,
                                      effective_from=TODAY - timedelta(days=30), source="test"))
    db.session.commit()


def _state(home_id):
    """Everything a refused write must leave untouched: fee rows, the prepayment, the change log, the version."""
    db.session.expire_all()
    home = db.session.get(Home, home_id)
    fees = sorted((f.care_level, f.kind, f.amount_fen, f.effective_from) for f in home.fee_items)
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange))
    return fees, home.prepayment_months, changes, home.version


# --- the price rule ------------------------------------------------------------------------------------------


def test_the_vocabulary_offers_five_extras_as_fee_kinds():
    assert EXTRA_KINDS == ("extra_single_room", "extra_incontinence", "extra_rehab", "extra_special_diet",
                           "extra_laundry")
    assert set(EXTRA_KINDS) <= set(FEE_KINDS) and not set(EXTRA_KINDS) & set(pricing.MONTHLY_FEE_KINDS)


def test_extras_never_count_in_the_all_in_monthly_price(app):
    home = make_home(fees={"full": (3000, 4000, 1000)})
    _add_extras(home)
    assert home.monthly_prices() == {"full": 800_000}  # bed + care + meals only
    assert pricing.extras(home.current_fees()["full"]) == ALL_EXTRAS


def test_search_price_filters_and_sort_still_use_bed_care_meals(client, app):
    # A: 8000 yuan all-in, plus 3600 yuan of extras; B: 9000 yuan, no extras. With extras A would cost 11600.
    a = make_home("320508", name="甲护理院", fees={"full": (3000, 4000, 1000)})
    _add_extras(a)
    b = make_home("320508", name="乙护理院", fees={"full": (3500, 4500, 1000)})
    drain(current_backend())
    body = client.get("/api/v1/homes?care_level=full&max_price=8000").get_json()
    assert [(i["id"], i["monthly_price_fen"]) for i in body["items"]] == [(a.id, 800_000)]
    body = client.get("/api/v1/homes?care_level=full&min_price=8500").get_json()
    assert [i["id"] for i in body["items"]] == [b.id]
    body = client.get("/api/v1/homes?care_level=full&sort=price").get_json()
    assert [(i["id"], i["monthly_price_fen"]) for i in body["items"]] == [(a.id, 800_000), (b.id, 900_000)]


def test_the_home_api_and_page_show_extras_and_the_prepayment_beside_the_fees(client, app):
    home = make_home(fees={"full": (3000, 4000, 1000)}, prepayment_months=18)
    _add_extras(home, extras={"extra_rehab": 90_000, "extra_laundry": 20_000})
    body = client.get(f"/api/v1/homes/{home.id}?lang=en").get_json()
    row = body["fees"][0]
    assert row["monthly_fen"] == 800_000
    assert row["extras"] == [{"kind": "extra_rehab", "label": "Rehabilitation training", "amount_fen": 90_000},
                             {"kind": "extra_laundry", "label": "Personal laundry", "amount_fen": 20_000}]
    assert body["prepayment"] == {"months": 18, "limit_months": 12, "over_limit": True}


# --- the service ---------------------------------------------------------------------------------------------


def test_set_fees_records_extras_and_a_prepayment_over_12_months_flagged(app):
    home = make_home()
    actor = services.Actor(channel="portal")
    changes = services.set_fees(home, [{"care_level": "full", "kind": "extra_single_room", "amount_fen": 120_000,
                                        "effective_from": TODAY}], actor, prepayment_months=24)
    assert changes["prepayment_months"] == [None, 24]
    assert f"full.extra_single_room@{TODAY.isoformat()}" in changes
    db.session.expire_all()
    home = db.session.get(Home, home.id)
    assert home.prepayment_months == 24 and pricing.prepayment_over_limit(24) and not pricing.prepayment_over_limit(12)
    assert services.set_fees(home, [], actor) == {}  # prepayment left as it is
    assert services.set_fees(home, [], actor, prepayment_months=None) == {"prepayment_months": [24, None]}


@pytest.mark.parametrize(("item", "prepayment", "field"), [
    ({"kind": "extra_rehab", "amount_fen": services.MAX_EXTRA_FEN + 1}, services.UNCHANGED, "amount_fen"),
    ({"kind": "extra_rehab", "amount_fen": -1}, services.UNCHANGED, "amount_fen"),
    ({"kind": "extra_rehab", "amount_fen": True}, services.UNCHANGED, "amount_fen"),
    ({"kind": "extra_parking", "amount_fen": 100}, services.UNCHANGED, "kind"),
    (None, -1, "prepayment_months"),
    (None, services.MAX_PREPAYMENT_MONTHS + 1, "prepayment_months"),
    (None, "6", "prepayment_months"),
    ({"kind": "extra_rehab", "amount_fen": 100}, 3.5, "prepayment_months"),
])
def test_bad_extras_or_prepayment_change_nothing(app, item, prepayment, field):
    from core.errors import ServiceError

    home = make_home()
    before = _state(home.id)
    items = [{"care_level": "full", "effective_from": TODAY, **item}] if item else []
    with pytest.raises(ServiceError) as refused:
        services.set_fees(home, items, services.Actor(channel="portal"), prepayment_months=prepayment)
    assert field in refused.value.fields
    db.session.rollback()
    assert _state(home.id) == before


# --- the portal ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(app):
    return build_world()


def test_a_provider_sets_extras_in_the_fees_page_and_the_price_stays(client, world):
    login_as(client, world.staff_a)
    page = f"/portal/homes/{world.home_a.id}/fees"
    token = csrf_from(client, page)
    price = world.home_a.monthly_price_for("full")
    response = client.post(f"{page}/full", data={"full-csrf_token": token, "full-effective_from": TODAY.isoformat(),
                                                 "full-extra_rehab": "600", "full-extra_laundry": "120.50"})
    assert response.status_code == 302
    db.session.expire_all()
    home = db.session.get(Home, world.home_a.id)
    assert pricing.extras(home.current_fees()["full"]) == {"extra_rehab": 60_000, "extra_laundry": 12_050}
    assert home.monthly_price_for("full") == price
    html = client.get(page).get_data(as_text=True)
    assert 'name="full-extra_rehab"' in html and 'value="600.00"' in html


@pytest.mark.parametrize("value", ["-1", "20000.01", "abc", "1.234"])
def test_a_bad_extra_in_the_portal_is_a_form_error_naming_it_and_nothing_changes(client, world, value):
    login_as(client, world.staff_a)
    page = f"/portal/homes/{world.home_a.id}/fees"
    token = csrf_from(client, page)
    before = snapshot(world.home_a.id)
    response = client.post(f"{page}/full", data={"full-csrf_token": token, "full-effective_from": TODAY.isoformat(),
                                                 "full-bed": "2600", "full-extra_special_diet": value})
    assert response.status_code == 400
    assert 'id="full-extra_special_diet-error"' in response.get_data(as_text=True)
    assert snapshot(world.home_a.id) == before


def test_a_provider_sets_the_prepayment_requirement_and_over_12_months_is_flagged(client, world):
    login_as(client, world.staff_a)
    page = f"/portal/homes/{world.home_a.id}/fees"
    token = csrf_from(client, page)
    response = client.post(f"/portal/homes/{world.home_a.id}/prepayment",
                           data={"csrf_token": token, "prepayment_months": "18"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Home, world.home_a.id).prepayment_months == 18
    html = client.get(page).get_data(as_text=True)
    assert 'id="prepayment-over-limit"' in html and "flash-warning" in html
    # emptied: the home states none
    client.post(f"/portal/homes/{world.home_a.id}/prepayment", data={"csrf_token": token, "prepayment_months": ""})
    db.session.expire_all()
    assert db.session.get(Home, world.home_a.id).prepayment_months is None


@pytest.mark.parametrize("value", ["-1", "121", "two", "1.5"])
def test_a_bad_prepayment_in_the_portal_is_a_form_error_and_nothing_changes(client, world, value):
    login_as(client, world.staff_a)
    token = csrf_from(client, f"/portal/homes/{world.home_a.id}/fees")
    before = _state(world.home_a.id)
    response = client.post(f"/portal/homes/{world.home_a.id}/prepayment",
                           data={"csrf_token": token, "prepayment_months": value})
    assert response.status_code == 400
    assert 'id="prepayment_months-error"' in response.get_data(as_text=True)
    assert _state(world.home_a.id) == before


def test_a_provider_cannot_set_another_operators_prepayment(client, world):
    login_as(client, world.staff_b)
    token = csrf_from(client, f"/portal/homes/{world.home_b.id}/fees")
    response = client.post(f"/portal/homes/{world.home_a.id}/prepayment",
                           data={"csrf_token": token, "prepayment_months": "3"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Home, world.home_a.id).prepayment_months is None


# --- the provider API ----------------------------------------------------------------------------------------


@pytest.fixture
def operator(app):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id, licence_no="苏养备2024099")
    api_client, secret = make_api_client(provider)
    return home, api_client, secret


@pytest.fixture
def token(client, operator):
    _, api_client, secret = operator
    return issue_token(client, api_client, secret)


def _url(home):
    return f"/api/v1/provider/homes/{home.id}/fees"


def test_the_api_sets_extras_and_the_prepayment(client, operator, token):
    home, _, _ = operator
    price = home.monthly_price_for("full")
    response = client.put(_url(home), headers=bearer(token), json={"items": [
        {"care_level": "full", "kind": "extra_incontinence", "amount_fen": 45_000}], "prepayment_months": 13})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["prepayment"] == {"months": 13, "limit_months": 12, "over_limit": True}
    row = next(r for r in body["fees"] if r["care_level"] == "full")
    assert row["extras"] == [{"kind": "extra_incontinence", "label": "失禁护理用品", "amount_fen": 45_000}]
    assert row["monthly_fen"] == price  # unchanged by the extra
    # prepayment alone; the same body again changes nothing
    again = client.put(_url(home), headers=bearer(token), json={"prepayment_months": 13})
    assert again.status_code == 200 and again.get_json()["changes"] == {}


def _item(**changes):
    return {"care_level": "full", "kind": "extra_rehab", "amount_fen": 30_000, **changes}


BAD_BODIES = [
    ({"items": [_item(amount_fen=services.MAX_EXTRA_FEN + 1)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(amount_fen=-5)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(amount_fen=12.5)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(kind="extra_massage")]}, ["items", "0", "kind"]),
    ({"items": [_item()], "prepayment_months": -1}, ["prepayment_months"]),
    ({"items": [_item()], "prepayment_months": 121}, ["prepayment_months"]),
    ({"items": [_item()], "prepayment_months": "6"}, ["prepayment_months"]),
    ({"prepayment_months": True}, ["prepayment_months"]),
    ({"items": []}, ["items"]),
]


@pytest.mark.parametrize(("body", "path"), BAD_BODIES)
def test_a_bad_extra_or_prepayment_in_the_api_is_a_400_naming_it_and_nothing_changes(client, operator, token,
                                                                                     body, path):
    home, _, _ = operator
    before = _state(home.id)
    response = client.put(_url(home), headers=bearer(token), json=body)
    assert response.status_code == 400, response.get_json()
    named = response.get_json()["error"]["fields"]
    for step in path:
        assert step in named, (path, named)
        named = named[step]
    assert _state(home.id) == before


# --- demo data -----------------------------------------------------------------------------------------------


def test_demo_homes_get_deterministic_extras_outside_the_all_in_price(app):
    now = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)

    def extras_and_prepayments():
        rows = db.session.execute(sa.select(FeeItem.home_id, FeeItem.care_level, FeeItem.kind, FeeItem.amount_fen)
                                  .where(FeeItem.kind.in_(EXTRA_KINDS)).order_by(FeeItem.id)).all()
        months = db.session.execute(sa.select(Home.id, Home.prepayment_months).order_by(Home.id)).all()
        return rows, months

    seed_demo(120, seed=7, now=now)
    first = extras_and_prepayments()
    homes = db.session.scalars(sa.select(Home)).all()
    with_extras = {row.home_id for row in first[0]}
    assert 0.3 * len(homes) < len(with_extras) < len(homes)  # some homes, not all
    assert all(row.amount_fen % 1000 == 0 and 0 < row.amount_fen <= services.MAX_EXTRA_FEN for row in first[0])
    assert any(m is None for _, m in first[1]) and any(m is not None for _, m in first[1])
    for home in homes:
        for level, fees in home.current_fees().items():
            bed_care_meals = sum(fees[k].amount_fen for k in ("bed", "care", "meals") if k in fees)
            assert home.monthly_price_for(level) == bed_care_meals
    delete_demo()
    seed_demo(120, seed=7, now=now)
    again = extras_and_prepayments()
    assert [r[1:] for r in again[0]] == [r[1:] for r in first[0]] and [m for _, m in again[1]] == \
        [m for _, m in first[1]]
