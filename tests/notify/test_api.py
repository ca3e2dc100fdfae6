"""/api/v1/me/notifications and /api/v1/me/preferences: the inbox and its choices as JSON, for the signed-in person
only, writes with the session's X-CSRFToken."""

from notify import services
from tests.accounts.helpers import csrf_token
from tests.factories import login_as, make_user


def _note(user, n):
    for i in range(n):
        services.record(user, "review_published", {"home": f"康乐{i}号院"}, f"/reviews/{i}", f"test:{user.id}:{i}")
    from core.extensions import db

    db.session.commit()


def test_a_person_lists_their_notifications_reads_the_unread_count_and_marks_them_read(app, client):
    family, other = make_user("family", email="a@example.cn"), make_user("family", email="b@example.cn")
    _note(family, 3)
    _note(other, 2)
    login_as(client, family)
    body = client.get("/api/v1/me/notifications?per_page=2", headers={"Accept-Language": "zh-CN"}).get_json()
    assert body["unread"] == 3 and len(body["items"]) == 2
    assert "康乐2号院" in body["items"][0]["title"] and "published" not in body["items"][0]["title"]
    assert client.get("/api/v1/me/notifications/unread-count").get_json() == {"unread": 3}
    headers = {"X-CSRFToken": csrf_token(client, "/account/notifications")}
    first = body["items"][0]["id"]
    marked = client.post("/api/v1/me/notifications/read", json={"ids": [first]}, headers=headers).get_json()
    assert marked == {"marked": 1, "unread": 2}
    others = [n.id for n in services.inbox(other)]
    assert client.post("/api/v1/me/notifications/read", json={"ids": others}, headers=headers).get_json()["marked"] == 0
    assert services.unread_count(other) == 2  # never someone else's
    assert client.post("/api/v1/me/notifications/read", json={}, headers=headers).get_json() == {"marked": 2,
                                                                                                "unread": 0}


def test_preferences_are_read_and_chosen_per_kind_and_channel(app, client):
    family = make_user("family", email="c@example.cn", mobile="+8613900000009")
    login_as(client, family)
    body = client.get("/api/v1/me/preferences").get_json()
    review = next(p for p in body["preferences"] if p["kind"] == "review_published")
    assert review["channels"] == {"email": True, "sms": False} and body["language"] == "zh_CN"
    headers = {"X-CSRFToken": csrf_token(client, "/account/notifications")}
    response = client.put("/api/v1/me/preferences", headers=headers, json={
        "language": "en", "preferences": [{"kind": "review_published", "channels": {"email": False, "sms": True}}]})
    assert response.status_code == 200
    review = next(p for p in response.get_json()["preferences"] if p["kind"] == "review_published")
    assert review["channels"] == {"email": False, "sms": True}
    assert services.channels_for(family, "review_published") == ["sms"] and services.language_of(family.id) == "en"


def test_bad_preferences_get_a_400_naming_the_field_and_change_nothing(app, client):
    family = make_user("family", email="d@example.cn")
    login_as(client, family)
    headers = {"X-CSRFToken": csrf_token(client, "/account/notifications")}
    for body in ({"preferences": [{"kind": "no_such_kind", "channels": {"email": False}}]},
                 {"preferences": [{"kind": "review_published", "channels": {"fax": True}}]},
                 {"language": "fr"}, {}, {"preferences": "x"}):
        response = client.put("/api/v1/me/preferences", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == "invalid_parameters"
    assert client.put("/api/v1/me/preferences", json={"language": "en"}).status_code == 400  # no CSRF header
    assert services.language_of(family.id) == "zh_CN"
    assert client.get("/api/v1/me/notifications?page=0").status_code == 400
    bad = client.post("/api/v1/me/notifications/read", json={"ids": [2**40]}, headers=headers)
    assert bad.status_code == 400


def test_signed_out_the_api_answers_401_in_the_one_error_shape(app, client):
    response = client.get("/api/v1/me/notifications")
    assert response.status_code == 401 and "error" in response.get_json()


def test_each_person_chooses_among_the_kinds_that_concern_them(app, client):
    family = make_user("family", email="e@example.cn")
    regulator = make_user("regulator", jurisdiction="320000", email="reg@example.cn")
    login_as(client, family)
    kinds = {p["kind"] for p in client.get("/api/v1/me/preferences").get_json()["preferences"]}
    assert {"shortlist_home_changed", "visit_confirmed"} <= kinds and "claim_waiting" not in kinds
    page = client.get("/account/notifications/settings", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "候选名单中的机构" in page and "有管理权申请等待我审批" not in page
    login_as(client, regulator)
    kinds = {p["kind"] for p in client.get("/api/v1/me/preferences").get_json()["preferences"]}
    assert {"claim_waiting", "appeal_waiting", "review_flood_flagged", "import_quarantined"} <= kinds
    assert "visit_confirmed" not in kinds
