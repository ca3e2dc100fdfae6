"""POST /api/v1/homes/<id>/reviews: signed-in families only, with the session's CSRF token; same rules as the form."""

import sqlalchemy as sa

from core.extensions import db
from reviews.models import SUB_SCORES, Review
from tests.factories import login_as
from tests.reviews.conftest import GOOD_TEXT, csrf_token, review_values


def _body(**changes):
    values = review_values(**changes)
    return {**values, "period_start": values["period_start"].isoformat(),
            "period_end": values["period_end"].isoformat()}


def _token(client, world):
    return csrf_token(client.get(f"/homes/{world.home.id}/reviews/new").get_data(as_text=True))


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Review))


def test_a_family_writes_a_review_through_the_api_and_it_waits_for_moderation(world, client):
    login_as(client, world.family)
    response = client.post(f"/api/v1/homes/{world.home.id}/reviews", json=_body(),
                           headers={"X-CSRFToken": _token(client, world)})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["text"] == GOOD_TEXT and body["sub_scores"]["value"] == 4
    assert "source_ip" not in body and "risk_score" not in body
    assert db.session.get(Review, body["id"]).author_id == world.family.id


def test_the_api_refuses_anonymous_users_other_roles_and_requests_without_the_csrf_token(world, client):
    url = f"/api/v1/homes/{world.home.id}/reviews"
    assert client.post(url, json=_body()).status_code == 401
    login_as(client, world.staff)
    assert client.post(url, json=_body()).status_code == 403
    login_as(client, world.family)
    response = client.post(url, json=_body())
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    assert _count() == 0


def test_the_api_names_the_bad_fields(world, client):
    login_as(client, world.family)
    headers = {"X-CSRFToken": _token(client, world)}
    url = f"/api/v1/homes/{world.home.id}/reviews"
    for body, field in ((_body(overall=7), "overall"), (_body(relationship="boss"), "relationship"),
                        ({**_body(), "period_end": "yesterday"}, "period_end"),
                        (_body(sub_scores={"care": 4}), "food"), (_body(text="短"), "text"),
                        ({**_body(), "extra": 1}, "extra"), ([1, 2], "_schema")):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 400, body
        assert field in response.get_json()["error"]["fields"], (field, response.get_json())
    assert client.post("/api/v1/homes/999999/reviews", json=_body(), headers=headers).status_code == 404
    assert _count() == 0
    assert set(SUB_SCORES) == set(_body()["sub_scores"])


def test_the_api_shares_the_forms_flood_limit(app, world, client):
    app.config.update(REVIEW_SUBMIT_LIMIT_USER="2/hour")
    login_as(client, world.family)
    headers = {"X-CSRFToken": _token(client, world)}
    statuses = [client.post(f"/api/v1/homes/{home.id}/reviews", json=_body(), headers=headers).status_code
                for home in (world.home, world.other_home, world.home)]
    assert statuses == [201, 201, 429]
    assert _count() == 2
