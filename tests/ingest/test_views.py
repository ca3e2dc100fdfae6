"""The regulator's import pages: upload with a report, progress, quarantine fix and re-import, conflicts."""

import io
import re

import sqlalchemy as sa

from core import time
from core.extensions import db
from ingest.models import ImportConflict, ImportRun, QuarantinedRow
from marketplace.models import Home, ListingChange
from tests.factories import login_as, make_user
from tests.ingest.conftest import SAMPLES, import_sample


def _token(client, url="/regulator/imports/"):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _upload(client, token, name, source):
    data = {"csrf_token": token, "source": source,
            "file": (io.BytesIO((SAMPLES / name).read_bytes()), name)}
    return client.post("/regulator/imports/", data=data, content_type="multipart/form-data")


def test_a_regulator_uploads_a_file_and_sees_the_run_report(app, client):
    login_as(client, make_user("regulator", jurisdiction="310000"))
    response = _upload(client, _token(client), "shanghai_2025q1.csv", "shanghai")
    assert response.status_code == 302
    run = db.session.scalar(sa.select(ImportRun))
    assert response.headers["Location"].endswith(f"/regulator/imports/runs/{run.id}")
    page = client.get(f"/regulator/imports/runs/{run.id}").get_data(as_text=True)
    assert 'id="count-inserted">3<' in page and 'id="count-quarantined">4<' in page
    assert run.file.sha256 in page and "虹桥新区" in page
    progress = client.get(f"/regulator/imports/runs/{run.id}/progress").get_json()
    assert progress["status"] == "done" and progress["rows_done"] == progress["rows_total"] == 7


def test_uploading_the_same_file_again_changes_nothing(app, client):
    login_as(client, make_user("regulator", jurisdiction="310000"))
    token = _token(client)
    _upload(client, token, "shanghai_2025q1.csv", "shanghai")
    homes = db.session.scalar(sa.select(sa.func.count()).select_from(Home))
    response = _upload(client, token, "shanghai_2025q1.csv", "shanghai")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportRun)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == homes


def test_a_bad_upload_gets_a_form_error_not_a_500(app, client):
    login_as(client, make_user("regulator", jurisdiction="320000"))
    token = _token(client)
    assert client.post("/regulator/imports/", data={"csrf_token": token, "source": "jiangsu"}).status_code == 400
    response = _upload(client, token, "jiangsu_missing_columns.xlsx", "jiangsu")
    assert response.status_code == 400 and "行政区划代码" in response.get_data(as_text=True)
    response = _upload(client, token, "shanghai_2025q1.csv", "no-such-format")
    assert response.status_code == 400
    data = {"csrf_token": token, "source": "jiangsu", "file": (io.BytesIO(b"x"), "list.pdf")}
    assert client.post("/regulator/imports/", data=data, content_type="multipart/form-data").status_code == 400


def test_a_regulator_fixes_a_quarantined_row_on_the_page(app, client):
    regulator = make_user("regulator", jurisdiction="310000")
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == 6))
    login_as(client, regulator)
    listing = client.get("/regulator/imports/quarantine").get_data(as_text=True)
    assert "虹桥新区安康养老院" in listing
    url = f"/regulator/imports/quarantine/{row.id}"
    token = _token(client, url)
    fields = {"csrf_token": token, "action": "reimport", "name": "虹桥安康养老院", "district_name": "不存在区",
              "address": "虹桥路 1 号"}
    response = client.post(url, data=fields)
    assert response.status_code == 400 and "不存在区" in response.get_data(as_text=True)
    response = client.post(url, data={**fields, "district_name": "长宁区"})
    assert response.status_code == 302
    db.session.expire_all()
    assert row.status == "imported" and db.session.get(Home, row.home_id).name == "虹桥安康养老院"


def test_a_regulator_dismisses_a_row(app, client):
    regulator = make_user("regulator", jurisdiction="310000")
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id))
    login_as(client, regulator)
    url = f"/regulator/imports/quarantine/{row.id}"
    assert client.post(url, data={"csrf_token": _token(client, url), "action": "dismiss"}).status_code == 302
    db.session.expire_all()
    assert row.status == "dismissed" and row.resolved_by_id == regulator.id


def test_another_jurisdictions_runs_and_rows_are_refused(app, client):
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=make_user("regulator", jurisdiction="310000"))
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id))
    login_as(client, make_user("regulator", jurisdiction="320000"))
    assert client.get(f"/regulator/imports/runs/{run.id}").status_code == 403
    assert client.get(f"/regulator/imports/quarantine/{row.id}").status_code == 403
    assert "虹桥新区" not in client.get("/regulator/imports/quarantine").get_data(as_text=True)
    token = _token(client)
    url = f"/regulator/imports/quarantine/{row.id}"
    assert client.post(url, data={"csrf_token": token, "action": "dismiss"}).status_code == 403
    db.session.expire_all()
    assert row.status == "open"


def test_a_city_regulator_sees_runs_of_the_city_and_a_province_regulator_too(app, client):
    run = import_sample("suzhou", "suzhou_2025.csv", user=make_user("regulator", jurisdiction="320500"))
    login_as(client, make_user("regulator", jurisdiction="320000"))
    assert client.get(f"/regulator/imports/runs/{run.id}").status_code == 200
    login_as(client, make_user("regulator", jurisdiction="320100"))  # Nanjing
    assert client.get(f"/regulator/imports/runs/{run.id}").status_code == 403


def test_families_and_providers_cannot_reach_the_import_pages(app, client):
    assert app.test_client().get("/regulator/imports/").status_code == 302  # to the sign-in page
    login_as(client, make_user("family"))
    assert client.get("/regulator/imports/").status_code == 403
    login_as(client, make_user("regulator"))  # a regulator without a jurisdiction
    assert client.get("/regulator/imports/quarantine").status_code == 403


def test_a_regulator_keeps_the_current_value_of_a_conflict(app, client):
    import_sample("shanghai", "shanghai_2025q1.csv")
    home = db.session.scalar(sa.select(Home).where(Home.name == "上海市徐汇区康乐养老院"))
    regulator = make_user("regulator", jurisdiction="310000")

    db.session.add(ListingChange(home_id=home.id, channel="regulator", user_id=regulator.id,
                                 changes={f"full.bed@{time.today()}": [250000, 240000]}))
    db.session.commit()
    import_sample("shanghai", "shanghai_2025q2.csv")
    conflict = db.session.scalar(sa.select(ImportConflict))
    login_as(client, regulator)
    page = client.get("/regulator/imports/conflicts").get_data(as_text=True)
    assert "上海市徐汇区康乐养老院" in page and "270000" in page
    token = _token(client, "/regulator/imports/conflicts")
    url = f"/regulator/imports/conflicts/{conflict.id}"
    assert client.post(url, data={"csrf_token": token}).status_code == 400
    assert client.post(url, data={"csrf_token": token, "decision": "keep"}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "decision": "keep"}).status_code == 409
    db.session.expire_all()
    assert conflict.status == "kept" and home.current_fees()["full"]["bed"].amount_fen == 250000
    login_as(client, make_user("regulator", jurisdiction="330000"))
    assert client.post(url, data={"csrf_token": token, "decision": "accept"}).status_code == 403


def test_a_bad_fix_gets_errors_next_to_the_fields_and_changes_nothing(app, client):
    regulator = make_user("regulator", jurisdiction="310000")
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == 6))
    data_before, homes_before = dict(row.data), db.session.scalar(sa.select(sa.func.count()).select_from(Home))
    login_as(client, regulator)
    url = f"/regulator/imports/quarantine/{row.id}"
    token = _token(client, url)
    fields = {"csrf_token": token, "action": "reimport", "name": "虹桥安康养老院", "district_name": "长宁区",
              "address": "虹桥路 1 号", "lat": "north", "beds_total": "many", "床位费(元/月)": "两千"}
    response = client.post(url, data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("lat", "beds_total", "床位费(元/月)"):
        assert f'id="{name}-error"' in page and f'aria-describedby="{name}-error"' in page
    assert 'id="name-error"' not in page and 'id="error-summary"' in page
    assert client.post(url, data={**fields, "lat": "", "beds_total": "", "床位费(元/月)": "2000",
                                  "name": ""}).status_code == 400
    db.session.expire_all()
    assert row.status == "open" and row.data == data_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == homes_before
    assert client.post(url, data={**fields, "csrf_token": "forged", "lat": "", "beds_total": "",
                                  "床位费(元/月)": "2000"}).status_code == 400  # CSRF kept
    db.session.expire_all()
    assert row.status == "open"


def test_the_importers_reasons_are_shown_next_to_their_fields(app, client):
    regulator = make_user("regulator", jurisdiction="310000")
    run = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == 5))  # bed fee -2000
    login_as(client, regulator)
    url = f"/regulator/imports/quarantine/{row.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="床位费(元/月)-error"' in page and 'value="-2000"' in page
    response = client.post(url, data={"csrf_token": _token(client, url), "action": "reimport",
                                      "name": "浦东新区夕阳红敬老院", "address": "浦东新区张杨路 50 号",
                                      "床位费(元/月)": "990000"})
    assert response.status_code == 400 and 'id="床位费(元/月)-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert row.status == "open" and row.data["fees"]["床位费(元/月)"] == "990000"  # kept: the fix as tried


def test_an_upload_while_the_format_is_being_imported_gets_a_form_error(app, client):
    from core.db import utcnow
    from ingest.models import ImportLock

    holder = import_sample("shanghai", "shanghai_2025q2.csv")
    db.session.add(ImportLock(source="shanghai", run_id=holder.id, owner="web-2.example:4242:live",
                              acquired_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
    homes = db.session.scalar(sa.select(sa.func.count()).select_from(Home))
    login_as(client, make_user("regulator", jurisdiction="310000"))
    token = _token(client)
    for inline_max in (2 * 1024 * 1024, 0):  # run in the request, or handed to a background thread
        app.config["INGEST_INLINE_MAX_BYTES"] = inline_max
        response = _upload(client, token, "shanghai_2025q1.csv", "shanghai")
        page = response.get_data(as_text=True)
        assert response.status_code == 409 and 'id="file-error"' in page and f"（导入批次 {holder.id}）" in page
    run = db.session.scalar(sa.select(ImportRun).where(ImportRun.id != holder.id))
    assert (run.status, run.rows_done) == ("running", 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Home)) == homes
    db.session.execute(sa.update(ImportLock).values(run_id=run.id))  # now this very run is being imported
    db.session.commit()
    response = _upload(client, token, "shanghai_2025q1.csv", "shanghai")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/runs/{run.id}")


def test_a_stalled_run_says_so_and_uploading_the_file_again_finishes_it(app, client):
    from datetime import timedelta

    from core.db import utcnow
    from ingest import services

    regulator = make_user("regulator", jurisdiction="310000")
    with open(SAMPLES / "shanghai_2025q1.csv", "rb") as fh:
        run, _created = services.start_run("shanghai", services.store_file(fh, "shanghai_2025q1.csv"), regulator)
    run.heartbeat_at = utcnow() - timedelta(minutes=10)  # its worker went away before the first batch
    db.session.commit()
    login_as(client, regulator)
    assert 'id="run-stalled"' in client.get(f"/regulator/imports/runs/{run.id}").get_data(as_text=True)
    assert _upload(client, _token(client), "shanghai_2025q1.csv", "shanghai").status_code == 302
    db.session.expire_all()
    assert (run.status, run.inserted, run.quarantined) == ("done", 3, 4)
    assert 'id="run-stalled"' not in client.get(f"/regulator/imports/runs/{run.id}").get_data(as_text=True)
