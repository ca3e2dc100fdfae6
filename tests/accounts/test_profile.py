"""The account page (role, operator, jurisdiction; change password) and the account links in the header."""

import pytest

from accounts.passwords import verify_password
from core.extensions import db
from tests.accounts.helpers import FACTORY_PASSWORD, described_by, submit
from tests.factories import login_as, make_user, make_verified_provider

NEW_PASSWORD = "lanterns over the grand canal"


def test_the_account_page_shows_role_operator_and_jurisdiction(client):
    client.set_cookie("lang", "en")
    provider = make_verified_provider("苏州颐养集团")
    login_as(client, make_user("provider", provider=provider))
    html = client.get("/account").get_data(as_text=True)
    assert 'id="account-role">Care home staff<' in html and "苏州颐养集团" in html
    login_as(client, make_user("regulator", jurisdiction="320500"))
    html = client.get("/account").get_data(as_text=True)
    assert 'id="account-role">Regulator<' in html and "苏州" in html


def test_change_password_needs_the_current_one(client):
    user = make_user()
    login_as(client, user)
    response = submit(client, "/account/password", {"current_password": "wrong one", "new_password": NEW_PASSWORD},
                      page="/account")
    assert response.status_code == 400
    assert "current_password-error" in described_by(response.get_data(as_text=True), "current_password")
    response = submit(client, "/account/password", {"current_password": FACTORY_PASSWORD,
                                                    "new_password": NEW_PASSWORD}, page="/account")
    assert response.status_code == 302 and response.location == "/account"
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("new_password", ["", "short", "password1", "x" * 129])
def test_a_weak_new_password_is_refused(client, new_password):
    user = make_user()
    login_as(client, user)
    response = submit(client, "/account/password", {"current_password": FACTORY_PASSWORD,
                                                    "new_password": new_password}, page="/account")
    assert response.status_code == 400
    assert "new_password-error" in described_by(response.get_data(as_text=True), "new_password")
    db.session.refresh(user)
    assert verify_password(user.password_hash, FACTORY_PASSWORD)


def test_anonymous_visitors_see_sign_in_and_sign_up(client):
    html = client.get("/").get_data(as_text=True)
    assert 'id="nav-login"' in html and 'id="nav-signup"' in html and 'id="logout-form"' not in html


def test_links_to_pages_not_built_yet_are_left_out(app, client):
    for name in ("inquiries.my_inquiries", "portal.dashboard", "regulator.index"):
        app.view_functions.pop(name, None)
    login_as(client, make_user("admin"))
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="logout-form"' in html
    assert 'id="nav-regulator"' not in html and 'id="nav-inquiries"' not in html


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("family", {"nav-inquiries"}, {"nav-portal", "nav-regulator"}),
    ("provider", {"nav-inquiries", "nav-portal"}, {"nav-regulator"}),
    ("regulator", {"nav-inquiries", "nav-regulator"}, {"nav-portal"}),
    ("admin", {"nav-inquiries", "nav-regulator"}, {"nav-portal"}),
])
def test_the_header_shows_the_links_of_each_role(app, client, role, shown, hidden):
    _ensure_endpoints(app)
    fields = {"provider": make_verified_provider()} if role == "provider" else {}
    user = make_user(role, jurisdiction="320000" if role == "regulator" else None, display_name="测试用户", **fields)
    login_as(client, user)
    html = client.get("/").get_data(as_text=True)
    assert "测试用户" in html and 'id="logout-form"' in html
    assert all(f'id="{i}"' in html for i in shown) and not any(f'id="{i}"' in html for i in hidden)


def _ensure_endpoints(app):
    """Stand in for the pages other packages are building, where they are not there yet (before any request)."""
    for endpoint, rule in (("inquiries.my_inquiries", "/_t/inquiries"), ("portal.dashboard", "/_t/portal"),
                           ("regulator.index", "/_t/regulator")):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint, lambda: "")
