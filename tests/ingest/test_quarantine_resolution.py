"""A later valid version of a quarantined row (same source, same natural key) closes the old entry, naming the
run that brought it; rows still broken, or whose identity could not be read, stay in the queue."""

import csv

import sqlalchemy as sa

from core.extensions import db
from ingest import services
from ingest.models import QuarantinedRow
from marketplace.models import Home
from tests.factories import login_as, make_user
from tests.ingest.conftest import SAMPLES, import_sample
from tests.ingest.samples.make_samples import SH_HEADER

SUNSET = ["4", "浦东新区夕阳红敬老院", "浦东新区", "浦东新区张杨路 50 号", "", "60", "一级", "民办", "2000",
          "800", "500", "", "", "", "121.544296", "31.227869"]  # the first quarter's row 5, with a possible bed fee
FUSHOU = ["2", "静安区福寿老年公寓", "静安", "静安区共和新路 1200 号", "021-56000002", "80", "二级", "民办", "3000",
          "1000", "1000", "2000", "3200", "4200", "121.454594", "31.258128"]


def _write(path, *rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SH_HEADER)
        writer.writerows(rows)
    return path


def _import(path):
    with open(path, "rb") as fh:
        return services.import_file("shanghai", fh, path.name)[0]


def _entry(run, row_number):
    return db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == row_number))


def test_a_later_file_with_the_valid_row_resolves_the_old_entry(app, runner, tmp_path):
    first = import_sample("shanghai", "shanghai_2025q1.csv")
    sunset, duplicate, unknown_district, nameless = (_entry(first, n) for n in (5, 7, 6, 8))
    assert sunset.natural_key and duplicate.natural_key and nameless.natural_key is None
    second = _import(_write(tmp_path / "2025q3.csv", SUNSET, FUSHOU))
    assert (second.inserted, second.unchanged, second.quarantined) == (1, 1, 0)
    db.session.expire_all()
    home = db.session.scalar(sa.select(Home).where(Home.name == "浦东新区夕阳红敬老院"))
    assert (sunset.status, sunset.resolved_run_id, sunset.home_id) == ("resolved", second.id, home.id)
    assert sunset.resolved_at is not None and sunset.resolved_by_id is None
    assert (duplicate.status, duplicate.resolved_run_id) == ("resolved", second.id)  # its valid twin came again
    assert unknown_district.status == nameless.status == "open"
    listing = runner.invoke(args=["ingest", "quarantine"]).output
    assert "夕阳红" not in listing and "虹桥新区" in listing


def test_a_row_still_broken_in_the_later_file_stays_open_until_a_fix_resolves_both(app, tmp_path):
    first = import_sample("shanghai", "shanghai_2025q1.csv")
    still_broken = SUNSET[:8] + ["-3000"] + SUNSET[9:]
    second = _import(_write(tmp_path / "2025q3.csv", still_broken))
    old, new = _entry(first, 5), _entry(second, 2)
    assert old.status == new.status == "open" and old.natural_key == new.natural_key
    regulator = make_user("regulator", jurisdiction="310000")
    outcome, home = services.reimport_row(new, {"床位费(元/月)": "2100"}, regulator)
    assert outcome == "inserted" and new.status == "imported"
    db.session.expire_all()
    assert (old.status, old.resolved_run_id, old.home_id) == ("resolved", second.id, home.id)


def test_the_row_page_names_the_run_that_resolved_it(app, client, tmp_path):
    regulator = make_user("regulator", jurisdiction="310000")
    first = import_sample("shanghai", "shanghai_2025q1.csv", user=regulator)
    second = _import(_write(tmp_path / "2025q3.csv", SUNSET))
    sunset = _entry(first, 5)
    login_as(client, regulator)
    assert "夕阳红" not in client.get("/regulator/imports/quarantine").get_data(as_text=True)
    page = client.get(f"/regulator/imports/quarantine/{sunset.id}").get_data(as_text=True)
    assert f'href="/regulator/imports/runs/{second.id}"' in page and 'id="fix-form"' not in page


def test_the_sample_quarantine_row_numbers():
    """The sample's broken rows are where the tests above expect them (file rows, header = 1)."""
    with open(SAMPLES / "shanghai_2025q1.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[4][1] == "浦东新区夕阳红敬老院" and rows[6][1] == "静安区福寿老年公寓" and rows[7][1] == ""
