"""CSV import of inspections, sanctions and grade certificates by a regulator, with a row-by-row error report.

All or nothing per file: every row is checked (the home exists and lies in the regulator's jurisdiction, each
field is valid) and written inside one transaction; if any row fails, the transaction is rolled back and the
report lists every failing row with its line number; nothing of the file is kept. A clean file is committed
whole, with the ratings of the homes it touched recomputed.

Columns (UTF-8, with or without a BOM; a header row; a home is named by `licence_no` or `home_id`):
  inspections: inspected_on, kind, inspector, summary, severity, scope, finding
               one row per finding; rows with the same home, date, kind and inspector form one inspection;
               a row with an empty severity is an inspection without findings
  sanctions:   kind, severity, issued_on, resolved_on, description
  grades:      level, issuing_body, certificate_no, issued_on, valid_until
"""

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts import permissions
from core.errors import ServiceError
from core.extensions import db
from marketplace.models import Home
from quality import services
from quality.models import SCOPES, SEVERITIES

KINDS = ("inspections", "sanctions", "grades")
REQUIRED = {
    "inspections": ("inspected_on", "kind"),
    "sanctions": ("kind", "severity", "issued_on"),
    "grades": ("level", "issuing_body", "issued_on", "valid_until"),
}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


@dataclass
class ImportReport:
    """What an import did: the rows read, the records created, and the errors by line (then nothing is kept)."""

    kind: str
    rows: int = 0
    created: int = 0
    errors: list = field(default_factory=list)  # [{"line": n, "errors": {column: [message]}}]

    @property
    def imported(self):
        return not self.errors and self.created > 0


def _decode(data):
    if len(data) > MAX_BYTES:
        raise ServiceError(_("The file is too large (at most 2 MB)."), fields={"file": [_("Too large.")]},
                           status=413, code="too_large")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."),
                           fields={"file": [_("Not UTF-8.")]}) from None


def _rows(kind, text):
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip() for c in reader.fieldnames or ()}
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if not {"licence_no", "home_id"} & columns:
        missing.insert(0, "licence_no")
    if missing:
        raise ServiceError(_("Columns missing from the header: %(columns)s.", columns=", ".join(missing)),
                           fields={"file": [_("Columns missing: %(columns)s.", columns=", ".join(missing))]})
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if len(rows) > MAX_ROWS:
        raise ServiceError(_("Too many rows (at most %(n)s per file).", n=MAX_ROWS),
                           fields={"file": [_("Too many rows.")]})
    return rows


def _home(row, user):
    if row.get("home_id"):
        home_id = services.check_int("home_id", row["home_id"], 1, 2**31 - 1)
        home = db.session.get(Home, home_id)
    else:
        home = db.session.scalar(sa.select(Home).where(Home.licence_no == row.get("licence_no", "")))
    if home is None:
        raise ServiceError(_("No such home."), fields={"licence_no": [_("No home has this filing number or id.")]})
    if not permissions.records_quality(user, home):
        raise ServiceError(_("Outside your jurisdiction."),
                           fields={"licence_no": [_("This home lies outside your jurisdiction.")]}, status=403)
    return home


def _import_sanction(row, user, source):
    services.record_sanction(_home(row, user), user, row.get("kind"), row.get("severity"), row.get("issued_on"),
                             description=row.get("description", ""), resolved_on=row.get("resolved_on") or None,
                             source=source, commit=False)
    return 1


def _import_grade(row, user, source):
    services.record_grade(_home(row, user), user, row.get("level"), row.get("issuing_body"), row.get("issued_on"),
                          row.get("valid_until"), certificate_no=row.get("certificate_no", ""), source=source,
                          commit=False)
    return 1


def _check_finding(row):
    if row.get("severity"):
        services.check_choice("severity", row["severity"], SEVERITIES)
        services.check_choice("scope", row.get("scope") or "isolated", SCOPES)
        services.check_text("finding", row.get("finding"))


def _inspection_groups(rows, user, report):
    """Group checked rows into inspections {key: (home, first row, [findings])}; record row errors in REPORT."""
    groups = {}
    for line, row in rows:
        try:
            home = _home(row, user)
            _check_finding(row)
            services.check_date("inspected_on", row.get("inspected_on"))
        except ServiceError as exc:
            report.errors.append({"line": line, "errors": exc.fields or {"row": [exc.message]}})
            continue
        key = (home.id, row["inspected_on"], row.get("kind"), row.get("inspector", ""))
        entry = groups.setdefault(key, (home, line, row, []))
        if row.get("severity"):
            entry[3].append((row["severity"], row.get("scope") or "isolated", row.get("finding", "")))
    return groups


def _import_inspections(rows, user, source, report):
    for home, line, row, findings in _inspection_groups(rows, user, report).values():
        try:
            services.record_inspection(home, user, row["inspected_on"], row.get("kind"), findings=findings,
                                       inspector=row.get("inspector", ""), summary=row.get("summary", ""),
                                       source=source, commit=False)
            report.created += 1
        except ServiceError as exc:
            report.errors.append({"line": line, "errors": exc.fields or {"row": [exc.message]}})


def import_csv(kind, data, user, filename="upload.csv"):
    """Import the CSV bytes DATA of KIND (inspections, sanctions, grades) for regulator USER; return a report."""
    services.check_choice("kind", kind, KINDS)
    rows = list(enumerate(_rows(kind, _decode(data)), start=2))  # line 1 is the header
    report, source = ImportReport(kind=kind, rows=len(rows)), f"import:{filename}"[:200]
    if kind == "inspections":
        _import_inspections(rows, user, source, report)
    else:
        write = _import_sanction if kind == "sanctions" else _import_grade
        for line, row in rows:
            try:
                report.created += write(row, user, source)
            except ServiceError as exc:
                report.errors.append({"line": line, "errors": exc.fields or {"row": [exc.message]}})
    report.errors.sort(key=lambda e: e["line"])
    if report.errors or not rows:
        db.session.rollback()  # all or nothing: a file with any bad row leaves no trace
        report.created = 0
    else:
        db.session.commit()
    return report
