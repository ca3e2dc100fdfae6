"""Every message the source tree asks for has a Chinese translation in the zh_CN catalog.

The extraction is Babel's own (`extract_from_dir`) with the method map from babel.cfg and the same
keywords as the documented command, `pybabel extract -F babel.cfg -k _l -k lazy_gettext`. So a new
`_("...")` or `{{ _("...") }}` without a translation in translations/zh_CN fails here, with the
missing msgids listed. To fix: run the extract/update commands in babel.cfg and translate.
"""

import re
from collections import Counter
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
CATALOG = ROOT / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdifr]|%[sdifr]|%%|\{[^{}]*\}|</?[A-Za-z][^>]*>|¥")


def extract(root=ROOT, cfg=BABEL_CFG):
    """{(msgid, context): ["path:line", ...]} for every message under ROOT, as pybabel extracts them."""
    with open(cfg, encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(cfg))
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def load_catalog(path=CATALOG):
    with open(path, "rb") as fh:
        return read_po(fh, locale="zh_CN")


def _strings(message):
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def untranslated(found, catalog):
    """The extracted messages with no (or an empty, or a fuzzy) translation, as readable lines."""
    problems = []
    for (msgid, context), where in sorted(found.items(), key=lambda item: item[1][0]):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            why = "not in the catalog"
        elif entry.fuzzy:
            why = "fuzzy"
        elif not all(s and s.strip() for s in _strings(entry)):
            why = "empty translation"
        else:
            continue
        problems.append(f"{where[0]}: {msgid!r} ({why})")
    return problems


def test_every_extracted_message_has_a_chinese_translation():
    found = extract()
    assert len(found) > 100, "extraction found almost nothing: is babel.cfg still right?"
    problems = untranslated(found, load_catalog())
    if problems:
        print("\n".join(problems))
    assert not problems, (f"{len(problems)} message(s) lack a zh_CN translation (see babel.cfg for the "
                          "extract/update commands):\n" + "\n".join(problems))


def test_no_fuzzy_or_obsolete_entries_and_placeholders_kept():
    catalog = load_catalog()
    assert not catalog.obsolete, f"obsolete (#~) entries: {sorted(catalog.obsolete)}"
    fuzzy, broken = [], []
    for entry in catalog:
        if not entry.id:
            continue
        msgid = entry.id[0] if isinstance(entry.id, (tuple, list)) else entry.id
        if entry.fuzzy:
            fuzzy.append(msgid)
        wanted = Counter(_PLACEHOLDER.findall(msgid))
        for translated in _strings(entry):
            if translated and Counter(_PLACEHOLDER.findall(translated)) != wanted:
                broken.append(f"{msgid!r} -> {translated!r}")
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


def test_the_check_catches_a_new_untranslated_message(tmp_path):
    """Guard the guard: a fresh `_()` in Python or a template that the catalog lacks is reported."""
    (tmp_path / "pkg" / "templates").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text(
        'from flask_babel import gettext as _, lazy_gettext as _l\n'
        'A = _("Search")\nB = _l("A message nobody has translated yet")\n', encoding="utf-8")
    (tmp_path / "pkg" / "templates" / "page.html").write_text(
        '<p>{{ _("Another untranslated template message") }}</p>', encoding="utf-8")
    found = extract(root=tmp_path)
    assert {msgid for msgid, _ctx in found} == {
        "Search", "A message nobody has translated yet", "Another untranslated template message"}
    problems = untranslated(found, load_catalog())
    assert len(problems) == 2 and all("not in the catalog" in p for p in problems)


def test_the_zh_alias_points_at_zh_cn():
    path = ROOT / "translations" / "zh"
    assert path.is_symlink() and path.resolve() == (ROOT / "translations" / "zh_CN").resolve()
