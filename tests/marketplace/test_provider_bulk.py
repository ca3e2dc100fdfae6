"""Bulk updates across an operator's homes: PUT /api/v1/provider/fees and /vacancies, partial success per home."""

import pytest
import sqlalchemy as sa

from core.extensions import db
from marketplace.models import FeeItem, Home, ListingChange, Vacancy
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import make_home, make_verified_provider

FEES, VACANCIES = "/api/v1/provider/fees", "/api/v1/provider/vacancies"


@pytest.fixture
def ops(app, client):
    """A verified operator with two homes and an all-scopes token; another operator's home."""
    provider = make_verified_provider()
    mine = [make_home("320508", provider_id=provider.id), make_home("320506", provider_id=provider.id)]
    theirs = make_home("330106", provider_id=make_verified_provider().id)
    api_client, secret = make_api_client(provider)
    return provider, mine, theirs, bearer(issue_token(client, api_client, secret))


def _state(*homes):
    """Everything a refused entry must leave untouched: fees, free beds, change history per home."""
    db.session.expire_all()
    out = {}
    for home in homes:
        out[home.id] = (
            sorted((f.care_level, f.kind, f.amount_fen, f.effective_from)
                   for f in db.session.scalars(sa.select(FeeItem).where(FeeItem.home_id == home.id))),
            sorted((v.care_level, v.beds_free, v.confirmed_at)
                   for v in db.session.scalars(sa.select(Vacancy).where(Vacancy.home_id == home.id))),
            db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange)
                              .where(ListingChange.home_id == home.id)))
    return out


def _beds(home_id):
    db.session.expire_all()
    return {v.care_level: v.beds_free for v in db.session.get(Home, home_id).vacancies}


def test_free_beds_of_every_home_in_one_call(client, ops):
    _, (one, two), _, headers = ops
    body = {"homes": [{"home_id": one.id, "free_beds": {"full": 0}}, {"home_id": two.id, "free_beds": {"full": 7}}]}
    response = client.put(VACANCIES, headers=headers, json=body)
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert (payload["succeeded"], payload["failed"]) == (2, 0)
    assert [(r["home_id"], r["status"], r["error"]) for r in payload["results"]] == [(one.id, 200, None),
                                                                                     (two.id, 200, None)]
    assert payload["results"][1]["result"]["changes"]["vacancy.full"] == [5, 7]
    assert _beds(one.id)["full"] == 0 and _beds(two.id)["full"] == 7


def test_one_refused_home_does_not_stop_the_others_and_each_outcome_is_reported(client, ops):
    _, (one, two), theirs, headers = ops
    before = _state(two, theirs)
    body = {"homes": [
        {"home_id": one.id, "items": [{"care_level": "full", "kind": "care", "amount_fen": 310000}]},
        {"home_id": two.id, "items": [{"care_level": "full", "kind": "deposit", "amount_fen": 9_000_000}]},
        {"home_id": theirs.id, "items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]},
        {"home_id": 999999, "items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]},
    ]}
    response = client.put(FEES, headers=headers, json=body)
    assert response.status_code == 207
    payload = response.get_json()
    assert (payload["succeeded"], payload["failed"]) == (1, 3)
    outcomes = [(r["home_id"], r["status"], r["error"] and r["error"]["code"]) for r in payload["results"]]
    assert outcomes == [(one.id, 200, None), (two.id, 400, "deposit_over_limit"), (theirs.id, 403, "not_your_home"),
                        (999999, 404, "not_found")]
    assert all({"code", "message", "fields"} <= set(r["error"]) for r in payload["results"][1:])
    assert list(payload["results"][0]["result"]["changes"].values()) == [[None, 310000]]
    db.session.expire_all()
    assert db.session.get(Home, one.id).current_fees()["full"]["care"].amount_fen == 310000
    assert _state(two, theirs) == before


def test_a_bulk_call_is_replayed_under_its_idempotency_key(client, ops):
    _, (one, _two), theirs, headers = ops
    headers = {**headers, "Idempotency-Key": "nightly-2026-12-06"}
    body = {"homes": [{"home_id": one.id, "free_beds": {"full": 3}}, {"home_id": theirs.id, "free_beds": {"full": 3}}]}
    first = client.put(VACANCIES, headers=headers, json=body)
    assert first.status_code == 207
    before = _state(one, theirs)
    again = client.put(VACANCIES, headers=headers, json=body)
    assert again.status_code == 207 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _state(one, theirs) == before  # not even re-confirmed
    other = client.put(VACANCIES, headers=headers, json={"homes": [{"home_id": one.id, "free_beds": {"full": 4}}]})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_a_bulk_call_that_applied_nothing_does_not_use_up_its_key(client, ops):
    _, (one, _two), theirs, headers = ops
    headers = {**headers, "Idempotency-Key": "k-1"}
    refused = client.put(VACANCIES, headers=headers, json={"homes": [{"home_id": theirs.id, "free_beds": {"full": 1}}]})
    assert refused.status_code == 207 and refused.get_json()["succeeded"] == 0
    fixed = client.put(VACANCIES, headers=headers, json={"homes": [{"home_id": one.id, "free_beds": {"full": 1}}]})
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers
    assert _beds(one.id)["full"] == 1


@pytest.mark.parametrize("url, body, path", [
    (VACANCIES, {"homes": []}, ["homes"]),
    (VACANCIES, {}, ["homes"]),
    (VACANCIES, {"homes": [{"free_beds": {"full": 1}}]}, ["homes", "0", "home_id"]),
    (VACANCIES, {"homes": [{"home_id": "{one}", "free_beds": {"full": -1}}]}, ["homes", "0", "free_beds"]),
    (VACANCIES, {"homes": [{"home_id": "{one}", "free_beds": {"full": 1}},
                           {"home_id": "{one}", "free_beds": {"full": 2}}]}, ["homes", "1", "home_id"]),
    (FEES, {"homes": [{"home_id": "{one}", "items": [{"care_level": "vip", "kind": "bed", "amount_fen": 1}]}]},
     ["homes", "0", "items"]),
    (FEES, {"homes": [{"home_id": "{one}"}]}, ["homes", "0", "items"]),
])
def test_a_malformed_bulk_body_is_a_400_naming_the_field_and_changes_nothing(client, ops, url, body, path):
    _, (one, two), _, headers = ops
    text = str(body).replace("'{one}'", str(one.id))
    before = _state(one, two)
    response = client.put(url, headers=headers, json=eval(text))  # noqa: S307 (our own literal, ids filled in)
    assert response.status_code == 400, response.get_json()
    named = response.get_json()["error"]["fields"]
    for step in path:
        assert step in named, (path, response.get_json())
        named = named[step]
    assert _state(one, two) == before


def test_bulk_calls_check_the_scope_and_the_operators_verification(client, ops):
    provider, (one, two), _, _ = ops
    api_client, secret = make_api_client(provider, scopes=["vacancies:write"])
    headers = bearer(issue_token(client, api_client, secret))
    before = _state(one, two)
    fees = {"homes": [{"home_id": one.id, "items": [{"care_level": "full", "kind": "care", "amount_fen": 1}]}]}
    response = client.put(FEES, headers=headers, json=fees)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    provider.verified_at = None
    db.session.commit()
    response = client.put(VACANCIES, headers=headers, json={"homes": [{"home_id": one.id, "free_beds": {"full": 1}}]})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "operator_not_verified"
    assert client.put(VACANCIES, json={"homes": []}).status_code == 401
    assert _state(one, two) == before


def test_openapi_documents_the_bulk_endpoints(client):
    spec = client.get("/openapi.json").get_json()
    for path, scope in (("/api/v1/provider/fees", "listings:write"), ("/api/v1/provider/vacancies",
                                                                     "vacancies:write")):
        put = spec["paths"][path]["put"]
        assert {"providerOAuth2": [scope]} in put["security"]
        assert {"200", "207", "400", "401", "403", "409"} <= set(put["responses"])
        assert any(p["name"] == "Idempotency-Key" for p in put["parameters"])
        assert "requestBody" in put
