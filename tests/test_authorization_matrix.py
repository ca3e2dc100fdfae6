"""Every route x every kind of user: the status each gets. Permissions are checked on the server for every read
and write. A route added without a row here fails `test_every_route_has_a_row`.

Roles: anonymous; family (the author of the inquiries); provider of this home (operator A, verified); provider of
another home (operator B); regulator inside the jurisdiction (Jiangsu, where home A is); regulator outside it
(Zhejiang); admin. POSTs carry the session's CSRF token and nothing else: a user who may act gets a form error
(400), or the action when it needs no input (302); one who may not is refused before the form is read.
"""

import importlib
import pkgutil
import re
from datetime import timedelta

import pytest

import tests.matrix
from core import time
from core.extensions import db
from inquiries import services as inquiry_services
from marketplace import services
from tests.factories import login_as, make_home, make_provider, make_user, make_verified_provider
from tests.matrix import PAGE, ROLES, everyone, members, signed_in

EXTENSIONS = [importlib.import_module(f"tests.matrix.{m.name}") for m in pkgutil.iter_modules(tests.matrix.__path__)]
EXEMPT = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "oauth2.issue_token"}


class World:
    """Two verified operators with a home each, an unverified operator claiming a third home, an inquiry."""

    def __init__(self):
        self.op_a, self.op_b = make_verified_provider("甲"), make_verified_provider("乙")
        self.op_c = make_provider("丙")
        self.home_a = make_home("320508", provider_id=self.op_a.id, licence_no="A-1")
        self.home_b = make_home("330106", provider_id=self.op_b.id, licence_no="B-1")
        self.orphan = make_home("320508", licence_no="C-1")
        self.users = {
            "family": make_user("family"),
            "prov_a": make_user("provider", provider=self.op_a),
            "prov_b": make_user("provider", provider=self.op_b),
            "reg_in": make_user("regulator", jurisdiction="320000"),
            "reg_out": make_user("regulator", jurisdiction="330000"),
            "admin": make_user("admin"),
        }
        self.claim = services.claim_home(self.op_c, "C-1", make_user("provider", provider=self.op_c))
        self.inquiry = inquiry_services.send_inquiry(
            self.users["family"], self.home_a, kind="visit", contact_name="王", contact_phone="13800138000",
            contact_consent=True, body="想参观", visit_date=time.today() + timedelta(days=5), time_slot="morning")
        self.keys = {"a": self.home_a.id, "b": self.home_b.id, "ref": self.inquiry.reference,
                     "claim": self.claim.id, "op_c": self.op_c.id}
        for extension in EXTENSIONS:
            self.keys.update(extension.setup(self))

    def fill(self, path):
        return path.format(**self.keys)


PORTAL_HOME = signed_in(PAGE, prov_a=200, admin=200)
PORTAL_HOME_POST = signed_in(PAGE, prov_a=400, admin=400)
THREAD = signed_in(PAGE, family=200, prov_a=200, prov_b=404, reg_in=404, reg_out=404, admin=404)
API_READ = everyone(200)
PROVIDER_API = everyone(401)  # the provider API takes bearer tokens only: a session cookie never authenticates it

MATRIX = [
    ("GET", "/", everyone(200)),
    ("GET", "/compare?ids={a},{b}", everyone(200)),
    ("GET", "/homes/{a}", everyone(200)),
    ("GET", "/lang/en?next=/", everyone(302)),
    ("GET", "/api/v1/homes", API_READ),
    ("GET", "/api/v1/homes/{a}", API_READ),
    ("GET", "/api/v1/compare?ids={a}", API_READ),
    ("GET", "/api/v1/regions", API_READ),
    ("GET", "/api/v1/provider/homes", PROVIDER_API),
    ("PUT", "/api/v1/provider/homes/{a}/fees", PROVIDER_API),
    ("PUT", "/api/v1/provider/homes/{a}/vacancies", PROVIDER_API),
    ("GET", "/api/v1/provider/inquiries", PROVIDER_API),
    ("GET", "/account", signed_in(PAGE, **members(200))),
    ("GET", "/account/inquiries", signed_in(PAGE, family=200)),
    ("POST", "/account/password", signed_in(PAGE, **members(400))),
    ("GET", "/account/login", everyone(200)),
    ("POST", "/account/login", everyone(400)),
    ("GET", "/account/signup", everyone(200)),
    ("POST", "/account/signup", everyone(400)),
    ("GET", "/account/reset", everyone(200)),
    ("POST", "/account/reset", everyone(400)),
    ("GET", "/account/reset/not-a-token", everyone(400)),
    ("POST", "/account/reset/not-a-token", everyone(400)),
    ("GET", "/account/sso", everyone(404)),  # single sign-on is not configured here
    ("GET", "/account/sso/callback", everyone(404)),
    ("GET", "/homes/{a}/inquire", signed_in(PAGE, family=200)),
    ("POST", "/homes/{a}/inquire", signed_in(PAGE, family=400)),
    ("GET", "/inquiries/{ref}", THREAD),
    ("GET", "/inquiries/{ref}/sent", THREAD),
    ("POST", "/inquiries/{ref}/reply", signed_in(PAGE, family=400, prov_a=400, prov_b=404, reg_in=404,
                                                 reg_out=404, admin=404)),
    # the home confirms the visit (it needs no input), so declining it afterwards is a conflict
    ("POST", "/inquiries/{ref}/confirm", signed_in(PAGE, family=403, prov_a=302, prov_b=404, reg_in=404,
                                                   reg_out=404, admin=404)),
    ("POST", "/inquiries/{ref}/decline", signed_in(PAGE, family=403, prov_a=409, prov_b=404, reg_in=404,
                                                   reg_out=404, admin=404)),
    ("POST", "/inquiries/{ref}/close", signed_in(PAGE, family=302, prov_a=302, prov_b=404, reg_in=404,
                                                 reg_out=404, admin=404)),
    # a family member without an operator is sent to register one; admins run no operator
    ("GET", "/portal/", signed_in(PAGE, family=302, prov_a=200, prov_b=200)),
    ("GET", "/portal/register", signed_in(PAGE, family=200, prov_a=302, prov_b=302)),
    ("POST", "/portal/register", signed_in(PAGE, family=400, prov_a=302, prov_b=302)),
    ("GET", "/portal/claims", signed_in(PAGE, prov_a=200, prov_b=200)),
    ("POST", "/portal/claims", signed_in(PAGE, prov_a=400, prov_b=400)),
    ("GET", "/portal/inbox", signed_in(PAGE, prov_a=200, prov_b=200)),
    ("GET", "/portal/homes/{a}", PORTAL_HOME),
    ("GET", "/portal/homes/{a}/fees", PORTAL_HOME),
    ("POST", "/portal/homes/{a}/fees/full", PORTAL_HOME_POST),
    ("GET", "/portal/homes/{a}/history", PORTAL_HOME),
    ("GET", "/portal/homes/{a}/listing", PORTAL_HOME),
    ("POST", "/portal/homes/{a}/listing", signed_in(PAGE, prov_a=302, admin=302)),  # every field is optional
    ("GET", "/portal/homes/{a}/photos", PORTAL_HOME),
    ("POST", "/portal/homes/{a}/photos", PORTAL_HOME_POST),
    ("POST", "/portal/homes/{a}/photos/999999/delete", signed_in(PAGE, prov_a=404, admin=404)),
    ("GET", "/portal/homes/{a}/vacancies", PORTAL_HOME),
    ("POST", "/portal/homes/{a}/vacancies", PORTAL_HOME_POST),
    ("POST", "/portal/homes/{a}/vacancies/confirm", signed_in(PAGE, prov_a=302, admin=302)),  # re-confirms as is
    ("GET", "/portal/homes/{b}", signed_in(PAGE, prov_b=200, admin=200)),
    ("GET", "/portal/photos/no-such-photo.jpg", everyone(404)),
    ("GET", "/portal/api-clients/", signed_in(PAGE, prov_a=200, prov_b=200)),
    ("POST", "/portal/api-clients/", signed_in(PAGE, prov_a=400, prov_b=400)),
    ("POST", "/portal/api-clients/999999/revoke", signed_in(PAGE, prov_a=404, prov_b=404)),
    ("GET", "/regulator/", signed_in(PAGE, reg_in=200, reg_out=200, admin=200)),
    ("POST", "/regulator/claims/{claim}", signed_in(PAGE, reg_in=400, admin=400)),
    ("POST", "/regulator/operators/{op_c}/verify", signed_in(PAGE, reg_in=302, admin=302)),
] + [row for extension in EXTENSIONS for row in extension.ROWS] + [
    ("POST", "/account/logout", signed_in(PAGE, **members(302))),  # last: it ends the session the rows use
]


@pytest.fixture
def world(app):
    return World()


def _csrf_token(client):
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(app, client, world, role):
    if role != "anon":
        login_as(client, world.users[role])
    token, wrong = _csrf_token(client), []
    for method, path, statuses in MATRIX:
        url = world.fill(path)
        if url.startswith("/api/") and method != "GET":
            response = client.open(url, method=method, json={})
        else:
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        if response.status_code != statuses[role]:
            wrong.append(f"{method} {url}: {response.status_code}, expected {statuses[role]}")
        db.session.rollback()
    assert wrong == [], "\n".join(wrong)


def test_refused_writes_change_nothing(app, client, world):
    login_as(client, world.users["prov_b"])
    token = _csrf_token(client)
    before = [(f.care_level, f.kind, f.amount_fen) for f in world.home_a.fee_items]
    confirmed = [v.confirmed_at for v in world.home_a.vacancies]
    assert client.post(f"/portal/homes/{world.home_a.id}/fees/full", data={
        "csrf_token": token, "bed": "1", "care": "1", "meals": "1", "deposit": "1"}).status_code == 403
    assert client.post(f"/portal/homes/{world.home_a.id}/vacancies/confirm",
                       data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert [(f.care_level, f.kind, f.amount_fen) for f in world.home_a.fee_items] == before
    assert [v.confirmed_at for v in world.home_a.vacancies] == confirmed
    login_as(client, world.users["reg_out"])
    token = _csrf_token(client)
    assert client.post(f"/regulator/operators/{world.op_c.id}/verify", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/regulator/claims/{world.claim.id}", data={
        "csrf_token": token, "decision": "approve", "note": "x"}).status_code == 403
    db.session.expire_all()
    assert world.op_c.verified_at is None and world.claim.status == "pending"


def test_every_route_has_a_row(app):
    covered = set()
    for method, path, _statuses in MATRIX:
        adapter = app.url_map.bind("localhost")
        keys = {"a": 1, "b": 2, "ref": "R", "claim": 3, "op_c": 4}
        for extension in EXTENSIONS:
            keys.update(extension.KEYS)
        endpoint, _args = adapter.match(path.split("?")[0].format(**keys), method=method)
        covered.add((endpoint, method))
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint not in EXEMPT
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(routes - covered) == []
