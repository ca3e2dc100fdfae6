"""Fixtures for the import tests: kept files in a temporary folder, a helper that imports a sample file."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture(autouse=True)
def _ingest_dir(request, tmp_path):
    """Keep uploaded files under the test's temporary folder."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["INGEST_DIR"] = str(tmp_path / "ingest")


def import_sample(source, name, user=None, batch_size=500):
    """Import SAMPLES/NAME through SOURCE's adapter; return the run."""
    from ingest import services

    with open(SAMPLES / name, "rb") as fh:
        run, _created = services.import_file(source, fh, name, user=user, batch_size=batch_size)
    return run
