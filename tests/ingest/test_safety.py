"""Hostile files: an XLSX decompression bomb is refused before parsing, shape and cell limits hold while rows
stream, and a run whose process dies twice at the same place is marked failed instead of retried forever.

The crash and bomb cases run the real `flask ingest` command in a child process (killed for real)."""

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from app import create_app
from core.extensions import db
from ingest.adapters import FormatError, UnsafeFileError, get_adapter, iter_table
from ingest.models import ImportLock, ImportRun
from ingest.safety import Limits, UnsafeFile, check_archive
from tests.ingest.bigfile import write_shanghai

ROOT = Path(__file__).resolve().parents[2]
JIANGSU_HEADER = ["机构名称", "备案编号", "行政区划代码", "详细地址", "联系电话", "床位总数", "星级评定", "运营性质",
                  "百度经度", "百度纬度", "床位费(元/天)"]
BOMB_MB = 96  # inflated size of the bomb's shared strings; about 100 KB on disk


def _small_workbook():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(JIANGSU_HEADER)
    sheet.append(["苏州颐养院", "JS-1", "320505", "苏州市虎丘区某路1号", "", "100", "★★★", "民办", "120.6", "31.3",
                  "80"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_bomb(path, inflated_mb=BOMB_MB, forge_size=None):
    """Write a valid-looking workbook whose shared strings unpack to INFLATED_MB (small on disk).

    FORGE_SIZE: state this (small) size in the archive's headers instead of the real one.
    """
    with zipfile.ZipFile(io.BytesIO(_small_workbook())) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                bomb.writestr(info, source.read(info))
        with bomb.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            chunk = b"<si><t>" + b"A" * (1 << 20) + b"</t></si>"
            for _ in range(inflated_mb):
                part.write(chunk)
            part.write(b"</sst>")
    if forge_size is not None:
        _forge_sizes(path, "xl/sharedStrings.xml", forge_size)
    return path


def _forge_sizes(path, member, size):
    """Overwrite MEMBER's uncompressed size in the central directory (what zipfile and openpyxl trust)."""
    data, name = bytearray(Path(path).read_bytes()), member.encode()
    at = data.rfind(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_len] == name:
            data[at + 24:at + 28] = size.to_bytes(4, "little")
            break
        at = data.rfind(b"PK\x01\x02", 0, at)
    Path(path).write_bytes(bytes(data))


def _env(tmp_path):
    env = dict(os.environ, APP_CONFIG="development", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               INGEST_DIR=str(tmp_path / "ingest"), SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"),
               INSTANCE_PATH=str(tmp_path / "instance"), SEARCH_SYNC="inline", PYTHONPATH=str(ROOT))
    env.pop("TEST_DATABASE_URL", None)
    return env


@pytest.fixture
def file_db(tmp_path):
    """A SQLite file with the schema and the regions, shared with the child processes; yields an app on it."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"), INGEST_DIR=str(tmp_path / "ingest"))
    with app.app_context():
        db.create_all()
        from geo.services import load_regions

        load_regions()
        db.session.remove()
        yield app


def _flask(tmp_path, *args, driver=None, timeout=120):
    """Run `flask ARGS` in a child process (through DRIVER, a script that patches first); return it finished."""
    command = [sys.executable, str(driver)] if driver else [sys.executable, "-m", "flask"]
    return subprocess.run([*command, "--app", "app", *args], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=timeout)


def _run_row(app):
    with app.app_context():
        db.session.remove()
        return db.session.scalar(sa.select(ImportRun)), db.session.scalar(sa.select(ImportLock))


# --- the bomb -------------------------------------------------------------------------------------------------


def test_an_xlsx_bomb_is_refused_before_parsing_and_its_run_fails_with_the_lock_released(file_db, tmp_path):
    bomb = write_bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 1024 * 1024
    # the import process reports its own peak, VmHWM of its own memory map: RUSAGE_CHILDREN would also count
    # older children reaped meanwhile, and Linux carries ru_maxrss across execve, so a child forked from this
    # (large, late in a full run) test process would report the test process's size as its own
    driver = tmp_path / "measured_flask.py"
    driver.write_text("import atexit, sys\n"
                      "def peak():\n"
                      "    for line in open('/proc/self/status'):\n"
                      "        if line.startswith('VmHWM:'):\n"
                      "            sys.stderr.write('\\nMAXRSS_KB=%s\\n' % line.split()[1])\n"
                      "atexit.register(peak)\n"
                      "from flask.cli import main\n"
                      "sys.argv = ['flask', *sys.argv[1:]]\n"
                      "main()\n")
    started = time.monotonic()
    done = _flask(tmp_path, "ingest", "run", "jiangsu", str(bomb), driver=driver, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert "decompression bomb" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 30
    peak_kb = int(done.stderr.rsplit("MAXRSS_KB=", 1)[1].split()[0])
    assert peak_kb <= 400 * 1024, f"the import grew to {peak_kb // 1024} MB"
    run, lock = _run_row(file_db)
    assert run.status == "failed" and "decompression bomb" in run.error
    assert lock is None
    resumed = _flask(tmp_path, "ingest", "resume")
    assert resumed.returncode == 0 and "nothing to resume" in resumed.stdout


def test_a_bomb_whose_headers_understate_its_size_is_refused_while_inflating(tmp_path):
    bomb = write_bomb(tmp_path / "forged.xlsx", inflated_mb=8, forge_size=4096)
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 4096  # the lie every reader trusts
    with pytest.raises((UnsafeFile, zipfile.BadZipFile)):
        check_archive(bomb, Limits(max_member_bytes=1024 * 1024))
    with pytest.raises(FormatError):  # refused as unreadable, never parsed
        list(iter_table(bomb))


def test_the_declared_size_ratio_and_total_of_every_member_are_checked(tmp_path):
    bomb = write_bomb(tmp_path / "bomb.xlsx", inflated_mb=4)
    with pytest.raises(UnsafeFile, match="compressed"):
        check_archive(bomb, Limits(max_ratio=100))
    with pytest.raises(UnsafeFile, match="unpacks to"):
        check_archive(bomb, Limits(max_member_bytes=2 * 1024 * 1024, max_ratio=10**6))
    with pytest.raises(UnsafeFile, match="more than"):
        check_archive(bomb, Limits(max_total_bytes=3 * 1024 * 1024, max_ratio=10**6))
    check_archive(bomb, Limits(max_ratio=10**6))  # within every limit: passes


def test_an_ordinary_workbook_passes_the_archive_check(tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(_small_workbook())
    check_archive(path)
    rows = list(get_adapter("jiangsu").rows(path))
    assert [record["name"] for _n, record in rows] == ["苏州颐养院"]


# --- shape and cell limits while streaming --------------------------------------------------------------------


def _csv(path, rows, columns, cell="x"):
    path.write_text("\n".join(",".join([cell] * columns) for _ in range(rows)), encoding="utf-8")
    return path


def test_rows_columns_cells_and_cell_length_are_capped_while_streaming(tmp_path):
    with pytest.raises(UnsafeFileError, match="rows"):
        list(iter_table(_csv(tmp_path / "long.csv", 51, 2), Limits(max_rows=50)))
    with pytest.raises(UnsafeFileError, match="columns"):
        list(iter_table(_csv(tmp_path / "wide.csv", 2, 31), Limits(max_columns=30)))
    with pytest.raises(UnsafeFileError, match="cells"):
        list(iter_table(_csv(tmp_path / "big.csv", 40, 30), Limits(max_cells=1000)))
    with pytest.raises(UnsafeFileError, match="characters"):
        list(iter_table(_csv(tmp_path / "fat.csv", 2, 2, "y" * 101), Limits(max_cell_chars=100)))
    assert len(list(iter_table(_csv(tmp_path / "fine.csv", 50, 20), Limits(max_rows=50, max_cells=1000)))) == 50


def test_an_xlsx_declaring_more_cells_than_allowed_is_refused_before_its_rows_are_read(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(JIANGSU_HEADER)
    book.active.cell(row=5000, column=200, value="far away")
    path = tmp_path / "sparse.xlsx"
    book.save(path)
    with pytest.raises(UnsafeFileError, match="cells"):
        next(iter_table(path, Limits(max_cells=100_000)))


def test_a_mapping_may_set_its_own_limits():
    assert Limits.from_spec({"max_rows": 10}).max_rows == 10
    with pytest.raises(ValueError):
        Limits.from_spec({"max_rowz": 10})


# --- a run that dies twice at one place is failed, not retried forever ----------------------------------------

KILLER = """
import os, signal, sys
sys.path.insert(0, {root!r})
from ingest import services

def handle(self, number, raw, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would, at the first row

services.RowImporter.handle = handle
from flask.cli import main
sys.argv[0] = "flask"
main()
"""


def test_a_run_killed_twice_at_the_same_row_is_marked_failed_and_no_longer_resumed(file_db, tmp_path):
    path = tmp_path / "upload.csv"
    write_shanghai(path, 20)
    driver = tmp_path / "killer.py"
    driver.write_text(KILLER.format(root=str(ROOT)), encoding="utf-8")

    first = _flask(tmp_path, "ingest", "run", "shanghai", str(path), driver=driver)
    assert first.returncode == -9
    run, lock = _run_row(file_db)
    assert (run.status, run.attempts, lock is not None) == ("running", 1, True)

    second = _flask(tmp_path, "ingest", "resume", driver=driver)  # the cron job: the holder is dead, resume
    assert second.returncode == -9
    assert _run_row(file_db)[0].attempts == 2

    third = _flask(tmp_path, "ingest", "resume", driver=driver)
    assert third.returncode == 1, third.stderr
    assert "without committing a batch" in third.stderr
    run, lock = _run_row(file_db)
    assert run.status == "failed" and "without committing a batch" in run.error
    assert lock is None
    assert list((tmp_path / "ingest").glob("*.csv")) == []  # nothing to resume from any more: deleted

    fourth = _flask(tmp_path, "ingest", "resume", driver=driver)
    assert fourth.returncode == 0 and "nothing to resume" in fourth.stdout


def test_a_run_that_progressed_between_deaths_keeps_being_resumed(file_db, tmp_path):
    from ingest import services

    path = tmp_path / "upload.csv"
    write_shanghai(path, 30)
    with file_db.app_context():
        with open(path, "rb") as fh:
            kept = services.store_file(fh, path.name)
        run = services.start_run("shanghai", kept)[0]
        for _death in range(3):  # each attempt commits a batch, then its worker dies
            with pytest.raises(RuntimeError):
                services.execute_run(run, on_progress=_die, batch_size=5)
        assert run.status == "running" and run.attempts == 1
        services.execute_run(run, batch_size=5)
        assert run.status == "done" and run.rows_done == 30


def _die(_rows):
    raise RuntimeError("worker went away")


def test_a_bomb_uploaded_on_the_import_page_is_a_form_error_and_a_failed_run(app, client, tmp_path):
    import re as regex

    from tests.factories import login_as, make_user

    login_as(client, make_user("regulator", jurisdiction="320000"))
    html = client.get("/regulator/imports/").get_data(as_text=True)
    token = regex.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    bomb = write_bomb(tmp_path / "bomb.xlsx")
    data = {"csrf_token": token, "source": "jiangsu", "file": (io.BytesIO(bomb.read_bytes()), "江苏.xlsx")}
    started = time.monotonic()
    response = client.post("/regulator/imports/", data=data, content_type="multipart/form-data")
    assert time.monotonic() - started < 20
    assert response.status_code == 400 and "decompression bomb" in response.get_data(as_text=True)
    run = db.session.scalar(sa.select(ImportRun))
    assert run.status == "failed" and db.session.scalar(sa.select(ImportLock)) is None
    assert not Path(run.file.stored_path).exists()  # failed for good: the bomb is not kept
