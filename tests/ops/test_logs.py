"""Request ids and structured logs: one JSON line per request, the id carried everywhere, no personal data."""

import io
import json
import logging

from ops.logs import ContextFilter, _formatter, mask_personal_data


def test_a_request_id_is_taken_from_the_header_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.def"})
    assert response.headers["X-Request-ID"] == "abc-123.def"


def test_an_unsafe_or_missing_request_id_is_replaced_by_a_generated_one(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a\\nb<script>"}).headers["X-Request-ID"]
    assert unsafe != "a\\nb<script>" and len(unsafe) == 32


def test_every_error_body_carries_the_request_id(client):
    response = client.get("/api/v1/homes/999999", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert response.get_json()["error"]["request_id"] == "req-404"
    bad = client.get("/api/v1/homes?min_grade=nine", headers={"X-Request-ID": "req-400"})
    assert bad.status_code == 400 and bad.get_json()["error"]["request_id"] == "req-400"


def test_one_json_line_per_request_with_route_status_and_request_id(app, client):
    from ops import logs

    app.after_request(logs.log_request)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter("json"))
    handler.addFilter(ContextFilter())
    request_log = logging.getLogger("yrd.request")
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    try:
        client.get("/api/v1/homes/999999?q=13812345678", headers={"X-Request-ID": "req-json"})
    finally:
        request_log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["request_id"] == "req-json" and line["status"] == 404 and line["level"] == "INFO"
    assert line["route"] == "/api/v1/homes/<int:home_id>" and line["method"] == "GET"
    assert "13812345678" not in json.dumps(line)  # the query string is never logged


def test_personal_data_and_secrets_are_masked_in_any_log_record(caplog):
    log = logging.getLogger("yrd.test")
    with caplog.at_level(logging.INFO, logger="yrd.test"):
        log.info("call %s or %s, id %s, mail %s, %s", "13812345678", "+86 139-1234-5678", "11010519491231002X",
                 "wang.fang@example.cn", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc")
        log.info("password=hunter2hunter2&next=/")
    context, formatter = ContextFilter(), _formatter("json")
    for record in caplog.records:
        context.filter(record)
    text = " ".join(formatter.format(r) for r in caplog.records)
    for secret in ("13812345678", "139-1234-5678", "11010519491231002X", "wang.fang@example.cn", "eyJhbGci",
                   "hunter2"):
        assert secret not in text
    assert "[phone]" in text and "[id-number]" in text and "[email]" in text and "[redacted]" in text


def test_masking_leaves_ordinary_numbers_alone():
    assert mask_personal_data("home 171 at version 31, 2026-12-07, 320508") == \
        "home 171 at version 31, 2026-12-07, 320508"


def test_an_outbox_row_carries_the_request_id_that_made_the_change(app):
    from core.extensions import db
    from search.outbox import OutboxEntry
    from tests.factories import make_home

    with app.test_request_context("/", headers={"X-Request-ID": "req-write"}):
        app.preprocess_request()
        home = make_home()
    row = db.session.query(OutboxEntry).filter_by(home_id=home.id).one()
    assert row.request_id == "req-write"


def test_each_daily_job_writes_one_line_with_its_outcome(app, caplog):
    from core import jobs

    def failing_job():
        raise RuntimeError("boom")

    app.extensions["daily_jobs"] = [failing_job]
    with caplog.at_level(logging.INFO, logger="yrd.job"):
        jobs.run_daily_jobs()
    lines = [r for r in caplog.records if r.name == "yrd.job"]
    assert len(lines) == 1 and lines[0].outcome == "failed" and lines[0].job == "failing_job"


def test_the_run_log_check_finds_personal_data_that_got_through(tmp_path):
    from tests.ops.logcheck import personal_data_in_log

    log = tmp_path / "run.log"
    log.write_text('{"message": "home 171 at version 33"}\n{"message": "call 13912345678"}\n'
                   '{"message": "mail li@example.com.cn"}\n', encoding="utf-8")
    assert [kind for kind, _ in personal_data_in_log(log)] == ["phone", "email"]


def test_the_production_formatter_writes_nothing_the_run_log_check_would_flag(tmp_path):
    from tests.ops.logcheck import personal_data_in_log

    path = tmp_path / "app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_formatter("json"))
    handler.addFilter(ContextFilter())
    log = logging.getLogger("yrd.test.file")
    log.addHandler(handler)
    try:
        log.warning("inquiry from %s <%s> id %s", "13912345678", "li@example.com.cn", "11010519491231002X")
    finally:
        log.removeHandler(handler)
        handler.close()
    assert path.read_text(encoding="utf-8") and personal_data_in_log(path) == []
