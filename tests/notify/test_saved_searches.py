"""Saved searches with alerts, end to end: saved from the search page or the JSON API, matched when a home's
search document changes (the provider API frees a bed), notified once per home per change, digests at 08:00."""

import os
import re
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from accounts import consents
from app import create_app
from core.extensions import db
from notify import saved_searches
from notify.models import Notification
from notify.saved_searches import SavedSearch, SavedSearchMatch
from search.backend import current_backend
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import login_as, make_home, make_user, make_verified_provider

DEMENTIA = {"dementia": (3000, 4000, 900)}  # 7,900 yuan a month


def _csrf(client):
    response = client.get("/account/saved-searches")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _alerts(user, kind="saved_search_match"):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


def _free_beds(client, token, home, beds):
    response = client.put(f"/api/v1/provider/homes/{home.id}/vacancies", headers=bearer(token),
                          json={"free_beds": {"dementia": beds}})
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def market(app, client):
    """A Suzhou dementia home with no free bed (its operator's API token), another with beds, a family."""
    provider = make_verified_provider()
    full = make_home("320508", name="姑苏认知症照护中心", provider_id=provider.id, fees=DEMENTIA,
                     free={"dementia": 0}, licence_no="苏-1")
    other = make_home("320508", name="姑苏第二护理院", fees=DEMENTIA, free={"dementia": 2}, licence_no="苏-2")
    api_client, secret = make_api_client(provider, scopes=["vacancies:write"])
    token = issue_token(client, api_client, secret)
    family = make_user("family")
    consents.grant(family.id, "sensitive")
    db.session.commit()
    return {"full": full, "other": other, "token": token, "family": family, "api": (api_client, secret)}


def _token_now(client, market):
    """A fresh token (the clock was moved: the fixture's may have expired)."""
    return issue_token(client, *market["api"])


def _save(client, family, frequency="immediately", **extra):
    login_as(client, family)
    search = {"city": "320500", "care_level": "dementia", "has_vacancy": True, "max_price": 8000, **extra}
    response = client.post("/api/v1/me/saved-searches", headers={"X-CSRFToken": _csrf(client)},
                           json={"name": "苏州失智床位", "frequency": frequency, "search": search})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_freed_bed_gives_the_family_one_alert_for_that_home(app, client, market):
    body = _save(client, market["family"])
    assert body["care_level"] == "dementia" and body["care_level_left_out"] is False
    assert _alerts(market["family"]) == []  # the home that matches already does not alert
    _free_beds(client, market["token"], market["full"], 2)
    alerts = _alerts(market["family"])
    assert [(a.link, a.params["home"]) for a in alerts] == [(f"/homes/{market['full'].id}", "姑苏认知症照护中心")]
    inbox = client.get("/account/notifications").get_data(as_text=True)
    assert "姑苏认知症照护中心" in inbox and f'href="/homes/{market["full"].id}"' in inbox


def test_the_same_change_never_alerts_twice(app, client, market):
    _save(client, market["family"])
    _free_beds(client, market["token"], market["full"], 2)
    _free_beds(client, market["token"], market["full"], 3)  # still matching: no new start
    assert len(_alerts(market["family"])) == 1
    # the drain is at least once: the same documents indexed again alert nobody
    from search import sources
    from search.outbox import drain, requeue

    requeue([market["full"].id])
    drain(current_backend())
    saved_searches.on_documents_indexed(current_backend(), sources.documents_for([market["full"].id]), [])
    db.session.commit()
    assert len(_alerts(market["family"])) == 1


def test_a_home_that_stops_and_starts_matching_again_alerts_again(app, client, market):
    _save(client, market["family"])
    _free_beds(client, market["token"], market["full"], 1)
    _free_beds(client, market["token"], market["full"], 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearchMatch).where(
        SavedSearchMatch.home_id == market["full"].id)) == 0
    _free_beds(client, market["token"], market["full"], 1)
    assert len(_alerts(market["family"])) == 2


def test_a_home_outside_the_search_does_not_alert(app, client, market):
    _save(client, market["family"], max_price=5000)  # both homes cost 7,900 a month
    _free_beds(client, market["token"], market["full"], 2)
    assert _alerts(market["family"]) == []


def test_daily_digest_collects_the_matches_and_goes_at_eight(app, client, market, clock):
    clock(datetime(2026, 12, 7, 10, 0))
    _save(client, market["family"], frequency="daily")
    _free_beds(client, _token_now(client, market), market["full"], 2)
    assert _alerts(market["family"]) == []  # waits for the digest
    clock.advance(timedelta(hours=12))  # 22:00: before the next 08:00
    assert saved_searches.send_digests_due() == 0
    clock.advance(timedelta(hours=10))  # 08:00 the next day
    assert saved_searches.send_digests_due() == 1
    assert saved_searches.send_digests_due() == 0  # once
    digest, = _alerts(market["family"], "saved_search_digest")
    assert digest.params == {"count": 1, "homes": "姑苏认知症照护中心"}
    assert digest.link == "/account/saved-searches"


def test_weekly_digest_waits_for_monday(app, client, market, clock):
    clock(datetime(2026, 12, 8, 10, 0))  # a Tuesday
    _save(client, market["family"], frequency="weekly")
    _free_beds(client, _token_now(client, market), market["full"], 2)
    clock(datetime(2026, 12, 13, 9, 0))  # Sunday
    assert saved_searches.send_digests_due() == 0
    clock(datetime(2026, 12, 14, 8, 0))  # Monday 08:00
    assert saved_searches.send_digests_due() == 1


def test_without_the_sensitive_consent_the_search_is_saved_without_the_care_level(app, client):
    family = make_user("family")
    login_as(client, family)
    response = client.post("/api/v1/me/saved-searches", headers={"X-CSRFToken": _csrf(client)},
                           json={"name": "x", "search": {"city": "320500", "care_level": "dementia"}})
    body = response.get_json()
    assert response.status_code == 201 and body["care_level"] is None and body["care_level_left_out"] is True
    assert "care_level" not in body["search"]
    response = client.post("/api/v1/me/saved-searches", headers={"X-CSRFToken": _csrf(client)},
                           json={"name": "y", "care_consent": True, "search": {"care_level": "dementia"}})
    assert response.get_json()["care_level"] == "dementia"
    assert consents.current(family.id, "sensitive") is not None


def test_the_api_lists_renames_and_deletes_only_ones_own(app, client, market):
    body = _save(client, market["family"])
    headers = {"X-CSRFToken": _csrf(client)}
    url = f"/api/v1/me/saved-searches/{body['id']}"
    assert client.patch(url, headers=headers, json={"name": "新名字", "frequency": "weekly"}).status_code == 200
    items = client.get("/api/v1/me/saved-searches").get_json()["items"]
    assert [(i["name"], i["frequency"]) for i in items] == [("新名字", "weekly")]
    assert client.patch(url, headers=headers, json={"frequency": "hourly"}).status_code == 400
    assert client.patch(url, json={"name": "no csrf"}).status_code == 400
    stranger = make_user("family")
    login_as(client, stranger)
    assert client.get(url).status_code == 404
    assert client.delete(url, headers={"X-CSRFToken": _csrf(client)}).status_code == 404
    login_as(client, market["family"])
    assert client.delete(url, headers={"X-CSRFToken": _csrf(client)}).status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_bad_input_is_a_clear_400(app, client):
    login_as(client, make_user("family"))
    headers = {"X-CSRFToken": _csrf(client)}
    for payload in ({"name": ""}, {"name": "x" * 81}, {"name": "x", "frequency": "hourly"},
                    {"name": "x", "search": {"min_price": "cheap"}}, {"name": "x", "surprise": 1}):
        response = client.post("/api/v1/me/saved-searches", headers=headers, json=payload)
        assert response.status_code == 400, payload
        assert set(response.get_json()["error"]) >= {"code", "message"}


def test_the_search_page_offers_save_and_the_account_page_manages(app, client, market):
    login_as(client, market["family"])
    page = client.get("/?city=320500&care_level=dementia").get_data(as_text=True)
    assert 'id="save-search-form"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/account/saved-searches", data={
        "csrf_token": token, "name": "苏州", "frequency": "daily", "search": "city=320500&care_level=dementia"})
    assert response.status_code == 302
    saved, = db.session.scalars(sa.select(SavedSearch)).all()
    assert saved.args == {"city": "320500", "care_level": "dementia"} and saved.frequency == "daily"
    listing = client.get("/account/saved-searches").get_data(as_text=True)
    assert "苏州" in listing and "/?city=320500" in listing
    assert client.post(f"/account/saved-searches/{saved.id}", data={
        "csrf_token": token, "name": "苏州认知症", "frequency": "immediately"}).status_code == 302
    assert client.post(f"/account/saved-searches/{saved.id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalars(sa.select(SavedSearch)).all() == []


def test_account_deletion_takes_the_saved_searches(app, client, market):
    from privacy import services as privacy

    _save(client, market["family"])
    exported = privacy.export_user_data(market["family"])
    assert "saved_searches" in str(exported)
    privacy.delete_account(market["family"])
    db.session.commit()
    assert db.session.scalars(sa.select(SavedSearch)).all() == []


@pytest.fixture
def opensearch_app(tmp_path):
    """The app on the real OpenSearch node (its own alias and percolator index)."""
    url = os.environ.get("OPENSEARCH_URL")
    if not url:
        pytest.skip("opensearch: no node configured (set OPENSEARCH_URL; `make opensearch` starts one)")
    from flask import request_started

    from tests.conftest import _fresh_request_state, reset_schema

    app = create_app("testing", SEARCH_BACKEND="opensearch", ELASTICSEARCH_URL=url,
                     SEARCH_INDEX_ALIAS=f"test-saved-{uuid.uuid4().hex[:10]}")
    request_started.connect(_fresh_request_state, app)
    with app.app_context():
        reset_schema()
        from geo.services import load_regions

        load_regions()
        yield app
        current_backend().drop_everything()
        current_backend().close()
        db.session.remove()
        if os.environ.get("TEST_DATABASE_URL"):
            from tests.conftest import _empty_postgres_tables

            _empty_postgres_tables()


def test_opensearch_percolator_alerts_the_family_once_for_a_freed_bed(opensearch_app):
    client = opensearch_app.test_client()
    provider = make_verified_provider()
    full = make_home("320508", name="姑苏认知症照护中心", provider_id=provider.id, fees=DEMENTIA,
                     free={"dementia": 0}, licence_no="苏-1")
    make_home("320508", name="姑苏第二护理院", fees=DEMENTIA, free={"dementia": 2}, licence_no="苏-2")
    from search.outbox import drain

    drain(current_backend())
    api_client, secret = make_api_client(provider, scopes=["vacancies:write"])
    token = issue_token(client, api_client, secret)
    family = make_user("family")
    consents.grant(family.id, "sensitive")
    db.session.commit()
    _save(client, family)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearchMatch)) == 1  # the other home
    _free_beds(client, token, full, 2)
    _free_beds(client, token, full, 3)
    alerts = _alerts(family)
    assert [a.link for a in alerts] == [f"/homes/{full.id}"]


def test_the_notify_worker_sends_the_digest_at_eight(app, client, market, clock, runner):
    clock(datetime(2026, 12, 7, 10, 0))
    _save(client, market["family"], frequency="daily")
    _free_beds(client, _token_now(client, market), market["full"], 2)
    clock(datetime(2026, 12, 8, 8, 5))
    result = runner.invoke(args=["notify", "worker", "--interval", "0", "--max-idle-polls", "1"])
    assert result.exit_code == 0, result.output
    assert len(_alerts(market["family"], "saved_search_digest")) == 1


def test_rebuilding_the_stored_queries_counts_the_saved_searches(app, client, market, runner):
    _save(client, market["family"])
    result = runner.invoke(args=["notify", "rebuild-saved-searches"])
    assert result.exit_code == 0 and "stored 1 " in result.output


def test_an_alert_goes_by_e_mail_only_to_those_who_keep_it_on(app, client, market):
    from notify import services as notify_services
    from notify.models import Delivery

    other = make_user("family")
    consents.grant(other.id, "sensitive")
    db.session.commit()
    _save(client, market["family"])
    _save(client, other)
    notify_services.set_preference(other.id, "saved_search_match", "email", False)
    _free_beds(client, market["token"], market["full"], 2)
    channels = {a.user_id: [d.channel for d in db.session.scalars(
        sa.select(Delivery).where(Delivery.notification_id == a.id))]
        for a in _alerts(market["family"]) + _alerts(other)}
    assert channels == {market["family"].id: ["email"], other.id: []}
