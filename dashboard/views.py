"""The regulator dashboard: figures per city of the regulator's jurisdiction (admins: every city), as tables
with charts, and each table as CSV (?format=csv&table=NAME or /regulator/dashboard/NAME.csv).
"""

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from accounts import permissions
from accounts.permissions import roles_required
from costs.services import stale_facts_for
from dashboard import tables
from geo.gazetteer import gazetteer
from marketplace import presenters

bp = Blueprint("dashboard", __name__, url_prefix="/regulator/dashboard", template_folder="templates")


def _scope():
    """Return the user's jurisdiction code (None for admins: everywhere); 403 for a regulator without one."""
    if not permissions.sees_regulator_dashboard(current_user):
        abort(403, description=_("Your account has no jurisdiction; ask an administrator to set one."))
    return None if current_user.role == "admin" else current_user.jurisdiction_code


def _jurisdiction_name(scope):
    """Return the jurisdiction's name in the page's language (a province, else a city)."""
    if scope is None:
        return _("All regions")
    level = "province" if gazetteer().province(scope) is not None else "city"
    return presenters.region_label(scope, level)


def _csv_export(scope, name):
    """Return table NAME of SCOPE's dashboard as a CSV download (400 without a name, 404 for an unknown one)."""
    if not name:
        abort(400, description=_("Say which table to export: table=%(names)s.", names="|".join(tables.TABLES)))
    if name not in tables.TABLES:
        abort(404, description=_("No such table. Tables: %(names)s.", names=", ".join(tables.TABLES)))
    dashboard = tables.build_dashboard(scope, stale_limit=None)
    filename = f"dashboard-{scope or 'all'}-{name}-{dashboard.now:%Y%m%d}.csv"
    return Response(tables.to_csv(dashboard.tables[name]).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("")
@roles_required("regulator", "admin")
def index():
    """Show the dashboard of the user's jurisdiction, or one table as CSV with ?format=csv&table=NAME."""
    scope = _scope()
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "csv"):
        abort(400, description=_("Unknown format: use format=csv or leave it out."))
    if fmt == "csv":
        return _csv_export(scope, request.args.get("table"))
    dashboard = tables.build_dashboard(scope)
    return render_template("dashboard/index.html", dashboard=dashboard, charts=tables.chart_data(dashboard),
                           jurisdiction=_jurisdiction_name(scope), stale_facts=stale_facts_for(current_user))


@bp.route("/<name>.csv")
@roles_required("regulator", "admin")
def table_csv(name):
    """Return one table of the dashboard as CSV (UTF-8 with a byte-order mark, for Excel)."""
    return _csv_export(_scope(), name)
