"""The provider API (/api/v1/provider) and the API-clients portal pages, with real tokens and real rows."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.oauth2_models import ApiClient, IdempotencyRecord
from core import time
from core.db import utcnow
from core.extensions import db
from marketplace.models import FeeItem, Home, ListingChange, Vacancy
from search.backend import current_backend
from search.outbox import drain
from search.query import SearchQuery
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import login_as, make_home, make_provider, make_user, make_verified_provider

TODAY = time.today()
NEXT_MONTH = (TODAY + timedelta(days=30)).isoformat()


@pytest.fixture
def operator(app):
    """A verified operator with one home, and an API client holding every scope."""
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id, licence_no="苏养备2024001")
    api_client, secret = make_api_client(provider)
    return provider, home, api_client, secret


@pytest.fixture
def token(client, operator):
    _, _, api_client, secret = operator
    return issue_token(client, api_client, secret)


def _fees_url(home_id):
    return f"/api/v1/provider/homes/{home_id}/fees"


def _vacancies_url(home_id):
    return f"/api/v1/provider/homes/{home_id}/vacancies"


def _state(home_id):
    """Everything a refused write must leave untouched."""
    db.session.expire_all()
    fees = sorted((f.care_level, f.kind, f.amount_fen, f.effective_from)
                  for f in db.session.scalars(sa.select(FeeItem).where(FeeItem.home_id == home_id)))
    beds = sorted((v.care_level, v.beds_free, v.confirmed_at)
                  for v in db.session.scalars(sa.select(Vacancy).where(Vacancy.home_id == home_id)))
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange))
    return fees, beds, changes, db.session.get(Home, home_id).version


# --- homes -------------------------------------------------------------------------------------------------


def test_a_client_lists_only_its_operators_homes(client, operator, token):
    _, home, _, _ = operator
    make_home(provider_id=make_provider().id)
    response = client.get("/api/v1/provider/homes", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["items"] == [{"id": home.id, "name": home.name, "name_en": home.name_en,
                                             "licence_no": "苏养备2024001"}]


# --- fees --------------------------------------------------------------------------------------------------


def test_setting_fees_returns_the_fee_table_and_upcoming_changes(client, operator, token):
    _, home, _, _ = operator
    response = client.put(_fees_url(home.id), headers=bearer(token), json={"items": [
        {"care_level": "full", "kind": "care", "amount_fen": 300000},
        {"care_level": "full", "kind": "bed", "amount_fen": 250000, "effective_from": NEXT_MONTH}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    full = next(row for row in body["fees"] if row["care_level"] == "full")
    assert full["care_fen"] == 300000 and full["bed_fen"] == 220000
    assert body["upcoming_fee_changes"] == [{**body["upcoming_fee_changes"][0], "care_level": "full", "kind": "bed",
                                             "amount_fen": 250000, "effective_from": NEXT_MONTH}]
    assert body["changes"] == {f"full.care@{TODAY.isoformat()}": [None, 300000],
                               f"full.bed@{NEXT_MONTH}": [None, 250000]}


def test_a_fee_change_is_recorded_as_an_api_change_and_reaches_search_after_the_drain(client, operator, token):
    _, home, api_client, _ = operator
    drain(current_backend())
    response = client.put(_fees_url(home.id), headers=bearer(token),
                          json={"items": [{"care_level": "full", "kind": "care", "amount_fen": 400000}]})
    assert response.status_code == 200
    change = db.session.scalars(sa.select(ListingChange).order_by(ListingChange.id.desc())).first()
    assert (change.home_id, change.channel, change.api_client_id, change.user_id) == \
           (home.id, "api", api_client.client_id, None)
    drain(current_backend())
    hits = current_backend().search(SearchQuery(care_level="full", with_facets=False)).hits
    doc = next(h.doc for h in hits if h.id == home.id)
    assert doc["price_full"] == 220000 + 400000 + 90000


def test_sending_the_same_fee_items_twice_changes_nothing_the_second_time(client, operator, token):
    _, home, _, _ = operator
    body = {"items": [{"care_level": "partial", "kind": "meals", "amount_fen": 95000, "effective_from": NEXT_MONTH}]}
    assert client.put(_fees_url(home.id), headers=bearer(token), json=body).get_json()["changes"]
    before = _state(home.id)
    again = client.put(_fees_url(home.id), headers=bearer(token), json=body)
    assert again.status_code == 200 and again.get_json()["changes"] == {}
    assert _state(home.id) == before


def test_a_token_without_the_scope_is_403(client, operator):
    provider, home, _, _ = operator
    api_client, secret = make_api_client(provider, scopes=["vacancies:write"])
    token = issue_token(client, api_client, secret)
    before = _state(home.id)
    response = client.put(_fees_url(home.id), headers=bearer(token),
                          json={"items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "insufficient_scope"
    assert client.get("/api/v1/provider/inquiries", headers=bearer(token)).status_code == 403
    assert _state(home.id) == before


def test_another_operators_home_is_403_and_nothing_changes(client, token):
    other = make_home(provider_id=make_verified_provider().id)
    before = _state(other.id)
    fees = client.put(_fees_url(other.id), headers=bearer(token),
                      json={"items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]})
    beds = client.put(_vacancies_url(other.id), headers=bearer(token), json={"free_beds": {"full": 9}})
    assert fees.status_code == beds.status_code == 403
    assert fees.get_json()["error"]["code"] == "not_your_home"
    assert _state(other.id) == before


def test_an_unknown_home_is_404(client, token):
    response = client.put(_fees_url(999999), headers=bearer(token),
                          json={"items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_client_of_an_operator_no_longer_verified_cannot_write(client, operator, token):
    provider, home, _, _ = operator
    provider.verified_at = None
    db.session.commit()
    response = client.put(_vacancies_url(home.id), headers=bearer(token), json={"free_beds": {"full": 1}})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "operator_not_verified"


def test_a_request_without_a_token_is_401_before_its_body_is_read(client, operator):
    _, home, _, _ = operator
    response = client.put(_fees_url(home.id), json={"items": "nonsense"})
    assert response.status_code == 401


def _item(**changes):
    return {"care_level": "full", "kind": "care", "amount_fen": 300000, **changes}


BAD_FEE_BODIES = [
    ({"items": [_item(amount_fen=-1)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(), _item(kind="bed", amount_fen=10_000_001)]}, ["items", "1", "amount_fen"]),
    ({"items": [_item(amount_fen=1.5)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(amount_fen="300000")]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(amount_fen=True)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(amount_fen=None)]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(care_level="vip")]}, ["items", "0", "care_level"]),
    ({"items": [_item(kind="parking")]}, ["items", "0", "kind"]),
    ({"items": [_item(effective_from=(TODAY - timedelta(days=1)).isoformat())]}, ["items", "0", "effective_from"]),
    ({"items": [_item(effective_from="2025-02-30")]}, ["items", "0", "effective_from"]),
    ({"items": [_item(amount_yuan=3000)]}, ["items", "0", "amount_yuan"]),
    ({"items": [{"care_level": "full", "kind": "care"}]}, ["items", "0", "amount_fen"]),
    ({"items": [_item(), _item(amount_fen=1)]}, ["items", "1", "effective_from"]),
    ({"items": []}, ["items"]),
    ({"items": {"care_level": "full"}}, ["items"]),
    ({}, ["items"]),
    ({"items": [_item()], "home_id": 3}, ["home_id"]),
]


@pytest.mark.parametrize("body, path", BAD_FEE_BODIES)
def test_every_bad_fee_field_is_a_400_naming_it_and_nothing_changes(client, operator, token, body, path):
    _, home, _, _ = operator
    before = _state(home.id)
    response = client.put(_fees_url(home.id), headers=bearer(token), json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameters"
    named = error["fields"]
    for step in path:
        assert step in named, (path, error["fields"])
        named = named[step]
    assert _state(home.id) == before


def test_a_deposit_over_12_months_of_the_bed_fee_is_a_400_and_nothing_changes(client, operator, token):
    _, home, _, _ = operator
    before = _state(home.id)
    response = client.put(_fees_url(home.id), headers=bearer(token), json={"items": [
        _item(kind="care", amount_fen=1), _item(kind="deposit", amount_fen=12 * 220000 + 1)]})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "deposit_over_limit" and "deposit" in error["fields"]
    assert _state(home.id) == before


def test_a_body_that_is_not_json_is_a_400(client, operator, token):
    _, home, _, _ = operator
    response = client.put(_fees_url(home.id), headers={**bearer(token), "Content-Type": "application/json"},
                          data="{not json")
    assert response.status_code == 400
    assert "error" in response.get_json()


# --- vacancies ---------------------------------------------------------------------------------------------


def test_confirming_vacancies_sets_them_and_reaches_search(client, operator, token):
    _, home, api_client, _ = operator
    drain(current_backend())
    response = client.put(_vacancies_url(home.id), headers=bearer(token), json={"free_beds": {"full": 0, "partial": 7}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {v["care_level"]: v["beds_free"] for v in body["vacancies"]} == {"self_care": 5, "partial": 7, "full": 0}
    assert all(not v["stale"] for v in body["vacancies"] if v["care_level"] != "self_care")
    change = db.session.scalars(sa.select(ListingChange).order_by(ListingChange.id.desc())).first()
    assert (change.channel, change.api_client_id) == ("api", api_client.client_id)
    assert change.changes["vacancy.full"] == [5, 0]
    drain(current_backend())
    hits = current_backend().search(SearchQuery(care_level="full", has_vacancy=True, with_facets=False)).hits
    assert home.id not in [h.id for h in hits]
    hits = current_backend().search(SearchQuery(care_level="partial", has_vacancy=True, with_facets=False)).hits
    assert next(h.doc for h in hits if h.id == home.id)["free_partial"] == 7


BAD_VACANCY_BODIES = [
    ({"free_beds": {"full": 1.5}}, ["free_beds", "full"]),
    ({"free_beds": {"full": "3"}}, ["free_beds", "full"]),
    ({"free_beds": {"full": True}}, ["free_beds", "full"]),
    ({"free_beds": {"full": -1}}, ["free_beds", "full"]),
    ({"free_beds": {"full": 5001}}, ["free_beds", "full"]),
    ({"free_beds": {"vip": 1}}, ["free_beds", "vip"]),
    ({"free_beds": {}}, ["free_beds"]),
    ({"free_beds": [1, 2]}, ["free_beds"]),
    ({}, ["free_beds"]),
    ({"free_beds": {"full": 1}, "beds": 2}, ["beds"]),
]


@pytest.mark.parametrize("body, path", BAD_VACANCY_BODIES)
def test_every_bad_vacancy_field_is_a_400_naming_it_and_nothing_changes(client, operator, token, body, path):
    _, home, _, _ = operator
    before = _state(home.id)
    response = client.put(_vacancies_url(home.id), headers=bearer(token), json=body)
    assert response.status_code == 400, response.get_json()
    named = response.get_json()["error"]["fields"]
    for step in path:
        assert step in named, (path, response.get_json())
        named = named[step]
    assert _state(home.id) == before


# --- idempotency -------------------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_replays_the_response_without_applying_again(client, operator, token):
    _, home, _, _ = operator
    headers = {**bearer(token), "Idempotency-Key": "beds-2024-06-01"}
    first = client.put(_vacancies_url(home.id), headers=headers, json={"free_beds": {"full": 2}})
    assert first.status_code == 200
    before = _state(home.id)
    again = client.put(_vacancies_url(home.id), headers=headers, json={"free_beds": {"full": 2}})
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _state(home.id) == before  # not even re-confirmed: no new change, same confirmation time


def test_the_same_idempotency_key_with_another_body_is_409(client, operator, token):
    _, home, _, _ = operator
    headers = {**bearer(token), "Idempotency-Key": "fees-1"}
    assert client.put(_fees_url(home.id), headers=headers, json={"items": [_item()]}).status_code == 200
    before = _state(home.id)
    response = client.put(_fees_url(home.id), headers=headers, json={"items": [_item(amount_fen=310000)]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _state(home.id) == before
    other_path = client.put(_vacancies_url(home.id), headers=headers, json={"free_beds": {"full": 1}})
    assert other_path.status_code == 409  # the key names one request: its path is part of it
    assert other_path.get_json()["error"]["code"] == "idempotency_key_reused"


def test_idempotency_keys_belong_to_one_client(client, operator, token):
    provider, home, _, _ = operator
    other_client, secret = make_api_client(provider)
    other_token = issue_token(client, other_client, secret)
    body = {"free_beds": {"full": 3}}
    client.put(_vacancies_url(home.id), headers={**bearer(token), "Idempotency-Key": "k"}, json=body)
    response = client.put(_vacancies_url(home.id), headers={**bearer(other_token), "Idempotency-Key": "k"},
                          json={"free_beds": {"full": 4}})
    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers


def test_an_idempotency_key_older_than_a_day_is_used_afresh(client, operator, token):
    _, home, _, _ = operator
    headers = {**bearer(token), "Idempotency-Key": "old"}
    client.put(_vacancies_url(home.id), headers=headers, json={"free_beds": {"full": 3}})
    record = db.session.scalars(sa.select(IdempotencyRecord)).one()
    record.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    response = client.put(_vacancies_url(home.id), headers=headers, json={"free_beds": {"full": 4}})
    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers
    assert response.get_json()["changes"]["vacancy.full"] == [3, 4]


def test_a_refused_write_does_not_use_up_its_idempotency_key(client, operator, token):
    _, home, _, _ = operator
    headers = {**bearer(token), "Idempotency-Key": "retry-me"}
    refused = client.put(_fees_url(home.id), headers=headers,
                         json={"items": [_item(kind="deposit", amount_fen=12 * 220000 + 1)]})
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord)) == 0
    fixed = client.put(_fees_url(home.id), headers=headers, json={"items": [_item(kind="deposit", amount_fen=100)]})
    assert fixed.status_code == 200


@pytest.mark.parametrize("key", ["", "k" * 101])
def test_an_idempotency_key_must_have_1_to_100_characters(client, operator, token, key):
    _, home, _, _ = operator
    response = client.put(_vacancies_url(home.id), headers={**bearer(token), "Idempotency-Key": key},
                          json={"free_beds": {"full": 3}})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]


# --- inquiries ---------------------------------------------------------------------------------------------


def _inquiry(home, status="open", body="请问有认知症床位吗？"):
    from inquiries.models import Inquiry, InquiryMessage

    inquiry = Inquiry(reference=f"YRD-2026-{home.id:06d}{status[:2].upper()}", home_id=home.id,
                      user_id=make_user().id, kind="inquiry", care_level="dementia", contact_name="王女士",
                      contact_phone="+8613800000000", contact_consent=True, status=status)
    inquiry.messages.append(InquiryMessage(author_role="family", body=body))
    db.session.add(inquiry)
    db.session.commit()
    return inquiry


def test_inquiries_list_the_operators_inquiries_only(client, operator, token):
    pytest.importorskip("inquiries.queries")
    _, home, _, _ = operator
    mine = _inquiry(home)
    _inquiry(make_home(provider_id=make_provider().id))
    response = client.get("/api/v1/provider/inquiries", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["available"] is True
    assert [i["reference"] for i in body["items"]] == [mine.reference]
    item = body["items"][0]
    assert item["contact"]["phone"] == "+8613800000000"
    assert item["messages"][0]["body"] == "请问有认知症床位吗？"


def test_inquiries_can_be_filtered_by_a_known_status(client, operator, token):
    pytest.importorskip("inquiries.queries")
    _, home, _, _ = operator
    _inquiry(home, "open")
    closed = _inquiry(home, "closed")
    response = client.get("/api/v1/provider/inquiries?status=closed", headers=bearer(token))
    assert [i["id"] for i in response.get_json()["items"]] == [closed.id]
    bad = client.get("/api/v1/provider/inquiries?status=lost", headers=bearer(token))
    assert bad.status_code == 400 and "status" in bad.get_json()["error"]["fields"]


# --- OpenAPI -----------------------------------------------------------------------------------------------


def test_openapi_documents_the_provider_endpoints_and_the_bearer_scheme(client):
    spec = client.get("/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    flow = schemes["providerOAuth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token" and set(flow["scopes"]) == {"listings:write", "vacancies:write",
                                                                          "inquiries:read"}
    fees = spec["paths"]["/api/v1/provider/homes/{home_id}/fees"]["put"]
    assert {"bearerAuth": []} in fees["security"] and {"providerOAuth2": ["listings:write"]} in fees["security"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(fees["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in fees["parameters"])
    assert "requestBody" in fees
    vacancies = spec["paths"]["/api/v1/provider/homes/{home_id}/vacancies"]["put"]
    assert {"providerOAuth2": ["vacancies:write"]} in vacancies["security"]
    assert "get" in spec["paths"]["/api/v1/provider/homes"]
    assert {"providerOAuth2": ["inquiries:read"]} in spec["paths"]["/api/v1/provider/inquiries"]["get"]["security"]


# --- the API-clients portal pages --------------------------------------------------------------------------


@pytest.fixture
def portal(app, client):
    """The test client, for the API-clients portal pages."""
    assert "api_clients" in app.blueprints
    return client


def _csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _create(portal, name="护理系统", scopes=("vacancies:write",)):
    page = portal.get("/portal/api-clients/").get_data(as_text=True)
    return portal.post("/portal/api-clients/", data={"csrf_token": _csrf(page), "name": name, "scopes": list(scopes)})


def test_staff_of_a_verified_operator_create_a_client_and_see_the_secret_once(app, portal):
    provider = make_verified_provider()
    login_as(portal, make_user(role="provider", provider=provider))
    response = _create(portal)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    client_id = re.search(r'id="client-id">([^<]+)<', page).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)
    api_client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    assert api_client.provider_id == provider.id and api_client.scopes == ["vacancies:write"]
    # the secret works, and is never shown again
    assert issue_token(portal, api_client, secret)
    listing = portal.get("/portal/api-clients/").get_data(as_text=True)
    assert client_id in listing and secret not in listing
    assert secret not in str(dict(portal.get("/portal/api-clients/").headers))


def test_an_unverified_operator_cannot_create_clients_in_the_portal(app, portal):
    provider = make_verified_provider()
    make_api_client(provider)  # made while verified; revoking it stays possible
    provider.verified_at = None
    db.session.commit()
    login_as(portal, make_user(role="provider", provider=provider))
    page = portal.get("/portal/api-clients/")
    assert page.status_code == 200 and 'action="/portal/api-clients/"' not in page.get_data(as_text=True)
    response = portal.post("/portal/api-clients/", data={"csrf_token": _csrf(page.get_data(as_text=True)),
                                                         "name": "x", "scopes": ["inquiries:read"]})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 1


@pytest.mark.parametrize("role", ["family", "regulator", "admin"])
def test_other_roles_get_403_on_the_api_clients_pages(app, portal, role):
    login_as(portal, make_user(role=role))
    assert portal.get("/portal/api-clients/").status_code == 403
    token = _csrf(portal.get("/account").get_data(as_text=True))  # a valid token: the role is what refuses
    assert portal.post("/portal/api-clients/", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0


def test_anonymous_visitors_cannot_see_the_api_clients_pages(app, portal):
    response = portal.get("/portal/api-clients/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_creating_a_client_needs_a_name_a_scope_and_a_csrf_token(app, portal):
    login_as(portal, make_user(role="provider", provider=make_verified_provider()))
    assert _create(portal, name="").status_code == 400
    assert _create(portal, scopes=()).status_code == 400
    assert portal.post("/portal/api-clients/", data={"name": "x", "scopes": ["inquiries:read"]}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 0


def test_revoking_a_client_in_the_portal_stops_its_tokens_at_once(app, portal):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id)
    api_client, secret = make_api_client(provider)
    token = issue_token(portal, api_client, secret)
    login_as(portal, make_user(role="provider", provider=provider))
    page = portal.get("/portal/api-clients/").get_data(as_text=True)
    response = portal.post(f"/portal/api-clients/{api_client.id}/revoke", data={"csrf_token": _csrf(page)})
    assert response.status_code == 302
    response = portal.put(_vacancies_url(home.id), headers=bearer(token), json={"free_beds": {"full": 1}})
    assert response.status_code == 401
    assert "Revoked" in portal.get("/portal/api-clients/?lang=en").get_data(as_text=True)


def test_staff_cannot_revoke_another_operators_client(app, portal):
    api_client, _ = make_api_client()
    login_as(portal, make_user(role="provider", provider=make_verified_provider()))
    page = portal.get("/portal/api-clients/").get_data(as_text=True)
    response = portal.post(f"/portal/api-clients/{api_client.id}/revoke", data={"csrf_token": _csrf(page)})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApiClient, api_client.id).revoked_at is None


def test_the_api_clients_page_speaks_english_too(app, portal):
    login_as(portal, make_user(role="provider", provider=make_verified_provider()))
    page = portal.get("/portal/api-clients/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Create an API client" in page
