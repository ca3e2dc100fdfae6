"""`flask ingest run | sources | quarantine`."""

import sqlalchemy as sa

from core.extensions import db
from ingest.models import ImportRun
from tests.factories import make_user
from tests.ingest.conftest import SAMPLES


def test_run_reports_the_counts_and_a_second_run_changes_nothing(app, runner):
    result = runner.invoke(args=["ingest", "run", "shanghai", str(SAMPLES / "shanghai_2025q1.csv")])
    assert result.exit_code == 0, result.output
    assert "done: rows=7 inserted=3 updated=0 unchanged=0 quarantined=4" in result.output
    from search import outbox
    from search.backend import current_backend
    from search.query import SearchQuery

    assert outbox.pending_count() == 0  # the imported homes are in the search index
    assert current_backend().search(SearchQuery(text="康乐养老院")).total == 1
    again = runner.invoke(args=["ingest", "run", "shanghai", str(SAMPLES / "shanghai_2025q1.csv")])
    assert again.exit_code == 0 and "already imported" in again.output


def test_run_as_a_regulator_scopes_the_run_to_the_jurisdiction(app, runner):
    make_user("regulator", email="sz@example.test", jurisdiction="320500")
    result = runner.invoke(args=["ingest", "run", "jiangsu", str(SAMPLES / "jiangsu_2025.xlsx"),
                                 "--as", "sz@example.test"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(ImportRun.jurisdiction_code)) == "320500"
    family = make_user("family", email="f@example.test")
    refused = runner.invoke(args=["ingest", "run", "jiangsu", str(SAMPLES / "jiangsu_2025.xlsx"),
                                  "--as", family.email])
    assert refused.exit_code != 0 and "no regulator" in refused.output


def test_a_broken_file_exits_nonzero_with_the_reason(app, runner):
    result = runner.invoke(args=["ingest", "run", "jiangsu", str(SAMPLES / "jiangsu_missing_columns.xlsx")])
    assert result.exit_code != 0 and "行政区划代码" in result.output


def test_sources_and_quarantine_list(app, runner):
    sources = runner.invoke(args=["ingest", "sources"]).output
    assert all(code in sources for code in ("shanghai", "jiangsu", "zhejiang", "anhui", "suzhou"))
    runner.invoke(args=["ingest", "run", "anhui", str(SAMPLES / "anhui_2025_gb18030.csv")])
    listing = runner.invoke(args=["ingest", "quarantine"]).output
    assert "合肥市庐阳区面议养老院" in listing and "面议" in listing
