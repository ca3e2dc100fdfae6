"""schemathesis against /openapi.json: every operation and method, with a real provider token and a family
session. No response may be a server error, and every response must match what the schema documents.

A bounded number of examples per operation (FUZZ_EXAMPLES, default 12) keeps the suite fast.
"""

import os
import re

import pytest
import schemathesis
from flask import request_started
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from core.extensions import db
from tests.conftest import _fresh_request_state

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _spec():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", SEARCH_INDEX_PATH=None)
    return app.test_client().get("/openapi.json").get_json()


SPEC = _spec()
OPERATIONS = [(path, method.upper()) for path, item in SPEC["paths"].items()
              for method in item if method in ("get", "put", "post", "patch", "delete")]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app for the module: a file SQLite, homes, a verified operator's API token, a signed-in family."""
    from geo.services import load_regions
    from search.backend import current_backend
    from search.outbox import drain
    from tests.accounts.test_oauth2 import issue_token, make_api_client
    from tests.factories import login_as, make_home, make_user, make_verified_provider

    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'app.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp / "index.sqlite3"))
    request_started.connect(_fresh_request_state, app)  # one app context for the module: no per-request leftovers
    with app.app_context():
        db.create_all()
        load_regions()
        provider = make_verified_provider()
        home = make_home("320508", provider_id=provider.id, licence_no="苏养备2024001")
        make_home("310104")
        api_client, secret = make_api_client(provider)
        drain(current_backend())
        http = app.test_client()
        token = issue_token(http, api_client, secret)
        login_as(http, make_user("family"))
        page = http.get(f"/homes/{home.id}/reviews/new").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert csrf, page[:2000]
        csrf = csrf.group(1)
        session_cookie = http.get_cookie("session").value
        headers = {"Authorization": f"Bearer {token}", "X-CSRFToken": csrf}
        yield {"app": app, "home_id": home.id, "headers": headers, "cookies": {"session": session_cookie},
               "schema": schemathesis.openapi.from_wsgi("/openapi.json", app)}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_every_operation_answers_within_its_schema(world, path, method, mode):
    """Valid requests and invalid ones (negative mode): never a 5xx, always a documented status and shape."""
    app = world["app"]
    operation = world["schema"][path][method]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def run(case):
        home_id = (case.path_parameters or {}).get("home_id")
        if isinstance(home_id, int) and home_id % 2:
            case.path_parameters["home_id"] = world["home_id"]  # half the cases reach a real home
        with app.app_context():
            case.call_and_validate(headers=world["headers"], cookies=world["cookies"], checks=CHECKS)

    try:
        run()
    except Unsatisfiable:  # nothing in this operation's request can be made invalid
        assert mode == GenerationMode.NEGATIVE
        pytest.skip(f"{method} {path} takes no input that could be invalid")


def test_the_schema_lists_the_provider_and_family_operations():
    paths = set(SPEC["paths"])
    assert any(p.startswith("/api/v1/provider/") for p in paths)
    assert any(p.endswith("/reviews") for p in paths)
    assert len(OPERATIONS) >= 10

