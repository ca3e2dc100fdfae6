"""Bursts of reviews: many for one home in a day, or many from one address, network or device."""

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from reviews.screening.base import BURST_HOME, BURST_SOURCE, Signal, _mask
from reviews.screening.duplicates import _created

# Bursts of reviews for one home: a home gets a few reviews a month, so five in a day is rare without a
# campaign; the rate factor keeps a popular home's ordinary busy day (its 90-day average) from tripping it.
BURST_HOME_WINDOW = timedelta(hours=24)
BURST_HOME_MIN = 5
BURST_HOME_RATE_FACTOR = 5
BURST_BASELINE = timedelta(days=90)
# Bursts from one source: a family may review two homes they toured from one phone on one day; three from
# one address or device is unusual. A /24 (IPv4) or /64 (IPv6) is shared by a household, an office or a
# care home's guest Wi-Fi, so the network threshold is higher than the single-address one.
BURST_SOURCE_WINDOW = timedelta(hours=24)
BURST_SAME_ADDRESS_MIN = 3
BURST_SAME_NETWORK_MIN = 6
BURST_SAME_DEVICE_MIN = 3
BURST_MAX_ROWS = 1000


def _home_reviews_between(home_id, start, end):
    """Return the conditions for real reviews of HOME_ID created after START up to and including END."""
    from reviews.models import Review

    return (Review.home_id == home_id, Review.is_demo.is_(False), Review.created_at > start, Review.created_at <= end)


def detect_home_burst(review):
    """Return a burst_home Signal when REVIEW's home gets many reviews in a day against its usual rate."""
    from reviews.models import Review

    now = _created(review)
    start = now - BURST_HOME_WINDOW
    recent = db.session.scalar(sa.select(sa.func.count()).where(*_home_reviews_between(review.home_id, start, now)))
    before = db.session.scalar(sa.select(sa.func.count()).where(
        *_home_reviews_between(review.home_id, start - BURST_BASELINE, start)))
    usual = before / (BURST_BASELINE / BURST_HOME_WINDOW)
    if recent < max(BURST_HOME_MIN, BURST_HOME_RATE_FACTOR * usual):
        return None
    ids = db.session.scalars(sa.select(Review.id).where(*_home_reviews_between(review.home_id, start, now))
                             .order_by(Review.id).limit(50)).all()
    return Signal(BURST_HOME, min(30 + 5 * (recent - BURST_HOME_MIN), 70),
                  {"count": recent, "window_hours": _hours(BURST_HOME_WINDOW), "usual_per_window": round(usual, 2),
                   "baseline_days": BURST_BASELINE.days, "review_ids": ids})


def _hours(delta):
    return int(delta.total_seconds() // 3600)


def network_of(address):
    """Return the /24 (IPv4) or /64 (IPv6) network of ADDRESS as a string, or None when it is not an IP."""
    ip = _ip(address)
    if ip is None:
        return None
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _ip(address):
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def _network_prefix_pattern(ip):
    """Return a LIKE pattern that every textual form of an address in IP's network starts with."""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".%"
    first = ip.exploded.split(":")[0].lstrip("0")
    return f"{first}:%" if first else None


def _source_rows(review):
    """Return recent reviews from REVIEW's device or address network (bounded), including REVIEW."""
    from reviews.models import Review

    now = _created(review)
    scope = []
    ip = _ip(review.source_ip)
    pattern = _network_prefix_pattern(ip) if ip else None
    if pattern:
        scope.append(sa.func.lower(Review.source_ip).like(pattern))
        if ip.version == 4:
            scope.append(Review.source_ip.like(f"::ffff:{pattern}"))
    if review.device_id:
        scope.append(Review.device_id == review.device_id)
    if not scope:
        return []
    stmt = (sa.select(Review.id, Review.home_id, Review.source_ip, Review.device_id)
            .where(Review.is_demo.is_(False), Review.created_at >= now - BURST_SOURCE_WINDOW,
                   Review.created_at <= now, sa.or_(*scope))
            .order_by(Review.created_at.desc(), Review.id.desc()).limit(BURST_MAX_ROWS))
    rows = db.session.execute(stmt).all()
    if review.id not in {r.id for r in rows}:
        rows.append(_Row(review.id, review.home_id, review.source_ip, review.device_id))
    return rows


@dataclass(frozen=True)
class _Row:
    id: int
    home_id: int
    source_ip: str | None
    device_id: str | None


def _source_findings(review, rows):
    """Return the address, network and device bursts among ROWS as evidence dicts (possibly none)."""
    findings = []
    ip, network = _ip(review.source_ip), network_of(review.source_ip)
    if ip is not None:
        same_address = [r for r in rows if _ip(r.source_ip) == ip]
        same_network = [r for r in rows if network_of(r.source_ip) == network]
        if len(same_address) >= BURST_SAME_ADDRESS_MIN:
            findings.append(_finding("address", network, same_address, BURST_SAME_ADDRESS_MIN))
        if len(same_network) >= BURST_SAME_NETWORK_MIN:
            findings.append(_finding("network", network, same_network, BURST_SAME_NETWORK_MIN))
    if review.device_id:
        same_device = [r for r in rows if r.device_id == review.device_id]
        if len(same_device) >= BURST_SAME_DEVICE_MIN:
            shown = _mask(review.device_id, 4, 0) if len(review.device_id) > 4 else "****"
            findings.append(_finding("device", shown, same_device, BURST_SAME_DEVICE_MIN))
    return findings


def _finding(kind, source, rows, threshold):
    return {"kind": kind, "source": source, "count": len(rows), "threshold": threshold,
            "homes": len({r.home_id for r in rows}), "review_ids": sorted(r.id for r in rows)[:50]}


_SOURCE_RISK = {"address": 40, "network": 30, "device": 50}


def detect_source_burst(review):
    """Return a burst_source Signal when many reviews come from REVIEW's address, network or device."""
    findings = _source_findings(review, _source_rows(review))
    if not findings:
        return None
    risk = min(max(_SOURCE_RISK[f["kind"]] for f in findings) + 10 * (len(findings) - 1), 80)
    return Signal(BURST_SOURCE, risk, {"window_hours": _hours(BURST_SOURCE_WINDOW), "findings": findings})
