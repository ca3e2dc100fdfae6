"""The shortlist on the account: the compare tray of a signed-in person, kept across devices, no limit of four,
a private note per home, merged from the browser's tray at sign-in; JSON under /api/v1/me/shortlist."""

import json
import re

import sqlalchemy as sa

from core.extensions import db
from marketplace import shortlist
from marketplace.shortlist_models import ShortlistEntry
from tests.factories import login_as, make_home, make_user

PASSWORD = "correct horse battery"


def _token(client):
    html = client.get("/account/shortlist").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1) if 'name="csrf_token" value=' in html \
        else re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _homes(n):
    return [make_home("320508", name=f"康乐{i}号院", name_en=f"Kangle {i}") for i in range(n)]


def test_a_signed_in_family_keeps_more_than_four_homes_with_private_notes_through_the_api(app, client):
    family, homes = make_user("family"), _homes(6)
    login_as(client, family)
    headers = {"X-CSRFToken": _token(client)}
    for home in homes:
        assert client.post("/api/v1/me/shortlist", json={"home_id": home.id}, headers=headers).status_code == 201
    response = client.patch(f"/api/v1/me/shortlist/{homes[2].id}", json={"note": "离女儿家近"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["note"] == "离女儿家近"
    body = client.get("/api/v1/me/shortlist").get_json()
    assert [i["home_id"] for i in body["items"]] == [h.id for h in homes]
    assert body["compare_max"] == 4 and body["compare_url"].endswith(",".join(str(h.id) for h in homes[:4]))
    assert client.delete(f"/api/v1/me/shortlist/{homes[0].id}", headers=headers).status_code == 204
    assert [i["home_id"] for i in client.get("/api/v1/me/shortlist").get_json()["items"]] == [h.id for h in homes[1:]]


def test_another_person_never_sees_someone_elses_shortlist_or_notes(app, client):
    owner, other, home = make_user("family"), make_user("family"), _homes(1)[0]
    shortlist.add_home(owner, home.id, note="只给我看")
    login_as(client, other)
    assert client.get("/api/v1/me/shortlist").get_json()["items"] == []
    page = client.get("/account/shortlist").get_data(as_text=True)
    assert "只给我看" not in page
    headers = {"X-CSRFToken": _token(client)}
    assert client.patch(f"/api/v1/me/shortlist/{home.id}", json={"note": "x"}, headers=headers).status_code == 404
    db.session.expire_all()
    assert shortlist.entries(owner)[0][0].note == "只给我看"


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(app, client):
    family, home = make_user("family"), _homes(1)[0]
    login_as(client, family)
    headers = {"X-CSRFToken": _token(client)}
    assert client.post("/api/v1/me/shortlist", json={"home_id": home.id}).status_code == 400  # no CSRF header
    unknown = client.post("/api/v1/me/shortlist", json={"home_id": 99999999}, headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/me/shortlist", json={"home_id": "x"}, headers=headers).status_code == 400
    assert client.post("/api/v1/me/shortlist", json={"home_id": 2**40}, headers=headers).status_code == 400
    long = client.post("/api/v1/me/shortlist", json={"home_id": home.id, "note": "长" * 1001}, headers=headers)
    assert long.status_code == 400 and "note" in long.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(ShortlistEntry.id))) == 0
    assert client.get("/api/v1/me/shortlist").status_code == 200
    client.post("/account/logout", data={"csrf_token": headers["X-CSRFToken"]})
    assert client.get("/api/v1/me/shortlist").status_code == 401


def test_the_browser_tray_merges_into_the_account_at_sign_in(app, client):
    family, homes = make_user("family", email="tray@example.test", password=PASSWORD), _homes(5)
    shortlist.add_home(family, homes[0].id, note="已看过")
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    tray = json.dumps([{"id": homes[1].id, "name": "x"}, {"id": homes[0].id}, {"id": 99999999}, {"id": "bad"},
                       {"id": homes[2].id}])
    response = client.post("/account/login", data={"csrf_token": token, "identifier": "tray@example.test",
                                                   "password": PASSWORD, "compare_tray": tray})
    assert response.status_code == 302
    db.session.expire_all()
    pairs = shortlist.entries(family)
    assert [h.id for _e, h in pairs] == [homes[0].id, homes[1].id, homes[2].id]
    assert pairs[0][0].note == "已看过"  # what the account had is kept, note and all


def test_a_failed_sign_in_merges_nothing(app, client):
    family, home = make_user("family", email="tray2@example.test", password=PASSWORD), _homes(1)[0]
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/account/login", data={"csrf_token": token, "identifier": "tray2@example.test",
                                        "password": "wrong password!", "compare_tray": json.dumps([home.id])})
    assert shortlist.entries(family) == []


def test_merging_a_device_tray_through_the_api_skips_unknown_homes(app, client):
    family, homes = make_user("family"), _homes(2)
    login_as(client, family)
    headers = {"X-CSRFToken": _token(client)}
    response = client.post("/api/v1/me/shortlist/merge", json={"home_ids": [homes[1].id, 99999999, homes[0].id,
                                                                           homes[1].id, 2**40]}, headers=headers)
    assert response.status_code == 200
    assert [i["home_id"] for i in response.get_json()["items"]] == [homes[1].id, homes[0].id]


def test_the_shortlist_page_shows_notes_saves_them_and_offers_compare_four_at_a_time(app, client):
    family, homes = make_user("family"), _homes(5)
    for home in homes:
        shortlist.add_home(family, home.id)
    login_as(client, family)
    token = _token(client)
    assert client.post(f"/account/shortlist/{homes[1].id}/note",
                       data={"csrf_token": token, "note": "有失智专区"}).status_code == 302
    page = client.get("/account/shortlist").get_data(as_text=True)
    assert "有失智专区" in page and "康乐4号院" in page
    first_four = ",".join(str(h.id) for h in homes[:4])
    assert f'href="/compare?ids={first_four}"' in page
    assert client.post(f"/account/shortlist/{homes[0].id}/remove", data={"csrf_token": token}).status_code == 302
    assert [h.id for _e, h in shortlist.entries(family)] == [h.id for h in homes[1:]]
    assert client.post(f"/account/shortlist/{homes[1].id}/remove", data={}).status_code == 400


def test_the_shortlist_page_is_fully_in_english_when_english_is_chosen(app, client):
    family, homes = make_user("family"), _homes(2)
    shortlist.add_home(family, homes[0].id)
    login_as(client, family)
    client.get("/lang/en?next=/")
    page = client.get("/account/shortlist").get_data(as_text=True)
    assert "My shortlist" in page and "Kangle 0" in page
    client.get("/lang/zh?next=/")
    page = client.get("/account/shortlist").get_data(as_text=True)
    assert "My shortlist" not in page and "康乐0号院" in page
