"""The policy-fact editor over HTTP (the browser test drives the same pages), the public facts API, the
open-data facts file, and the daily list of facts due for re-verification on the dashboard."""

import csv
import io
import json
import re
from datetime import date, datetime

from core import time
from core.jobs import run_daily_jobs
from costs import services
from costs.facts import current_facts
from costs.models import FactVersion, PolicyFact, StaleFact
from tests.factories import login_as, make_user


def _token(client):
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _fact_id(code):
    number = current_facts().number
    return PolicyFact.query.join(PolicyFact.version).filter(PolicyFact.code == code,
                                                            FactVersion.number == number).one().id


def _form(client, fact_id, **changes):
    """The edit form as the page fills it, with CHANGES typed in."""
    html = client.get(f"/regulator/facts/{fact_id}/edit?lang=en").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea[^>]*name="([a-z_]+)"[^>]*>\s*([^<]*)</textarea>', html))
    fields.update(status=re.search(r'<option selected value="([a-z]+)"', html).group(1), mode="replace")
    fields = {k: v for k, v in fields.items() if k not in ("preview", "publish")}  # the buttons: one per post
    return {**fields, "csrf_token": _token(client), **changes}


SHARE = "ltci.fund_share_pct/310000/*/*"
EVIDENCE = {"status": "verified", "doc_title": "《上海市长期护理保险办法》", "doc_url": "https://example.gov.cn/ltci/2026.html",
            "quote": "养老机构照护的费用，由长期护理保险基金支付85%", "verified_on": "2026-12-01",
            "verified_by": "policy desk", "reason": ""}


def test_preview_shows_the_effect_then_publish_makes_a_new_version(client, app):
    login_as(client, make_user("admin"))
    services.load_seed_facts()
    fact_id = _fact_id(SHARE)
    data = _form(client, fact_id, value="90", **EVIDENCE)
    page = client.post(f"/regulator/facts/{fact_id}/edit?lang=en", data={**data, "preview": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="fact-preview"' in html
    # the sample (grade 4 in Shanghai): 35.00 x 30 = 1050 yuan a day-standard month; 85% -> 892.50 (to be
    # confirmed, not counted) now; 90% verified -> 945.00 counted, so the family pays 7900 - 945 = 6955
    family = re.search(r'data-figure="family_share_fen" class="changed">.*?</tr>', html, re.S).group(0)
    assert "¥7,900" in family and "¥6,955" in family
    assert FactVersion.query.count() == 1  # a preview publishes nothing
    done = client.post(f"/regulator/facts/{fact_id}/edit", data={**data, "publish": "1", "change_note": "2026 text"})
    assert done.status_code == 302
    assert current_facts().number == 2 and current_facts().by_code(SHARE).value == 90
    assert FactVersion.query.filter_by(number=2).one().note == "2026 text"


def test_publishing_without_the_evidence_is_refused_with_the_fields_named(client, app):
    login_as(client, make_user("admin"))
    services.load_seed_facts()
    fact_id = _fact_id(SHARE)
    data = _form(client, fact_id, **{**EVIDENCE, "doc_url": "https://www.shanghai.gov.cn/", "quote": ""})
    page = client.post(f"/regulator/facts/{fact_id}/edit?lang=en", data={**data, "publish": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="error-summary"' in html
    assert "Link the document itself" in html and 'id="quote-error"' in html
    assert FactVersion.query.count() == 1


def test_a_regulator_cannot_edit_another_jurisdictions_fact(client, app):
    login_as(client, make_user("regulator", jurisdiction="330000"))
    services.load_seed_facts()
    fact_id = _fact_id(SHARE)
    assert client.get(f"/regulator/facts/{fact_id}/edit").status_code == 403
    response = client.post(f"/regulator/facts/{fact_id}/edit", data={"csrf_token": _token(client), "publish": "1",
                                                                     "value": "10", **EVIDENCE})
    assert response.status_code == 403 and current_facts().by_code(SHARE).value == 85


def test_a_superseded_fact_is_not_edited(client, app):
    login_as(client, make_user("admin"))
    services.load_seed_facts()
    old_id = _fact_id(SHARE)
    share = current_facts().by_code(SHARE)
    services.publish_fact_edit(make_user("admin"), SHARE, {
        "key": share.key, "origin_region": "310000", "value": "85", **EVIDENCE, "verified_on": date(2026, 12, 1)})
    assert client.get(f"/regulator/facts/{old_id}/edit").status_code == 404


def test_the_api_lists_a_versions_facts_with_their_sources(client, app):
    services.load_seed_facts()
    body = client.get("/api/v1/policy-facts").get_json()
    assert body["version"] == 1 and len(body["facts"]) == 42
    rail = next(f for f in body["facts"] if f["key"] == "rail.fastest_train_minutes")
    assert rail["value"] == 66 and rail["status"] == "secondary" and rail["source"]["title"]
    missing = client.get("/api/v1/policy-facts?version=9")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/policy-facts?version=x").status_code in (400, 422)


def test_the_open_data_facts_file_publishes_every_fact_with_its_source(client, app):
    services.load_seed_facts()
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/v1/facts.csv").get_data(as_text=True))))
    body = client.get("/open-data/v1/facts.json").get_json()
    assert len(rows) == len(body["rows"]) == 42
    standard = next(r for r in rows if r["code"] == "ltci.daily_standard_fen/310000/*/4/2025-09-01")
    assert (json.loads(standard["value"]), standard["status"], standard["effective_from"]) == (3500, "secondary",
                                                                                             "2025-09-01")
    assert standard["doc_title"] and standard["reason"] and standard["facts_version"] == "1"
    assert all(r["doc_title"] and r["status"] in ("verified", "secondary", "unverified") for r in rows)


def test_the_daily_job_lists_facts_unverified_for_a_year_on_the_dashboard(client, app):
    services.load_seed_facts()
    share = current_facts().by_code(SHARE)
    services.publish_fact_edit(make_user("admin"), SHARE, {
        "key": share.key, "origin_region": "310000", "value": "85", **EVIDENCE, "verified_on": date(2026, 11, 1)})
    with time.frozen(datetime(2026, 12, 6, 9, 0)):
        assert "list_stale_facts" in run_daily_jobs()
    codes = {s.code for s in StaleFact.query}
    assert SHARE not in codes and len(codes) == 41  # every other fact was never verified against its document
    with time.frozen(datetime(2027, 11, 2, 9, 0)):
        run_daily_jobs()
    assert SHARE in {s.code for s in StaleFact.query}  # a year and a day later
    login_as(client, make_user("regulator", jurisdiction="320000"))
    html = client.get("/regulator/dashboard?lang=en").get_data(as_text=True)
    assert 'id="stale-facts"' in html
    assert "ltci.daily_standard_fen/320500/*/severe" in html  # Jiangsu's own
    assert SHARE not in html  # Shanghai's is not the Jiangsu regulator's to re-verify


def test_the_first_visit_loads_the_seed_as_version_1_with_edit_links(client, app):
    login_as(client, make_user("admin"))
    html = client.get("/regulator/facts/?lang=en").get_data(as_text=True)
    assert "Current version: 1." in html
    assert html.count("/edit\"") == 42  # every fact editable by an admin
