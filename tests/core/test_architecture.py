"""The shape of the house: the import-linter contracts in pyproject.toml hold, and they would catch a breach.

core imports no domain package; search imports no domain package (it knows documents, not homes); nothing
imports demo. `make lint` runs the same contracts.
"""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd):
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _contract(contract_id):
    return next(c for c in CONFIG["contracts"] if c["id"] == contract_id)


def test_every_top_level_package_is_under_the_contracts():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in ("tests", "bench")}
    assert packages <= set(CONFIG["root_packages"])


def test_the_contracts_forbid_what_the_house_promises():
    domain = {"accounts", "marketplace", "reviews", "quality", "costs", "inquiries", "ingest", "dashboard",
              "opendata", "demo"}
    assert domain | {"search", "geo"} <= set(_contract("core-is-the-base")["forbidden_modules"])
    assert domain <= set(_contract("search-knows-documents")["forbidden_modules"])
    assert set(CONFIG["root_packages"]) - {"demo"} <= set(_contract("nothing-imports-demo")["source_modules"])


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CONFIG['contracts'])} kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("importer", "imported"), [("core", "marketplace"), ("search", "reviews"),
                                                    ("marketplace", "demo")])
def test_a_forbidden_import_breaks_the_contracts(tmp_path, importer, imported):
    for package in CONFIG["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / importer / "leak.py").write_text(f"import {imported}\n")
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(text[text.index("[tool.importlinter]"):])
    result = _lint_imports(tmp_path)
    assert result.returncode == 1 and "1 broken" in result.stdout, result.stdout + result.stderr
