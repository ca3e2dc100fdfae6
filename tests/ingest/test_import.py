"""Runs end to end: idempotency, newer files, provenance, conflicts, quarantine fixes, duplicates, jurisdiction."""

from datetime import timedelta

import sqlalchemy as sa

from core import time
from core.db import utcnow
from core.extensions import db
from ingest import services
from ingest.models import FieldProvenance, ImportConflict, ImportRun, QuarantinedRow, SourceFile, SourceRecord
from marketplace import services as marketplace_services
from marketplace.models import FeeItem, Home, ListingChange
from search.outbox import OutboxEntry
from tests.factories import make_user, make_verified_provider
from tests.ingest import fake_geocoder
from tests.ingest.conftest import SAMPLES, import_sample


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _home(name):
    return db.session.scalar(sa.select(Home).where(Home.name == name))


def _snapshot():
    homes = [(h.id, h.name, h.address, h.grade, h.lat, h.lon, h.version) for h in
             db.session.scalars(sa.select(Home).order_by(Home.id))]
    fees = [(f.home_id, f.care_level, f.kind, f.amount_fen, f.effective_from) for f in
            db.session.scalars(sa.select(FeeItem).order_by(FeeItem.id))]
    return homes, fees, _count(ListingChange), _count(QuarantinedRow), _count(OutboxEntry)


def test_the_kept_file_has_its_bytes_and_checksum(app, tmp_path):
    import hashlib

    run = import_sample("shanghai", "shanghai_2025q1.csv")
    kept = db.session.get(SourceFile, run.file_id)
    original = (SAMPLES / "shanghai_2025q1.csv").read_bytes()
    assert kept.sha256 == hashlib.sha256(original).hexdigest() and kept.size == len(original)
    with open(kept.stored_path, "rb") as fh:
        assert fh.read() == original


def test_importing_the_same_file_twice_changes_nothing(app):
    first = import_sample("shanghai", "shanghai_2025q1.csv")
    before = _snapshot()
    second = import_sample("shanghai", "shanghai_2025q1.csv")
    assert second.id == first.id and _count(ImportRun) == 1 and _count(SourceFile) == 1
    assert _snapshot() == before


def test_the_same_rows_in_a_new_file_are_unchanged(app):
    import_sample("anhui", "anhui_2025_gb18030.csv")
    before = _snapshot()
    run = import_sample("anhui", "anhui_2025.xlsx")  # the same rows as a workbook: another file
    assert (run.inserted, run.updated, run.unchanged) == (0, 0, 3)
    homes, fees, changes, _quarantine, outbox = _snapshot()
    assert (homes, fees, changes, outbox) == before[:3] + (before[4],)


def test_a_newer_file_updates_only_what_changed_and_records_provenance(app):
    first = import_sample("shanghai", "shanghai_2025q1.csv")
    home = _home("上海市徐汇区康乐养老院")
    other_version = _home("闵行区颐和护理院").version
    second = import_sample("shanghai", "shanghai_2025q2.csv")
    assert (second.inserted, second.updated, second.unchanged, second.quarantined) == (1, 1, 2, 0)
    db.session.expire_all()
    assert home.monthly_price_for("full") == 270000 + 260000 + 90000
    assert _home("闵行区颐和护理院").version == other_version  # untouched rows are not rewritten
    bed = db.session.scalar(sa.select(FieldProvenance).where(FieldProvenance.home_id == home.id,
                                                              FieldProvenance.field == "fee.full.bed"))
    name = db.session.scalar(sa.select(FieldProvenance).where(FieldProvenance.home_id == home.id,
                                                               FieldProvenance.field == "name"))
    assert (bed.file_id, bed.row_number, bed.value, bed.source) == (second.file_id, 2, 270000, "shanghai")
    assert (name.file_id, name.row_number) == (first.file_id, 2)  # the name came from the first file
    change = db.session.scalars(sa.select(ListingChange).where(ListingChange.home_id == home.id)
                                .order_by(ListingChange.id.desc())).first()
    on = max(f.effective_from for f in home.fee_items).isoformat()
    # the source has one bed fee for every care level: the one changed column changes three fee items
    assert change.channel == "import" and change.changes == {
        f"{level}.bed@{on}": [250000, 270000] for level in ("self_care", "partial", "full")}


def test_a_verified_providers_newer_price_is_not_overwritten_but_flagged(app):
    import_sample("shanghai", "shanghai_2025q1.csv")
    home = _home("上海市徐汇区康乐养老院")
    provider = make_verified_provider()
    home.provider_id = provider.id
    db.session.commit()
    staff = make_user("provider", provider=provider)

    marketplace_services.set_fees(home, [{"care_level": "full", "kind": "bed", "amount_fen": 255000,
                                          "effective_from": time.today()}],
                                  marketplace_services.Actor(staff, channel="portal"))
    run = import_sample("shanghai", "shanghai_2025q2.csv")  # says 2,700 yuan
    db.session.expire_all()
    assert home.current_fees()["full"]["bed"].amount_fen == 255000
    conflict = db.session.scalar(sa.select(ImportConflict))
    assert (conflict.field, conflict.current_value, conflict.incoming_value, conflict.edited_by) == (
        "fee.full.bed", 255000, 270000, "portal")
    assert run.conflicts == 1
    # other levels' bed fees were not edited by the provider: they follow the file
    assert home.current_fees()["self_care"]["bed"].amount_fen == 270000


def test_a_regulator_accepts_the_imported_value_of_a_conflict(app):
    test_a_verified_providers_newer_price_is_not_overwritten_but_flagged(app)
    conflict = db.session.scalar(sa.select(ImportConflict))
    regulator = make_user("regulator", jurisdiction="310000")
    services.resolve_conflict(conflict, True, regulator)
    home = db.session.get(Home, conflict.home_id)
    db.session.expire_all()
    assert home.current_fees()["full"]["bed"].amount_fen == 270000 and conflict.status == "accepted"


def test_an_unverified_providers_edit_does_not_block_the_import(app):
    import_sample("shanghai", "shanghai_2025q1.csv")
    home = _home("上海市徐汇区康乐养老院")
    db.session.add(ListingChange(home_id=home.id, channel="portal", changes={f"full.bed@{utcnow().date()}": [1, 2]}))
    db.session.commit()
    import_sample("shanghai", "shanghai_2025q2.csv")
    db.session.expire_all()
    assert home.current_fees()["full"]["bed"].amount_fen == 270000 and _count(ImportConflict) == 0


def test_an_edit_older_than_the_last_import_does_not_block_it(app):
    import_sample("shanghai", "shanghai_2025q1.csv")
    home = _home("上海市徐汇区康乐养老院")
    db.session.add(ListingChange(home_id=home.id, channel="regulator", created_at=utcnow() - timedelta(days=3),
                                 changes={"phone": ["x", "y"], f"full.bed@{utcnow().date()}": [1, 2]}))
    db.session.commit()
    import_sample("shanghai", "shanghai_2025q2.csv")
    assert _count(ImportConflict) == 0


def test_a_quarantined_row_is_fixed_and_reimported(app):
    run = import_sample("shanghai", "shanghai_2025q1.csv")
    regulator = make_user("regulator", jurisdiction="310000")
    row = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id,
                                                             QuarantinedRow.row_number == 6))
    outcome, _ = services.reimport_row(row, {"district_name": "不存在区"}, regulator)
    assert outcome == "quarantined" and row.status == "open"
    outcome, home = services.reimport_row(row, {"district_name": "长宁区"}, regulator)
    assert outcome == "inserted" and row.status == "imported" and row.home_id == home.id
    assert home.district_code == "310105" and home.location_approximate


def test_a_regulator_cannot_import_rows_outside_the_jurisdiction(app):
    regulator = make_user("regulator", jurisdiction="320500")  # Suzhou only
    run = import_sample("jiangsu", "jiangsu_2025.xlsx", user=regulator)
    assert run.jurisdiction_code == "320500" and run.inserted == 2
    nanjing = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.row_number == 4))
    assert {p["code"] for p in nanjing.problems} == {"out_of_jurisdiction"}
    assert _home("南京市玄武区钟山养老院") is None


def test_the_city_list_merges_a_near_identical_home_and_queues_a_doubtful_one(app):
    import_sample("jiangsu", "jiangsu_2025.xlsx")
    canglang = _home("苏州市姑苏区沧浪颐养院")
    run = import_sample("suzhou", "suzhou_2025.csv")
    assert (run.merged, run.inserted, run.quarantined) == (1, 1, 1)
    db.session.expire_all()
    # the province list gave the prices first (itemised): the city's all-in price is not mixed in
    assert _home("沧浪颐养院") is None and canglang.monthly_price_for("self_care") == (2400 + 600 + 900) * 100
    queued = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id))
    taihu = _home("苏州市吴中区太湖康养中心")
    assert queued.kind == "duplicate" and queued.candidate_home_id == taihu.id and 0.6 <= queued.score < 0.85
    regulator = make_user("regulator", jurisdiction="320000")
    outcome, home = services.reimport_row(queued, {}, regulator, decision="merge")
    assert outcome == "unchanged" and home.id == taihu.id  # the same facts; the city row now points at it
    linked = db.session.scalar(sa.select(SourceRecord).where(SourceRecord.source == "suzhou",
                                                             SourceRecord.home_id == taihu.id))
    assert linked is not None and linked.row_number == queued.row_number
    assert _home("吴中太湖康养院（东吴南路院区）") is None


def test_a_queued_duplicate_may_be_imported_as_a_new_home(app):
    import_sample("jiangsu", "jiangsu_2025.xlsx")
    run = import_sample("suzhou", "suzhou_2025.csv")
    queued = db.session.scalar(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id))
    outcome, home = services.reimport_row(queued, {}, make_user("admin"), decision="new")
    assert outcome == "inserted" and home.name == "吴中太湖康养院(东吴南路院区)"


def test_a_configured_geocoder_is_asked_once_per_address_and_its_bd09_answer_converted(app):
    app.config.update(INGEST_GEOCODER="tests.ingest.fake_geocoder:BaiduLike", INGEST_GEOCODER_CRS="bd09",
                      INGEST_GEOCODER_MIN_DELAY_S=0)
    fake_geocoder.CALLS.clear()
    import_sample("anhui", "anhui_2025_gb18030.csv")
    home = _home("合肥市蜀山区安康养老院")
    assert not home.location_approximate
    assert abs(home.lat - 31.86) < 1e-5 and abs(home.lon - 117.25) < 1e-5
    assert _home("合肥市包河区滨湖颐养中心").location_approximate  # no answer: the district centre
    calls = len(fake_geocoder.CALLS)
    import_sample("anhui", "anhui_2025.xlsx")
    assert len(fake_geocoder.CALLS) == calls  # cached
