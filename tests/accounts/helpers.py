"""Helpers for the account tests: real forms with real CSRF tokens read from the page."""

import re

from accounts.models import User
from core.extensions import db

GOOD_PASSWORD = "tea garden by the west lake"
FACTORY_PASSWORD = "correct horse battery"  # what tests.factories.make_user gives
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url):
    """Fetch URL and return the CSRF token of its form."""
    response = client.get(url)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {url} ({response.status_code})"
    return match.group(1)


def submit(client, url, data, page=None, **kwargs):
    """POST DATA to URL as the form on PAGE (default URL) would, CSRF token included."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_up(client, identifier="wang.fang@example.cn", password=GOOD_PASSWORD, display_name="王芳", **kwargs):
    """Sign up through the form."""
    data = {"identifier": identifier, "password": password, "display_name": display_name, "accept_privacy": "y",
            **kwargs.pop("extra", {})}
    return submit(client, "/account/signup", data, **kwargs)


def finish_sign_up(client, sent, **kwargs):
    """Follow the last sign-up link sent (as its owner would) and press the one button; return the response."""
    link = [m for m in sent if m.get("kind") == "signup_link"][-1]["link"]
    path = link.split("://", 1)[1].split("/", 1)[1]
    return submit(client, "/" + path, {}, **kwargs)


def log_in(client, identifier, password=FACTORY_PASSWORD, next=None, **kwargs):
    """Sign in through the form."""
    data = {"identifier": identifier, "password": password}
    if next is not None:
        data["next"] = next
    return submit(client, "/account/login", data, **kwargs)


def log_out(client):
    """Sign out with the header's form."""
    return submit(client, "/account/logout", {}, page="/account/login")


def signed_in_user_id(client):
    """Return the id of the user CLIENT's session signs in, or None."""
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return int(user_id) if user_id else None


def users():
    """Return every user, freshly read."""
    db.session.expire_all()
    return db.session.scalars(db.select(User).order_by(User.id)).all()


def described_by(html, field_id):
    """Return the ids the input FIELD_ID's aria-describedby names."""
    match = re.search(rf'<input [^>]*id="{field_id}"[^>]*>', html)
    assert match, f"no input {field_id}"
    described = re.search(r'aria-describedby="([^"]*)"', match.group(0))
    return described.group(1).split() if described else []
