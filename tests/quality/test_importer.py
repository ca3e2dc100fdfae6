"""CSV import: all or nothing per file, with every failing row reported by line; jurisdiction per row."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from core import time
from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from quality import importer
from quality.models import Finding, GradeCertificate, Inspection, QualityRating, Sanction
from tests.factories import login_as, make_home

TODAY = time.today()
D = {n: (TODAY - timedelta(days=n)).isoformat() for n in (5, 30, 400)}
LATER = (TODAY + timedelta(days=700)).isoformat()


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _csv(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_clean_inspections_file_is_imported_whole_and_rates_the_homes(people):
    data = _csv("licence_no,inspected_on,kind,inspector,summary,severity,scope,finding",
                f"SZ-Q-1,{D[30]},routine,苏州市民政局,年度检查,moderate,pattern,消防通道堵塞",
                f"SZ-Q-1,{D[30]},routine,苏州市民政局,年度检查,minor,isolated,台账不全",
                f"SZ-Q-1,{D[400]},routine,苏州市民政局,,,,")
    report = importer.import_csv("inspections", data, people["reg_in"], "insp.csv")
    assert report.errors == [] and report.rows == 3 and report.created == 2 and report.imported
    assert _count(Inspection) == 2 and _count(Finding) == 2
    assert db.session.scalar(sa.select(Inspection.source).limit(1)) == "import:insp.csv"
    rating = db.session.scalar(sa.select(QualityRating))
    assert rating.sub_ratings["inspections"]["count"] == 2


def test_a_broken_file_reports_every_bad_row_and_imports_nothing(people):
    make_home("330106", licence_no="HZ-1")  # Hangzhou: outside a Jiangsu regulator's jurisdiction
    data = _csv("licence_no,kind,severity,issued_on,resolved_on,description",
                f"SZ-Q-1,fine,serious,{D[30]},,逾期未整改",  # fine on its own
                f"SZ-Q-1,fine,catastrophic,{D[30]},,",  # line 3: bad severity
                f"NO-SUCH,warning,minor,{D[5]},,",  # line 4: unknown home
                "SZ-Q-1,warning,minor,2026-13-45,,",  # line 5: bad date
                f"HZ-1,warning,minor,{D[5]},,",  # line 6: outside the jurisdiction
                f"SZ-Q-1,corrective_order,minor,{D[5]},{D[30]},")  # line 7: resolved before issued
    with force_locale("en"):
        report = importer.import_csv("sanctions", data, people["reg_in"], "bad.csv")
    assert [e["line"] for e in report.errors] == [3, 4, 5, 6, 7]
    assert set(report.errors[0]["errors"]) == {"severity"} and set(report.errors[2]["errors"]) == {"issued_on"}
    assert "jurisdiction" in " ".join(report.errors[3]["errors"]["licence_no"])
    assert report.created == 0 and not report.imported
    assert _count(Sanction) == 0 and _count(QualityRating) == 0  # not even the good first row
    assert db.session.get(Home, people["home"].id).quality_warning is False


def test_an_inspections_file_with_one_bad_finding_imports_no_inspection(people):
    data = _csv("licence_no,inspected_on,kind,severity,scope,finding",
                f"SZ-Q-1,{D[30]},routine,minor,isolated,ok",
                f"SZ-Q-1,{D[5]},routine,moderate,everywhere,bad scope")
    report = importer.import_csv("inspections", data, people["reg_in"])
    assert [(e["line"], set(e["errors"])) for e in report.errors] == [(3, {"scope"})]
    assert _count(Inspection) == 0 and _count(Finding) == 0


def test_grades_import_and_a_missing_column_is_a_file_error(people):
    data = _csv("licence_no,level,issuing_body,certificate_no,issued_on,valid_until",
                f"SZ-Q-1,4,苏州市民政局,SZ-2026-1,{D[30]},{LATER}")
    assert importer.import_csv("grades", data, people["reg_in"]).created == 1
    assert db.session.get(Home, people["home"].id).grade == 4 and _count(GradeCertificate) == 1
    with pytest.raises(ServiceError) as caught:
        importer.import_csv("grades", _csv("licence_no,level", "SZ-Q-1,4"), people["reg_in"])
    assert "issuing_body" in caught.value.message and _count(GradeCertificate) == 1


def test_the_upload_page_shows_the_row_report_with_a_400(client, people):
    login_as(client, people["reg_in"])
    data = _csv("home_id,kind,severity,issued_on", f"{people['home'].id},fine,huge,{D[5]}")
    token = _token(client)
    response = client.post("/regulator/quality/import", data={
        "csrf_token": token, "import-kind": "sanctions", "import-file": (BytesIO(data), "s.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-line="2"' in html and _count(Sanction) == 0
    good = _csv("home_id,kind,severity,issued_on", f"{people['home'].id},fine,minor,{D[5]}")
    response = client.post("/regulator/quality/import", data={
        "csrf_token": token, "import-kind": "sanctions", "import-file": (BytesIO(good), "s.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302 and _count(Sanction) == 1


def test_a_file_that_is_not_utf8_gets_a_clear_400(client, people):
    login_as(client, people["reg_in"])
    response = client.post("/regulator/quality/import", data={
        "csrf_token": _token(client), "import-kind": "grades",
        "import-file": (BytesIO("licence_no,level\n甲,1\n".encode("gbk")), "g.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)


def _token(client):
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
