"""The run report beyond its counters: quarantined rows counted by reason, and the problem rows as CSV.

Read-only queries over one run; the CSV speaks the reader's language (the reasons through Flask-Babel).
"""

import csv
import io
from collections import Counter

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.extensions import db
from ingest.models import QuarantinedRow
from ingest.normalise import problem_text

REASON_LABELS = {
    "missing": _l("A required value is missing"), "too_long": _l("A value is too long"),
    "bad_number": _l("Not a number"), "impossible_price": _l("Impossible price"),
    "no_prices": _l("No usable prices"), "unknown_code": _l("Unknown region code"),
    "unknown_district": _l("Unknown district"), "ambiguous_district": _l("Ambiguous district"),
    "out_of_scope": _l("Outside the source's area"), "out_of_jurisdiction": _l("Outside your jurisdiction"),
    "bad_grade": _l("Unknown grade"), "bad_coordinates": _l("Unreadable coordinates"),
    "far_coordinates": _l("Coordinates far from the district"), "bad_beds": _l("Impossible number of beds"),
    "duplicate_row": _l("Repeated in the file"), "possible_duplicate": _l("Possible duplicate of a home"),
    "no_place": _l("Not placed in the region"), "contradictory_place": _l("Region columns and address disagree"),
}


def quarantined_rows(run):
    """Return the run's quarantined rows in file order."""
    return db.session.scalars(sa.select(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
                              .order_by(QuarantinedRow.row_number)).all()


def reasons(run):
    """Return [(problem code, count)] over the run's quarantined rows, most frequent first."""
    counts = Counter(p.get("code") for row in quarantined_rows(run) for p in row.problems)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def problems_csv(run):
    """Return the run's problem rows as CSV text: row number, name, address, reasons (the user's language)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Name"), _("Address"), _("Status"), _("Reasons")])
    for row in quarantined_rows(run):
        writer.writerow([row.row_number, row.data.get("name", ""), row.data.get("address", ""), row.status,
                         "; ".join(problem_text(p) for p in row.problems)])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read the Chinese as UTF-8
