"""A run that failed for good gives up its uploaded file; a run that can still be resumed keeps it (issue 11)."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from core.extensions import db
from ingest import services
from ingest.models import ImportRun

BAD_SHAPE = "名单,备注\n某某,无\n".encode()  # no name, address or fee column the Shanghai list has


def _upload(data, name="upload.csv"):
    return services.store_file(io.BytesIO(data), name)


def test_a_file_of_a_bad_shape_is_deleted_once_its_run_fails(app):
    kept = _upload(BAD_SHAPE)
    run, _created = services.start_run("shanghai", kept)
    assert Path(kept.stored_path).exists()
    with pytest.raises(ServiceError) as failure:
        services.execute_run(run)
    assert failure.value.code == "unreadable_file"
    assert run.status == "failed"
    assert not Path(kept.stored_path).exists()
    assert db.session.get(type(kept), kept.id).sha256 == kept.sha256  # the record and checksum stay


def test_the_same_bytes_uploaded_again_are_stored_again_and_fail_the_same_way(app):
    kept = _upload(BAD_SHAPE)
    run, _created = services.start_run("shanghai", kept)
    with pytest.raises(ServiceError):
        services.execute_run(run)
    again = _upload(BAD_SHAPE, "again.csv")
    assert again.id == kept.id and Path(again.stored_path).read_bytes() == BAD_SHAPE
    with pytest.raises(ServiceError) as failure:
        services.import_file("shanghai", io.BytesIO(BAD_SHAPE), "again.csv")
    assert failure.value.code == "unreadable_file"  # read and refused, not a missing file
    assert not Path(kept.stored_path).exists()


def test_a_file_another_run_still_needs_is_kept(app):
    from tests.ingest.bigfile import write_shanghai

    path = Path(app.config["INGEST_DIR"]).parent / "ok.csv"
    write_shanghai(path, 5)
    with open(path, "rb") as fh:
        run, _created = services.import_file("shanghai", fh, path.name)
    assert run.status == "done"
    other, _created = services.start_run("jiangsu", run.file)  # the same file through the wrong format
    with pytest.raises(ServiceError):
        services.execute_run(other)
    assert other.status == "failed"
    assert Path(run.file.stored_path).exists()  # the record of the finished import


def test_a_running_run_keeps_its_file_for_the_resume(app):
    from tests.ingest.bigfile import write_shanghai

    path = Path(app.config["INGEST_DIR"]).parent / "resume.csv"
    write_shanghai(path, 30)
    with open(path, "rb") as fh:
        kept = services.store_file(fh, path.name)
    run, _created = services.start_run("shanghai", kept)

    def die(_rows):
        raise RuntimeError("worker went away")

    with pytest.raises(RuntimeError):
        services.execute_run(run, on_progress=die, batch_size=5)
    assert db.session.scalar(sa.select(ImportRun.status)) == "running"
    assert not services.discard_file_of(run)
    assert Path(kept.stored_path).exists()
    services.execute_run(run, batch_size=5)
    assert run.status == "done" and run.rows_done == 30
