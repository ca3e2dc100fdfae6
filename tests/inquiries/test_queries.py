"""Reads for the dashboard and the lists: counts by month, a provider's inquiries, a family's, unanswered."""

from datetime import UTC, datetime, timedelta

from core import time
from inquiries import queries, services


def _send(world, home, kind="inquiry", now=None, body=None):
    values = {"contact_name": "王", "contact_phone": "13800138000", "contact_consent": True}
    if kind == "visit":
        first, _ = services.visit_date_window()
        values.update(visit_date=first + timedelta(days=3), time_slot="afternoon")
    return services.send_inquiry(world.family, home, kind=kind, body=body or f"问题 {now}", now=now, **values)


def test_counts_by_month_counts_each_kind_per_local_month(app, world):
    app.config.update(INQUIRY_DAILY_LIMIT=100)
    # 2026-01-31 16:30 UTC is 2026-02-01 00:30 in Shanghai: it counts in February
    stamps = [datetime(2026, 1, 10, 2, tzinfo=UTC), datetime(2026, 1, 31, 16, 30, tzinfo=UTC),
              datetime(2026, 2, 3, 8, tzinfo=UTC)]
    with app.test_request_context():
        for stamp in stamps:
            _send(world, world.home, now=stamp)
        _send(world, world.home, kind="visit")
        _send(world, world.other_home, body="别家")
    today = time.today()
    this_month = today.strftime("%Y-%m")
    counts = queries.counts_by_month([world.home.id])
    assert counts["2026-01"]["inquiry"] == 1 and counts["2026-02"]["inquiry"] == 2
    assert counts[this_month]["visit"] == 1
    assert list(counts) == sorted(counts)
    both = queries.counts_by_month([world.home.id, world.other_home.id])
    assert sum(c["inquiry"] + c["visit"] for c in both.values()) == 5
    assert queries.counts_by_month([]) == {}


def test_for_provider_for_user_and_unanswered_count(app, world):
    with app.test_request_context():
        first = _send(world, world.home, body="一")
        second = _send(world, world.home, kind="visit", body="二")
        other = _send(world, world.other_home, body="三")
        services.reply(world.staff, first, "答复")
    assert [i.id for i in queries.for_provider(world.operator.id)] == [second.id, first.id]
    assert [i.id for i in queries.for_provider(world.operator.id, status="answered")] == [first.id]
    assert queries.unanswered_count(world.operator.id) == 1
    assert queries.unanswered_count(world.other_operator.id) == 1
    assert {i.id for i in queries.for_user(world.family.id)} == {first.id, second.id, other.id}
    assert queries.for_user(world.other_family.id) == []
    with app.test_request_context():
        services.confirm_visit(world.staff, second)
    assert queries.unanswered_count(world.operator.id) == 0
    assert time.today()  # the queries never depended on the request
