"""The versioned rules files in costs/data: loaded once per process, cited with their version and sources.

Rules and rates live in these JSON files, never in code; every figure built from them carries a citation
(file, version, sources) so that pages and the API can say where it came from.
"""

import functools
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
RULE_FILES = ("ltci", "limits", "crossprov", "demozone", "rail")


@functools.cache
def rules(name):
    """Return the parsed rules file NAME (one of RULE_FILES)."""
    if name not in RULE_FILES:
        raise KeyError(name)
    with open(DATA / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def citation(name, *, confirmed=True, sources=None):
    """Return where a figure came from: the rules file, its version, its sources, and whether it is confirmed."""
    data = rules(name)
    return {"type": "rules", "file": f"costs/data/{name}.json", "version": data["version"],
            "title": data["title"], "sources": sources if sources is not None else data.get("sources", []),
            "confirmed": bool(confirmed)}


def all_rules():
    """Return every rules file as {name: data}, for the methods page and the API."""
    return {name: rules(name) for name in RULE_FILES}
