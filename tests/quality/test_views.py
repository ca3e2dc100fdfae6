"""Quality pages: regulators record within their jurisdiction, providers respond, the public sees the why."""

import re
from datetime import timedelta

import sqlalchemy as sa

from core import time
from core.extensions import db
from marketplace.models import Home
from quality import services
from quality.models import Inspection, ProviderResponse, Sanction
from quality.rules import load_rules
from search import outbox
from search.backend import current_backend
from tests.factories import login_as, make_home
from tests.quality.conftest import rate_home


def _token(client):
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_regulator_records_an_inspection_with_findings_by_form(client, people):
    login_as(client, people["reg_in"])
    home = people["home"]
    response = client.post(f"/regulator/quality/homes/{home.id}/inspections", data={
        "csrf_token": _token(client), "inspection-inspected_on": (time.today() - timedelta(days=3)).isoformat(),
        "inspection-kind": "complaint", "inspection-inspector": "姑苏区民政局",
        "inspection-findings-0-severity": "serious", "inspection-findings-0-scope": "pattern",
        "inspection-findings-0-description": "夜班人手不足", "inspection-findings-1-severity": ""})
    assert response.status_code == 302
    inspection = db.session.scalar(sa.select(Inspection))
    assert [(f.severity, f.scope) for f in inspection.findings] == [("serious", "pattern")]
    page = client.get(f"/regulator/quality/homes/{home.id}").get_data(as_text=True)
    assert "夜班人手不足" in page


def test_a_bad_form_is_a_400_with_the_field_named_and_nothing_saved(client, people):
    login_as(client, people["reg_in"])
    response = client.post(f"/regulator/quality/homes/{people['home'].id}/grades", data={
        "csrf_token": _token(client), "grade-level": "7", "grade-issuing_body": "局",
        "grade-issued_on": "2026-01-01", "grade-valid_until": "2025-01-01"})
    assert response.status_code == 400 and 'id="grade-level-error"' in response.get_data(as_text=True)
    response = client.post(f"/regulator/quality/homes/{people['home'].id}/grades", data={
        "csrf_token": _token(client), "grade-level": "3", "grade-issuing_body": "局",
        "grade-issued_on": "2026-01-01", "grade-valid_until": "2025-01-01"})
    assert response.status_code == 400 and 'id="grade-valid_until-error"' in response.get_data(as_text=True)
    assert services.rating_of(people["home"].id) is None


def test_a_regulator_outside_the_jurisdiction_can_neither_see_nor_record(client, people):
    login_as(client, people["reg_out"])
    home = people["home"]
    assert client.get(f"/regulator/quality/homes/{home.id}").status_code == 403
    response = client.post(f"/regulator/quality/homes/{home.id}/sanctions", data={
        "csrf_token": _token(client), "sanction-kind": "fine", "sanction-severity": "serious",
        "sanction-issued_on": time.today().isoformat()})
    assert response.status_code == 403 and _count(Sanction) == 0
    listing = client.get("/regulator/quality/").get_data(as_text=True)
    assert home.name not in listing


def test_a_regulator_outside_the_jurisdiction_cannot_check_or_resolve(client, people):
    home = people["home"]
    report = services.report_staffing(home, people["provider"], time.today(), 50, 15, 3)
    sanction = services.record_sanction(home, people["reg_in"], "fine", "minor", time.today())
    login_as(client, people["reg_out"])
    token = _token(client)
    assert client.post(f"/regulator/quality/staffing/{report.id}/check", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/regulator/quality/sanctions/{sanction.id}/resolve", data={
        "csrf_token": token, "resolve-resolved_on": time.today().isoformat()}).status_code == 403
    db.session.expire_all()
    assert report.checked_at is None and sanction.resolved_on is None
    login_as(client, people["reg_in"])
    assert client.post(f"/regulator/quality/staffing/{report.id}/check",
                       data={"csrf_token": _token(client)}).status_code == 302
    db.session.expire_all()
    assert report.checked_by_id == people["reg_in"].id


def test_a_provider_sees_its_records_and_attaches_a_response(client, people):
    home = people["home"]
    rate_home(home, people["reg_in"])
    inspection = db.session.scalar(sa.select(Inspection))
    login_as(client, people["provider"])
    page = client.get(f"/portal/quality/homes/{home.id}")
    assert page.status_code == 200 and "苏州市民政局" in page.get_data(as_text=True)
    response = client.post(f"/portal/quality/homes/{home.id}/responses", data={
        "csrf_token": _token(client), "response-record_type": "inspection",
        "response-record_id": str(inspection.id), "response-body": "已完成整改，消防通道已清理。"})
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(ProviderResponse))
    assert (saved.record_type, saved.record_id, saved.author_id) == ("inspection", inspection.id, people["provider"].id)
    assert "已完成整改" in client.get(f"/portal/quality/homes/{home.id}").get_data(as_text=True)
    login_as(client, people["reg_in"])
    assert "已完成整改" in client.get(f"/regulator/quality/homes/{home.id}").get_data(as_text=True)


def test_a_provider_cannot_respond_to_another_homes_record_or_see_it(client, people):
    other = make_home("320508", licence_no="OTHER-1")
    services.record_inspection(other, people["reg_in"], time.today(), "routine")
    theirs = db.session.scalar(sa.select(Inspection).where(Inspection.home_id == other.id))
    login_as(client, people["provider"])
    token = _token(client)
    assert client.get(f"/portal/quality/homes/{other.id}").status_code == 403
    # a record of another home named through the provider's own home: not found, nothing attached
    response = client.post(f"/portal/quality/homes/{people['home'].id}/responses", data={
        "csrf_token": token, "response-record_type": "inspection", "response-record_id": str(theirs.id),
        "response-body": "不是我们的"})
    assert response.status_code == 404 and _count(ProviderResponse) == 0
    response = client.post(f"/portal/quality/homes/{people['home'].id}/responses", data={
        "csrf_token": token, "response-record_type": "inspection", "response-record_id": "99999999999999999999",
        "response-body": "x"})
    assert response.status_code == 400 and _count(ProviderResponse) == 0


def test_a_provider_reports_staffing_which_shows_as_unchecked(client, people):
    home = people["home"]
    login_as(client, people["provider"])
    response = client.post(f"/portal/quality/homes/{home.id}/staffing", data={
        "csrf_token": _token(client), "staffing-as_of": time.today().isoformat(), "staffing-residents": "80",
        "staffing-care_staff": "20", "staffing-nurses": "30"})
    assert response.status_code == 400  # more nurses than care staff
    response = client.post(f"/portal/quality/homes/{home.id}/staffing", data={
        "csrf_token": _token(client), "staffing-as_of": time.today().isoformat(), "staffing-residents": "80",
        "staffing-care_staff": "20", "staffing-nurses": "4"})
    assert response.status_code == 302
    assert services.rating_of(home.id).sub_ratings["staffing"]["reason"] == "unchecked"


def test_the_methods_page_shows_the_numbers_of_the_rules_file(client):
    page = client.get("/methods/quality?lang=en").get_data(as_text=True)
    rules = load_rules()
    for weight in rules["weights"].values():
        assert f"{weight * 100:.0f}%" in page
    assert f"caps the overall rating at {rules['cap']['max_stars']} stars" in page
    for points in rules["inspections"]["severity_points"].values():
        assert f'<td class="num">{points}</td>' in page
    assert f"halves every {rules['inspections']['half_life_months']} months" in page


def test_the_home_page_explains_each_part_of_its_rating(client, people):
    home = people["home"]
    rate_home(home, people["reg_in"], grade=4)
    services.report_staffing(home, people["provider"], time.today(), 100, 30, 5)
    page = client.get(f"/homes/{home.id}?lang=en").get_data(as_text=True)
    assert 'id="quality-rating"' in page and "Quality rating 5 of 5 stars" in page
    for part in ("inspections", "staffing", "grade", "experience"):
        assert f'data-part="{part}"' in page
    assert "not yet checked by a regulator" in page and "Grade 4 certificate" in page
    services.record_sanction(home, people["reg_in"], "fine", "serious", time.today())
    page = client.get(f"/homes/{home.id}?lang=en").get_data(as_text=True)
    assert "Serious sanction in the last 12 months" in page and "without the sanction it would be 5 stars" in page


def test_a_home_without_data_says_so_and_shows_no_stars(client, people):
    page = client.get(f"/homes/{people['home'].id}?lang=en").get_data(as_text=True)
    assert "Quality: not enough data" in page and "Quality rating 5 of 5" not in page


def test_search_filters_and_sorts_by_quality_over_http(client, people):
    rated = people["home"]
    rate_home(rated, people["reg_in"], grade=5)
    unrated = make_home("320508", name="无评级养老院")
    outbox.drain(current_backend())
    items = client.get("/api/v1/homes?min_quality=5").get_json()["items"]
    assert [i["id"] for i in items] == [rated.id]
    items = client.get("/api/v1/homes?sort=quality").get_json()["items"]
    assert items[0]["id"] == rated.id
    assert client.get("/api/v1/homes?min_quality=9").status_code == 400
    page = client.get("/?min_quality=5&lang=en").get_data(as_text=True)
    assert f'class="result" data-home-id="{rated.id}"' in page and f'data-home-id="{unrated.id}"' not in page
    assert "Quality rating 5 of 5 stars" in page


def test_compare_shows_the_quality_ratings(client, people):
    rate_home(people["home"], people["reg_in"])
    other = make_home("320508")
    page = client.get(f"/compare?ids={people['home'].id},{other.id}&lang=en").get_data(as_text=True)
    assert 'id="compare-quality-title"' in page and page.count("Quality: not enough data") >= 1


def test_a_family_user_gets_403_on_regulator_and_portal_quality_pages(client, people):
    login_as(client, people["family"])
    assert client.get("/regulator/quality/").status_code == 403
    assert client.get(f"/portal/quality/homes/{people['home'].id}").status_code == 403
    assert db.session.get(Home, people["home"].id).quality_stars is None
