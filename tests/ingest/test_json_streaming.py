"""A large JSON directory imports in bounded memory: the list is streamed (ijson), never loaded whole.

The import runs as the real `flask ingest run directory FILE` in a child process, which reports its own peak
resident memory, as tests/ingest/test_safety.py does for the bomb; a tiny list through the same path is the
baseline."""

import json
import sys

import pytest

from tests.ingest.bigfile import DISTRICTS, FIRST, SECOND
from tests.ingest.test_safety import _flask, file_db  # noqa: F401  (file_db: the fixture)

ROWS = 600
NOTES, NOTE_CHARS = 8, 9000  # eight long free-text columns per home: about 41 MB of JSON in all
PEAK_DRIVER = ("import atexit, resource, sys\n"
               "atexit.register(lambda: sys.stderr.write("
               "'\\nMAXRSS_KB=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
               "from flask.cli import main\n"
               "sys.argv = ['flask', *sys.argv[1:]]\n"
               "main()\n")


def write_json_directory(path, rows):
    """Write ROWS homes (name, address, province and NOTES long note columns) as one JSON list."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        for i in range(rows):
            district = DISTRICTS[i % len(DISTRICTS)]
            f, s = len(FIRST), len(SECOND)
            core = FIRST[i % f] + SECOND[i // f % s] + FIRST[(i * 7 + 3) % f] + SECOND[(i * 11 + 5) % s]
            road = SECOND[(i * 13) % s] + FIRST[(i * 17) % f]
            item = {"机构名称": f"{core}颐养院", "地址": f"上海市{district}{road}路{i}号", "省份": "上海市",
                    **{f"备注{k}": f"{i:06d}" + "x" * NOTE_CHARS for k in range(NOTES)}}
            fh.write(("," if i else "") + json.dumps(item, ensure_ascii=False))
        fh.write("]")


def _peak_kb(tmp_path, path, driver):
    done = _flask(tmp_path, "ingest", "run", "directory", str(path), driver=driver, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stderr.rsplit("MAXRSS_KB=", 1)[1].split()[0])


@pytest.mark.skipif(sys.platform != "linux", reason="reads the child's peak from getrusage")
def test_a_large_json_list_imports_in_the_memory_of_a_small_one(file_db, tmp_path):  # noqa: F811
    driver = tmp_path / "peak.py"
    driver.write_text(PEAK_DRIVER, encoding="utf-8")
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    write_json_directory(small, 20)
    write_json_directory(big, ROWS)
    size_mb = big.stat().st_size / 2**20
    assert size_mb > 35
    baseline_kb = _peak_kb(tmp_path, small, driver)
    peak_kb = _peak_kb(tmp_path, big, driver)
    grown_mb = (peak_kb - baseline_kb) / 1024
    # json.load would hold the whole text and every object at once: more than the file's size
    assert grown_mb < 20, f"{size_mb:.0f} MB of JSON grew the import by {grown_mb:.0f} MB"
    run, lock = _last_run(file_db)
    assert run.status == "done" and run.rows_done == ROWS and lock is None
    # the small list's 20 homes open the big one too: unchanged, the rest new
    assert (run.unchanged, run.inserted, run.quarantined) == (20, ROWS - 20, 0)


def _last_run(app):
    import sqlalchemy as sa

    from core.extensions import db
    from ingest.models import ImportLock, ImportRun

    with app.app_context():
        db.session.remove()
        return (db.session.scalar(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(1)),
                db.session.scalar(sa.select(ImportLock)))
