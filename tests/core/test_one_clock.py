"""One clock: business dates are Asia/Shanghai dates whatever the server's zone, and nothing else asks the system."""

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core import time

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".git", "node_modules", "instance", "__pycache__", "migrations"}
SYSTEM_CLOCK = re.compile(r"\bdate\.today\(|\bdatetime\.now\(|\bdatetime\.utcnow\(")
ALLOWED = {Path("core/time.py"), Path("tests/core/test_one_clock.py")}


def _python_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not SKIP_DIRS.intersection(relative.parts):
            yield relative


def test_nothing_but_core_time_asks_the_system_clock():
    offenders = [f"{path}:{number}: {line.strip()}"
                 for path in _python_files() if path not in ALLOWED
                 for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1)
                 if SYSTEM_CLOCK.search(line)]
    assert offenders == [], "use core.time (today(), now(), utcnow()) instead:\n" + "\n".join(offenders)


def test_the_scan_sees_the_packages_it_guards():
    scanned = {path.parts[0] for path in _python_files()}
    assert {"core", "marketplace", "reviews", "quality", "inquiries", "ingest", "costs", "tests"} <= scanned


def test_a_utc_server_at_0256_on_7_december_business_time_reads_7_december():
    instant = datetime(2026, 12, 6, 18, 56, tzinfo=UTC)  # 02:56 on 7 Dec in Shanghai, still 6 Dec in UTC
    with time.frozen(instant):
        assert time.utcnow() == instant
        assert time.today() == date(2026, 12, 7)
        assert time.now().hour == 2 and time.now().utcoffset() == timedelta(hours=8)
        assert time.business_date(time.utcnow()) == date(2026, 12, 7)


def test_the_business_zone_comes_from_config(app):
    app.config["BUSINESS_TIME_ZONE"] = "UTC"
    with time.frozen(datetime(2026, 12, 6, 18, 56, tzinfo=UTC)):
        assert time.today() == date(2026, 12, 6)


def test_frozen_reads_a_naive_instant_as_business_time_and_restores_the_clock():
    with time.frozen(datetime(2026, 12, 7, 2, 56)) as at:
        assert at == datetime(2026, 12, 6, 18, 56, tzinfo=UTC)
        with time.frozen(datetime(2030, 1, 1, tzinfo=UTC)):
            assert time.today() == date(2030, 1, 1)
        assert time.utcnow() == at  # the outer freeze comes back
        time.advance(timedelta(hours=22))
        assert time.today() == date(2026, 12, 8)
    assert abs(time.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)  # the system clock again


def test_advance_needs_a_frozen_clock():
    with pytest.raises(RuntimeError):
        time.advance(timedelta(days=1))


def test_start_of_day_is_midnight_in_shanghai():
    assert time.start_of_day(date(2026, 12, 7)) == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def test_the_clock_fixture_freezes_every_package(app, clock):
    from marketplace import pricing
    from marketplace.models import FeeItem

    clock(datetime(2026, 12, 7, 2, 56))
    items = [FeeItem(care_level="full", kind="bed", amount_fen=100, effective_from=date(2026, 12, 7)),
             FeeItem(care_level="full", kind="bed", amount_fen=200, effective_from=date(2026, 12, 8))]
    assert pricing.current_fees(items)["full"]["bed"].amount_fen == 100  # the 7 Dec price is in effect at 02:56
    clock.advance(timedelta(days=1))
    assert pricing.current_fees(items)["full"]["bed"].amount_fen == 200
