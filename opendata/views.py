"""Open data: the dictionary page and the versioned bulk files (CSV and JSON) of homes and prices."""


from flask import Blueprint, Response, abort, jsonify, render_template

from core import time
from opendata.dictionary import DATASET_VERSION, FILES, LICENCE, dictionary
from opendata.export import fact_rows, home_rows, price_rows, to_csv

bp = Blueprint("opendata", __name__, template_folder="templates", url_prefix="/open-data")
MAJOR = DATASET_VERSION.split(".")[0]
_ROWS = {"homes": home_rows, "prices": price_rows, "facts": fact_rows}


@bp.route("/")
def index():
    """Show the data dictionary and the download links."""
    return render_template("opendata/index.html", dictionary=dictionary(), major=MAJOR)


@bp.route(f"/v{MAJOR}/dictionary.json")
def dictionary_json():
    """Return the data dictionary as JSON."""
    return jsonify(dictionary())


@bp.route(f"/v{MAJOR}/<name>.<fmt>")
def download(name, fmt):
    """Return one file (homes or prices) as CSV or JSON, with the dataset version."""
    if name not in FILES or fmt not in ("csv", "json"):
        abort(404)
    rows = _ROWS[name]()
    generated = time.utcnow().isoformat(timespec="seconds")
    headers = {"X-Dataset-Version": DATASET_VERSION, "Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "json":
        response = jsonify({"version": DATASET_VERSION, "licence": LICENCE, "generated_at": generated,
                            "file": name, "rows": rows})
        response.headers.update(headers)
        return response
    return Response(to_csv(rows, FILES[name]), mimetype="text/csv", headers=headers)
