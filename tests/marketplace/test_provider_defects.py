"""Provider-side defects (issue 10): each test failed before its fix."""

import socket
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from core.db import utcnow
from core.extensions import db
from dashboard import queries as dashboard_queries
from marketplace.models import Home, ListingChange, Provider, Vacancy
from search.backend import current_backend
from search.outbox import drain
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import login_as, make_home, make_user, make_verified_provider
from tests.marketplace.test_portal import build_world, csrf_from, indexed


@pytest.fixture
def world(app):
    return build_world()


# --- a success message shows once ---------------------------------------------------------------------------


def test_a_portal_success_message_shows_once(client, world):
    login_as(client, world.staff_a)
    url = f"/portal/homes/{world.home_a.id}/vacancies"
    token = csrf_from(client, url)
    page = client.post(f"{url}/confirm?lang=en", data={"confirm-csrf_token": token}, follow_redirects=True)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Free beds confirmed as of now.") == 1


def test_a_regulator_success_message_shows_once(client, world):
    login_as(client, world.reg_sz)
    token = csrf_from(client, "/regulator/")
    page = client.post(f"/regulator/operators/{world.op_c.id}/verify?lang=en", data={"verify-csrf_token": token},
                       follow_redirects=True)
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.get(Provider, world.op_c.id).verified_at is not None
    assert page.get_data(as_text=True).count("is verified: its changes are published from now on.") == 1


def test_an_api_clients_success_message_shows_once(client, world):
    login_as(client, world.staff_a)
    token = csrf_from(client, "/portal/api-clients/")
    created = client.post("/portal/api-clients/", data={"csrf_token": token, "name": "护理系统",
                                                        "scopes": ["vacancies:write"]})
    assert created.status_code == 200
    from accounts.oauth2_models import ApiClient

    api_client = db.session.scalars(db.select(ApiClient)).one()
    token = csrf_from(client, "/portal/api-clients/")
    page = client.post(f"/portal/api-clients/{api_client.id}/revoke?lang=en", data={"csrf_token": token},
                       follow_redirects=True)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("revoked. Its tokens no longer work.") == 1


# --- a municipality shows once in a place line -------------------------------------------------------------


def test_a_shanghai_home_names_its_municipality_once(client, app):
    home = make_home("310116", name="金山测试院")
    html = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert '<p class="where">上海市 · 金山区</p>' in html
    assert client.get(f"/api/v1/homes/{home.id}").get_json()["place"] == "上海市 · 金山区"
    html = client.get(f"/homes/{home.id}?lang=en").get_data(as_text=True)
    assert '<p class="where">Shanghai · Jinshan</p>' in html


def test_a_province_city_and_district_all_show(client, app):
    home = make_home("320508", name="姑苏测试院")
    assert client.get(f"/api/v1/homes/{home.id}").get_json()["place"] == "江苏省 · 苏州市 · 姑苏区"


def test_the_place_select_names_shanghai_once(client, app):
    html = client.get("/family-location").get_data(as_text=True)
    assert 'label="上海市"' in html and "上海市 · 上海市" not in html
    assert 'label="江苏省 · 苏州市"' in html


# --- the dashboard's stale list marks a demo home once -----------------------------------------------------


def test_the_stale_list_marks_a_demo_home_once(client, app):
    make_home("320102", name="玄武演示院", fees={"full": (1800, 1400, 800)}, is_demo=True, confirmed_days_ago=30)
    login_as(client, make_user("regulator", jurisdiction="320000"))
    html = client.get("/regulator/dashboard").get_data(as_text=True)
    section = html[html.index('id="table-stale_homes"'):]
    row = section[section.index("玄武演示院"):]
    row = row[:row.index("</tr>")]
    assert row.count('class="badge demo"') == 1 and ">演示数据</span>" in row


# --- a raw UTF-8 query means what the percent-encoded one means --------------------------------------------


def _raw_get(port, target):
    """Send TARGET (bytes, as typed: not percent-encoded) in the request line; return (status line, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


@pytest.fixture
def served(app):
    """The app behind Werkzeug's development server (`flask run`) on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


def test_a_raw_utf8_query_finds_what_the_encoded_one_finds(app, served):
    import json

    suzhou = make_home("320508", name="苏州颐养测试院")
    make_home("310116", name="金山护理测试院")
    drain(current_backend())
    status, encoded = _raw_get(served, ("/api/v1/homes?q=" + quote("苏州")).encode())
    assert status.endswith(b"200 OK")
    status, raw = _raw_get(served, "/api/v1/homes?q=苏州".encode())
    assert status.endswith(b"200 OK")
    assert [i["id"] for i in json.loads(raw)["items"]] == [i["id"] for i in json.loads(encoded)["items"]] \
        == [suzhou.id]
    _, page = _raw_get(served, "/?q=苏州".encode())
    assert "苏州颐养测试院" in page.decode() and "金山护理测试院" not in page.decode()


# --- free beds are fresh per care level --------------------------------------------------------------------


def _age(home, level, days):
    home.vacancy_for(level).confirmed_at = utcnow() - timedelta(days=days)
    db.session.commit()


def _stale_everywhere(client, home):
    """Return whether the home is stale on its API page, its search item, and the dashboard (all must agree)."""
    detail = client.get(f"/api/v1/homes/{home.id}").get_json()["vacancy_stale"]
    drain(current_backend())
    items = client.get(f"/api/v1/homes?district={home.district_code}").get_json()["items"]
    item = next(i for i in items if i["id"] == home.id)["vacancy_stale"]
    listed = home.id in {row.id for row in dashboard_queries.stale_listings(None)}
    assert detail == item == listed, (detail, item, listed)
    return detail


def test_a_level_the_home_no_longer_offers_does_not_make_it_stale(client, app):
    home = make_home("320508", fees={"full": (2200, 2800, 900)})
    home.vacancies.append(Vacancy(care_level="self_care", beds_free=0, source="test",
                                  confirmed_at=utcnow() - timedelta(days=60)))  # no price: not offered
    db.session.commit()
    assert home.vacancy_confirmed_at == home.vacancy_for("full").confirmed_at
    assert _stale_everywhere(client, home) is False


def test_an_offered_level_not_confirmed_for_14_days_makes_the_home_stale(client, app):
    home = make_home("320508", fees={"full": (2200, 2800, 900), "dementia": (2500, 3500, 900)})
    _age(home, "dementia", 15)
    assert _stale_everywhere(client, home) is True
    _age(home, "dementia", 13)
    assert _stale_everywhere(client, home) is False


def test_search_for_a_care_level_shows_that_levels_freshness(client, app):
    home = make_home("320508", fees={"full": (2200, 2800, 900), "dementia": (2500, 3500, 900)})
    _age(home, "dementia", 20)
    drain(current_backend())
    url = f"/api/v1/homes?district={home.district_code}"
    by_level = {level: next(i for i in client.get(f"{url}&care_level={level}").get_json()["items"]
                            if i["id"] == home.id) for level in ("full", "dementia")}
    assert by_level["full"]["vacancy_stale"] is False and by_level["dementia"]["vacancy_stale"] is True
    assert by_level["dementia"]["vacancy_confirmed_at"] == home.vacancy_for("dementia").confirmed_at.isoformat()
    detail = client.get(f"/api/v1/homes/{home.id}").get_json()
    assert {v["care_level"]: v["stale"] for v in detail["vacancies"]} == {"full": False, "dementia": True}


@pytest.fixture
def api(app, client):
    provider = make_verified_provider()
    home = make_home("320508", provider_id=provider.id, fees={"full": (2200, 2800, 900),
                                                               "dementia": (2500, 3500, 900)}, free={"full": 2})
    api_client, secret = make_api_client(provider)
    return home, bearer(issue_token(client, api_client, secret))


def _history(home_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ListingChange)
                             .where(ListingChange.home_id == home_id))


def test_confirming_unchanged_levels_writes_no_history_and_renews_only_their_times(client, api):
    home, headers = api
    _age(home, "full", 10)
    _age(home, "dementia", 10)
    old_doc = indexed(home)
    started = utcnow()
    response = client.put(f"/api/v1/provider/homes/{home.id}/vacancies", headers=headers,
                          json={"free_beds": {"full": 2}})
    assert response.status_code == 200
    assert set(response.get_json()["changes"]) == {"vacancy.confirmed_at"}
    assert _history(home.id) == 0
    db.session.expire_all()
    home = db.session.get(Home, home.id)
    assert home.vacancy_for("full").confirmed_at >= started
    assert home.vacancy_for("dementia").confirmed_at < started  # not named: keeps its own time
    doc = indexed(home)
    assert doc["confirmed_full"] > old_doc["confirmed_full"] and doc["confirmed_dementia"] == \
        old_doc["confirmed_dementia"]
    changed = client.put(f"/api/v1/provider/homes/{home.id}/vacancies", headers=headers,
                         json={"free_beds": {"full": 1, "dementia": 5}})
    assert changed.get_json()["changes"]["vacancy.full"] == [2, 1]
    assert _history(home.id) == 1
