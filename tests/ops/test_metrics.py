"""/metrics in the Prometheus text format: values move when requests, searches and sign-ins happen."""

from prometheus_client.parser import text_string_to_metric_families

from tests.accounts.helpers import log_in
from tests.factories import make_home, make_user


def _samples(client, **kw):
    response = client.get("/metrics", **kw)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_request_counts_and_latency_move_per_route_and_status(client):
    before = _samples(client)
    client.get("/api/v1/homes/999999")
    after = _samples(client)
    route = "/api/v1/homes/<int:home_id>"
    key = {"method": "GET", "route": route, "status": "404"}
    assert _value(after, "yrd_http_requests_total", **key) == _value(before, "yrd_http_requests_total", **key) + 1
    count = {"method": "GET", "route": route}
    assert (_value(after, "yrd_http_request_duration_seconds_count", **count)
            == _value(before, "yrd_http_request_duration_seconds_count", **count) + 1)


def test_search_latency_is_recorded_per_backend_and_kind(client):
    make_home()
    before = _samples(client)
    assert client.get("/api/v1/homes?q=护理").status_code == 200
    after = _samples(client)
    labels = {"backend": "embedded", "kind": "text"}
    assert (_value(after, "yrd_search_duration_seconds_count", **labels)
            == _value(before, "yrd_search_duration_seconds_count", **labels) + 1)


def test_login_failures_and_lockouts_are_counted(app, client):
    user = make_user(email="metrics@example.cn")
    app.config["LOGIN_LOCKOUT_THRESHOLD"] = 2
    before = _samples(client)
    for _ in range(2):
        assert log_in(client, user.email, "wrong wrong wrong").status_code == 400  # the form again, with the refusal
    after = _samples(client)
    assert _value(after, "yrd_login_failures_total") >= _value(before, "yrd_login_failures_total") + 2
    assert _value(after, "yrd_login_lockouts_total") == _value(before, "yrd_login_lockouts_total") + 1


def test_outbox_depth_and_age_are_read_from_sql(client):
    from search.backend import current_backend
    from search.outbox import drain

    make_home()
    make_home()
    waiting = _samples(client)
    assert _value(waiting, "yrd_outbox_depth") == 2
    assert _value(waiting, "yrd_outbox_oldest_age_seconds") >= 0
    drain(current_backend())
    assert _value(_samples(client), "yrd_outbox_depth") == 0


def test_metrics_are_refused_outside_the_allow_list_without_the_token(app, client):
    app.config.update(METRICS_ALLOW="10.9.9.0/24", METRICS_TOKEN="tok-123456789")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer tok-123456789"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.9.7"}).status_code == 200
