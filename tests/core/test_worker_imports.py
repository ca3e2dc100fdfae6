"""What a web worker imports: nothing that only ingest, sign-up or the OpenSearch backend needs (issue 17).

Each of these costs megabytes in every worker that imports it (pandas through cpca ~40 MiB, zxcvbn's word lists
~11 MiB, Flask-Migrate with Alembic and Mako ~11 MiB, authlib's SSO client with joserfc and requests ~13 MiB,
icalendar, openpyxl, jieba, the search clients); they are imported where they are used, on first use. The check
runs in a fresh interpreter, as gunicorn starts a worker: create the app, then serve the pages and API calls of
a search visit.
"""

import json
import subprocess
import sys
from pathlib import Path

from app import create_app
from core.extensions import db
from tests.factories import make_home

ROOT = Path(__file__).resolve().parents[2]
NOT_FOR_A_WEB_WORKER = ("pandas", "cpca", "openpyxl", "jieba", "zxcvbn", "icalendar", "elasticsearch", "opensearchpy",
                        "flask_migrate", "alembic", "mako", "joserfc", "requests")

WORKER = """
import json, sys
from app import create_app
app = create_app("development", SQLALCHEMY_DATABASE_URI=sys.argv[1], SEARCH_INDEX_PATH=sys.argv[2],
                 SEARCH_BACKEND="embedded")
client = app.test_client()
statuses = [client.get(url).status_code for url in sys.argv[3:]]
print(json.dumps({"statuses": statuses, "modules": sorted(m for m in sys.modules if "." not in m)}))
"""


def test_a_web_worker_imports_no_ingest_or_signup_libraries(tmp_path):
    database, index = f"sqlite:///{tmp_path / 'app.sqlite3'}", str(tmp_path / "index.sqlite3")
    setup = create_app("testing", SQLALCHEMY_DATABASE_URI=database, SEARCH_INDEX_PATH=index)
    with setup.app_context():
        db.create_all()
        from geo.services import load_regions

        load_regions()
        home = make_home(name="向阳养老院")
        home_id = home.id
        from marketplace.search_documents import iter_all_documents
        from search.backend import current_backend

        current_backend().reindex(iter_all_documents())
    urls = ["/", "/api/v1/homes?q=养老", f"/api/v1/homes/{home_id}", "/api/v1/homes?q=suzhou&page=2",
            "/api/v1/regions"]
    out = subprocess.run([sys.executable, "-c", WORKER, database, index, *urls], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [200] * len(urls)
    assert "flask" in report["modules"] and "pypinyin" in report["modules"]  # the check sees real imports
    assert [name for name in NOT_FOR_A_WEB_WORKER if name in report["modules"]] == []
