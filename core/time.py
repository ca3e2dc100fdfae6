"""The one clock. Instants are timezone-aware UTC (what the database stores); business dates ("today", the
price in effect, quiet hours, daily jobs) are read in the business time zone, Asia/Shanghai by default
(config BUSINESS_TIME_ZONE). Nothing else in the tree asks the system clock: a test moves this one with
`frozen(instant)` and every package sees the same time.
"""

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIME_ZONE = "Asia/Shanghai"
_frozen_at = None  # the test clock: an aware UTC datetime, or None for the system clock


@lru_cache(maxsize=8)
def _zone(name):
    return ZoneInfo(name)


def business_tz():
    """Return the business time zone (config BUSINESS_TIME_ZONE, Asia/Shanghai by default)."""
    name = current_app.config.get("BUSINESS_TIME_ZONE") if has_app_context() else None
    return _zone(name or DEFAULT_TIME_ZONE)


def utcnow():
    """Return the current instant, timezone-aware, in UTC."""
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


def now():
    """Return the current time in the business time zone."""
    return utcnow().astimezone(business_tz())


def today():
    """Return today's business date (Asia/Shanghai by default), whatever the server's own time zone."""
    return now().date()


def business_date(instant):
    """Return the business date on which the aware INSTANT falls."""
    return instant.astimezone(business_tz()).date()


def start_of_day(day: date):
    """Return the UTC instant at which the business date DAY begins."""
    return datetime.combine(day, time(0), tzinfo=business_tz()).astimezone(UTC)


def at_business_time(day: date, clock: time):
    """Return the UTC instant of CLOCK (a naive time of day) on business date DAY."""
    return datetime.combine(day, clock, tzinfo=business_tz()).astimezone(UTC)


@contextmanager
def frozen(instant):
    """Hold the clock at INSTANT (aware; a naive one is read as business time) for tests and replays."""
    global _frozen_at
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=business_tz())
    previous, _frozen_at = _frozen_at, instant.astimezone(UTC)
    try:
        yield _frozen_at
    finally:
        _frozen_at = previous


def advance(delta: timedelta):
    """Move a frozen clock forward by DELTA (tests only: the clock must be frozen)."""
    global _frozen_at
    if _frozen_at is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen_at = _frozen_at + delta
    return _frozen_at


def add_business_days(day: date, n: int):
    """Return the business date N working days (Monday to Friday) after DAY.

    Public holidays and the weekend days China makes working days are not known here: a period counted this
    way may end a few days early around a holiday, never late.
    """
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day
