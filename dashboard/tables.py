"""The dashboard's tables: one definition per table that the page, its charts and the CSV export all use.

A table is columns (key, label, kind) and rows of raw values (counts, fen, UTC datetimes); the page and the
CSV only format them, so the CSV always says what the page says.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from core import time
from core.vocab import CARE_LEVELS
from dashboard import queries
from marketplace import presenters, vocab

TABLES = ("capacity", "prices", "ratings", "stale", "stale_homes", "backlog")
STALE_HOMES_ON_PAGE = 100  # the page lists the oldest ones; the CSV export lists them all


@dataclass
class Table:
    """One table of the dashboard: its name (the CSV file name), title, columns and rows (total last)."""

    name: str
    title: str
    columns: list  # [(key, label, kind)]; kind: text | int | yuan | datetime | days
    rows: list = field(default_factory=list)
    total: dict | None = None
    note: str = ""

    def all_rows(self):
        """Return the rows with the total row last."""
        return self.rows + ([self.total] if self.total else [])


@dataclass
class Dashboard:
    """Every table of one jurisdiction at one moment, with the demo-data count."""

    scope: str | None
    now: datetime
    tables: dict
    demo_homes: int
    homes: int


def _days(now, then):
    return None if then is None else (now - then).days


def _city_column():
    return ("city", _("City"), "text")


def _total_label():
    return _("All cities")


def _city_label(code):
    return presenters.region_label(code, "city")


def _city_codes(scope, *figures):
    """Return the gazetteer's cities of SCOPE plus any city code that appears in FIGURES."""
    codes = set(queries.cities_in_scope(scope))
    for figure in figures:
        codes.update(figure)
    return sorted(codes)


def capacity_table(cities, capacity):
    """Build the homes, beds and free beds table."""
    columns = [_city_column(), ("homes", _("Homes"), "int"), ("demo_homes", _("Of which demo data"), "int"),
               ("beds", _("Beds"), "int"), ("free_beds", _("Free beds"), "int")]
    empty = {"homes": 0, "demo_homes": 0, "beds": 0, "free_beds": 0}
    rows = [{"city_code": c, "city": _city_label(c), **capacity.get(c, empty)} for c in cities]
    total = {"city_code": "", "city": _total_label(), **{k: sum(r[k] for r in rows) for k in empty}}
    return Table("capacity", _("Homes, beds and free beds"), columns, rows, total,
                 _("Free beds are the latest figures each home confirmed, summed over its care levels."))


def prices_table(cities, prices):
    """Build the median monthly price table (per care level: median and number of homes with a price)."""
    columns = [_city_column()]
    for level in CARE_LEVELS:
        label = vocab.label(vocab.CARE_LEVEL_LABELS, level)
        columns += [(f"{level}_median", _("%(level)s: median ¥/month", level=label), "yuan"),
                    (f"{level}_homes", _("%(level)s: homes priced", level=label), "int")]
    medians = queries.price_medians(prices)
    rows = [{"city_code": c, "city": _city_label(c), **_price_cells(medians.get(c, {}))} for c in cities]
    total = {"city_code": "", "city": _total_label(), **_price_cells(queries.overall_price_medians(prices))}
    return Table("prices", _("Median monthly price by care level"), columns, rows, total,
                 _("Bed, care and meals per month, as in effect today; the total row is the median over all "
                   "homes, not a median of the city medians."))


def _price_cells(by_level):
    cells = {}
    for level in CARE_LEVELS:
        entry = by_level.get(level) or {"median_fen": None, "homes": 0}
        cells[f"{level}_median"], cells[f"{level}_homes"] = entry["median_fen"], entry["homes"]
    return cells


def _rating_label(value):
    if queries.RATING_KIND == "grade":
        return _("Grade %(n)s", n=value)
    return _("%(n)s stars", n=value)


def ratings_table(cities, ratings):
    """Build the rating distribution table (homes per rating, not enough data, warning marks)."""
    columns = [_city_column()] + [(f"r{v}", _rating_label(v), "int") for v in queries.RATING_VALUES]
    columns += [("unrated", _("Not enough data") if queries.RATING_KIND == "quality_stars" else _("Not graded"),
                 "int"), ("warnings", _("With a warning mark"), "int")]
    keys = [key for key, _label, _kind in columns[1:]]
    rows = []
    for c in cities:
        entry = ratings.get(c, {"by_rating": {}, "warnings": 0})
        row = {f"r{v}": entry["by_rating"].get(v, 0) for v in queries.RATING_VALUES}
        row["unrated"] = sum(n for v, n in entry["by_rating"].items() if v not in queries.RATING_VALUES)
        rows.append({"city_code": c, "city": _city_label(c), **row, "warnings": entry["warnings"]})
    total = {"city_code": "", "city": _total_label(), **{k: sum(r[k] for r in rows) for k in keys}}
    title = _("Quality rating distribution") if queries.RATING_KIND == "quality_stars" else _("Grade distribution")
    return Table("ratings", title, columns, rows, total,
                 _("Homes per overall quality rating; a warning mark means a serious sanction in the last "
                   "12 months."))


def stale_table(cities, capacity, stale, now):
    """Build the stale listings table: listings whose free beds were not confirmed within the threshold."""
    columns = [_city_column(), ("homes", _("Homes"), "int"), ("stale", _("Stale listings"), "int"),
               ("oldest", _("Oldest confirmation"), "datetime"), ("oldest_days", _("Days since"), "days")]
    rows = []
    for c in cities:
        entry = stale.get(c, {"stale": 0, "oldest": None})
        rows.append({"city_code": c, "city": _city_label(c), "homes": capacity.get(c, {}).get("homes", 0),
                     "stale": entry["stale"], "oldest": entry["oldest"], "oldest_days": _days(now, entry["oldest"])})
    oldest = min((r["oldest"] for r in rows if r["oldest"] is not None), default=None)
    total = {"city_code": "", "city": _total_label(), "homes": sum(r["homes"] for r in rows),
             "stale": sum(r["stale"] for r in rows), "oldest": oldest, "oldest_days": _days(now, oldest)}
    return Table("stale", _("Stale listings"), columns, rows, total, _stale_note())


def _stale_note():
    return _("A listing is stale when its free beds were last confirmed more than %(n)s days ago (or never); "
             "families see it marked as possibly out of date.", n=current_app.config["VACANCY_STALE_DAYS"])


def stale_homes_table(listings, now, limit=None):
    """Build the list of stale listings, never-confirmed and oldest first."""
    columns = [("home_id", _("Home no."), "int"), ("home", _("Home"), "text"), ("demo", _("Demo data"), "text"),
               _city_column(), ("district", _("District"), "text"),
               ("confirmed_at", _("Last confirmed"), "datetime"), ("days", _("Days since"), "days")]
    rows = [{"home_id": r.id, "home": presenters.home_name(r.name, r.name_en),
             "demo": _("Demo data") if r.is_demo else "", "is_demo": r.is_demo,
             "city_code": r.city_code, "city": _city_label(r.city_code),
             "district": presenters.region_label(r.district_code, "district"), "confirmed_at": r.confirmed_at,
             "days": _days(now, r.confirmed_at)} for r in listings]
    shown = rows if limit is None else rows[:limit]
    note = _stale_note()
    if len(shown) < len(rows):
        note += " " + _("The %(shown)s oldest of %(n)s are listed here; the CSV export lists them all.",
                        shown=len(shown), n=len(rows))
    return Table("stale_homes", _("Stale listings, oldest first"), columns, shown, None, note)


def backlog_table(cities, backlog, now):
    """Build the moderation backlog table: reviews waiting for a decision and how long the oldest has waited."""
    columns = [_city_column(), ("pending", _("Reviews waiting"), "int"),
               ("oldest", _("Oldest sent"), "datetime"), ("oldest_days", _("Days waiting"), "days")]
    rows = []
    for c in cities:
        entry = backlog.get(c, {"pending": 0, "oldest": None})
        rows.append({"city_code": c, "city": _city_label(c), "pending": entry["pending"], "oldest": entry["oldest"],
                     "oldest_days": _days(now, entry["oldest"])})
    oldest = min((r["oldest"] for r in rows if r["oldest"] is not None), default=None)
    total = {"city_code": "", "city": _total_label(), "pending": sum(r["pending"] for r in rows),
             "oldest": oldest, "oldest_days": _days(now, oldest)}
    return Table("backlog", _("Moderation backlog"), columns, rows, total,
                 _("Reviews waiting for a moderator's decision (status pending), by the city of the home."))


def build_dashboard(scope, now=None, stale_limit=STALE_HOMES_ON_PAGE):
    """Compute every table of SCOPE (a jurisdiction code, None: everywhere) at NOW."""
    now = now or time.utcnow()
    capacity = queries.capacity_by_city(scope)
    prices = queries.monthly_prices_by_city(scope, time.business_date(now))
    ratings = queries.rating_distribution(scope)
    stale = queries.stale_by_city(scope, now)
    backlog = queries.moderation_backlog(scope)
    cities = _city_codes(scope, capacity, backlog)
    tables = [capacity_table(cities, capacity), prices_table(cities, prices), ratings_table(cities, ratings),
              stale_table(cities, capacity, stale, now),
              stale_homes_table(queries.stale_listings(scope, now), now, stale_limit),
              backlog_table(cities, backlog, now)]
    totals = tables[0].total
    return Dashboard(scope, now, {t.name: t for t in tables}, totals["demo_homes"], totals["homes"])


# --- formatting for the CSV export ------------------------------------------------------------------------


def csv_cell(value, kind):
    """Format one raw value for the CSV: plain numbers, yuan with two decimals, local date and time."""
    if value is None:
        return ""
    if kind == "yuan":
        whole, part = divmod(int(value), 100)
        return f"{whole}.{part:02d}"
    if kind == "datetime":
        return value.astimezone(time.business_tz()).strftime("%Y-%m-%d %H:%M")
    return str(value)


def to_csv(table):
    """Return TABLE as CSV text with a UTF-8 byte-order mark, so that Excel reads Chinese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _key, label, _kind in table.columns])
    for row in table.all_rows():
        writer.writerow([csv_cell(row.get(key), kind) for key, _label, kind in table.columns])
    return out.getvalue()


# --- the charts' data (progressive enhancement: the tables are the source of truth) -------------------------


def chart_data(dashboard):
    """Return the charts' specs as JSON-ready dicts, over the cities that have homes or waiting reviews."""
    t = dashboard.tables
    shown = [i for i, r in enumerate(t["capacity"].rows) if r["homes"] or t["backlog"].rows[i]["pending"]]
    labels = [t["capacity"].rows[i]["city"] for i in shown]

    def series(table, key, label, scale=1):
        values = [table.rows[i][key] for i in shown]
        return {"label": str(label), "data": [None if v is None else v / scale for v in values]}

    levels = [(lvl, vocab.label(vocab.CARE_LEVEL_LABELS, lvl)) for lvl in CARE_LEVELS]
    ratings = [(f"r{v}", _rating_label(v)) for v in queries.RATING_VALUES] + [("unrated", t["ratings"].columns[-2][1])]
    return [
        {"id": "capacity", "stacked": False, "labels": labels, "y": _("Beds"),
         "datasets": [series(t["capacity"], "beds", _("Beds")), series(t["capacity"], "free_beds", _("Free beds"))]},
        {"id": "prices", "stacked": False, "labels": labels, "y": _("¥ per month"),
         "datasets": [series(t["prices"], f"{lvl}_median", name, 100) for lvl, name in levels]},
        {"id": "ratings", "stacked": True, "labels": labels, "y": _("Homes"),
         "datasets": [series(t["ratings"], key, name) for key, name in ratings]},
        {"id": "stale", "stacked": False, "labels": labels, "y": _("Homes"),
         "datasets": [series(t["stale"], "stale", _("Stale listings"))]},
        {"id": "backlog", "stacked": False, "labels": labels, "y": _("Reviews"),
         "datasets": [series(t["backlog"], "pending", _("Reviews waiting"))]},
    ]
