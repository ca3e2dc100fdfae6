"""Refresh the zh_CN catalog from the source tree and add translations, safely from several shells at once.

    .venv/bin/python scripts/i18n.py                      # extract + update; list untranslated msgids
    .venv/bin/python scripts/i18n.py add FILE.json        # {"English msgid": "中文译文", ...}: extract, update, fill in

The catalog is rewritten under an exclusive lock (translations/.lock), so two people adding translations at
the same moment do not overwrite each other. `make translations` compiles it.
"""

import fcntl
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
BIN = Path(sys.executable).parent


def _update():
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run([str(BIN / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                        "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
        subprocess.run([str(BIN / "pybabel"), "update", "-i", str(pot), "-d", "translations", "-l", "zh_CN",
                        "--no-fuzzy-matching", "--ignore-obsolete"], cwd=ROOT, check=True, capture_output=True)


def _untranslated(catalog):
    return [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]


def main(argv):
    """Extract, update and (with `add FILE`) fill in translations, then list what is still untranslated."""
    additions = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 and argv[0] == "add" else {}
    lock = ROOT / "translations" / ".lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _update()
        with open(CATALOG, "rb") as po:
            catalog = read_po(po, locale="zh_CN")
        for msgid, msgstr in additions.items():
            entry = catalog.get(msgid)
            if entry is None:
                print(f"not extracted from the source (skipped): {msgid!r}")
                continue
            entry.string = msgstr
            entry.flags.discard("fuzzy")
        with open(CATALOG, "wb") as po:
            write_po(po, catalog)
    missing = _untranslated(catalog)
    print(f"{len(missing)} untranslated")
    for msgid in missing:
        print(json.dumps(msgid, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
