"""What a request may carry: ids beyond the database's range, JSON nested too deep, bodies too large."""

import io

import pytest
from werkzeug.routing import IntegerConverter

from core.inputs import MAX_ID
from tests.accounts.test_oauth2 import bearer, issue_token, make_api_client
from tests.factories import login_as, make_home, make_user, make_verified_provider

HUGE_IDS = (2**63, 2**63 + 1, 2**64, 10**30, MAX_ID + 1)


def _int_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(c, IntegerConverter) for c in rule._converters.values())]


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_ids_beyond_the_database_range_are_not_found_on_every_int_route(app, client, huge):
    login_as(client, make_user("admin"))  # past the sign-in checks: the id itself must be what is refused
    rules = _int_rules(app)
    assert len(rules) > 20
    for rule in rules:
        values = {name: (huge if isinstance(c, IntegerConverter) else "x") for name, c in rule._converters.items()}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (404, 405), f"{method} {url}: {response.status_code}"


def test_the_largest_id_is_still_routed(app, client):
    make_home()
    assert client.get(f"/homes/{MAX_ID}").status_code == 404  # routed, looked up, not there
    assert client.get(f"/api/v1/homes/{MAX_ID}").get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("ids", [f"{2**63}", f"1,{2**64}", f"{MAX_ID + 1}", "1,99999999999999999999999999"])
def test_compare_ids_beyond_the_range_are_a_400(client, ids):
    api = client.get(f"/api/v1/compare?ids={ids}")
    assert api.status_code == 400
    assert "ids" in api.get_json()["error"]["fields"]
    page = client.get(f"/compare?ids={ids}")
    assert page.status_code == 400
    assert 'class="field-error"' in page.get_data(as_text=True) or "error" in page.get_data(as_text=True)


def _deep(depth):
    return "[" * depth + "]" * depth


@pytest.fixture
def provider_token(client):
    provider = make_verified_provider()
    home = make_home(provider_id=provider.id, licence_no="苏养备2024999")
    api_client, secret = make_api_client(provider)
    return home, issue_token(client, api_client, secret)


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_json_nested_too_deep_is_a_400_on_the_provider_api(client, provider_token, depth):
    home, token = provider_token
    for kind in ("fees", "vacancies"):
        response = client.put(f"/api/v1/provider/homes/{home.id}/{kind}", data=_deep(depth),
                              headers={**bearer(token), "Content-Type": "application/json", "Idempotency-Key": kind})
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["code"] in ("bad_request", "invalid_parameters")


def test_json_nested_too_deep_is_a_400_where_a_family_writes_a_review(client):
    from tests.reviews.conftest import csrf_token

    home = make_home()
    login_as(client, make_user("family"))
    token = csrf_token(client.get(f"/homes/{home.id}/reviews/new").get_data(as_text=True))
    response = client.post(f"/api/v1/homes/{home.id}/reviews", data=_deep(100_000),
                           headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_json_nested_too_deep_is_a_400_for_flasks_own_reader(app):
    from flask import request

    from core.extensions import csrf

    @app.post("/_test/echo")
    @csrf.exempt
    def echo():
        return {"type": type(request.get_json()).__name__}

    response = app.test_client().post("/_test/echo", data=_deep(100_000), content_type="application/json",
                                      headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert app.test_client().post("/_test/echo", data=_deep(50), content_type="application/json").status_code == 200


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(client, provider_token):
    home, token = provider_token
    body = b'{"fees": [' + b'{"care_level": "full"},' * 60_000 + b'{}]}'
    assert len(body) > 1024 * 1024
    response = client.put(f"/api/v1/provider/homes/{home.id}/fees", data=body,
                          headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and "1 MB" in error["message"]


def test_a_page_form_over_the_limit_is_a_413_page(client):
    response = client.post("/account/login", data={"identifier": "x" * (2 * 1024 * 1024), "password": "x"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "请求内容过大" in text and "Traceback" not in text


def test_the_import_page_takes_larger_files_but_not_unbounded_ones(app, client, tmp_path):
    app.config["INGEST_DIR"] = str(tmp_path / "ingest")
    app.config["INGEST_UPLOAD_MAX_BYTES"] = 3 * 1024 * 1024
    login_as(client, make_user("regulator", jurisdiction="320000"))
    token = _csrf(client, "/regulator/imports/")
    two_mb = b"name,address\n" + b"x" * (2 * 1024 * 1024)
    response = client.post("/regulator/imports/", data={"csrf_token": token, "source": "nope",
                                                         "file": (io.BytesIO(two_mb), "list.csv")})
    assert response.status_code != 413  # over the app-wide 1 MiB, within the import limit: read and judged
    response = client.post("/regulator/imports/", data={"csrf_token": token, "source": "nope",
                                                         "file": (io.BytesIO(b"x" * (4 * 1024 * 1024)), "big.csv")})
    assert response.status_code == 413
    leftovers = [p for p in (tmp_path / "ingest").rglob("*") if p.is_file()] if (tmp_path / "ingest").exists() else []
    assert leftovers == []


def _csrf(client, url):
    import re

    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_an_upload_cut_off_while_stored_leaves_nothing_on_disk(app, tmp_path):
    from werkzeug.exceptions import ClientDisconnected

    from ingest import services

    app.config["INGEST_DIR"] = str(tmp_path / "kept")

    class CutOff(io.RawIOBase):
        sent = 0

        def read(self, size=-1):
            self.sent += 1
            if self.sent > 3:
                raise ClientDisconnected()
            return b"name,address\n" * 1000

    with pytest.raises(ClientDisconnected):
        services.store_file(CutOff(), "list.csv")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == []
