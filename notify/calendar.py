"""The .ics file that goes with a confirmed visit (RFC 5545, the icalendar library)."""

from datetime import date, datetime, time

from core import time as clock

_SLOTS = {"morning": (time(9), time(11, 30)), "afternoon": (time(14), time(16, 30))}


def visit_ics(notification, link):
    """Return the calendar file (bytes) for the visit NOTIFICATION names."""
    # imported here, not at the top: icalendar (~3 MiB) is needed only by the notifier that sends a confirmed
    # visit, and notify is imported by every web worker
    from icalendar import Calendar, Event

    params = notification.params
    day = date.fromisoformat(params["date"])
    start, end = _SLOTS.get(params.get("slot"), (time(9), time(17)))
    tz = clock.business_tz()
    cal = Calendar()
    cal.add("prodid", "-//YRD Care Compare//visits//ZH")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"visit-{params['reference']}@yrd-care-compare")
    event.add("dtstamp", clock.utcnow())
    event.add("dtstart", datetime.combine(day, start, tzinfo=tz))
    event.add("dtend", datetime.combine(day, end, tzinfo=tz))
    event.add("summary", params["home"])
    event.add("url", link)
    cal.add_component(event)
    return cal.to_ical()
