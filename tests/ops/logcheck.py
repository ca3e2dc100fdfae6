"""The whole test run's log, checked for personal data: every record the app logs during `make test` goes to one
file through the production formatter, and the run fails if a phone number, ID number or e-mail address got
through (tests/conftest.py wires it)."""

import re

_LEAKS = (
    ("phone", re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")),
    ("id-number", re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9])")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
)


def personal_data_in_log(path):
    """Return [(kind, line)] for each log line at PATH that carries a phone number, ID number or e-mail."""
    found = []
    if path is None or not path.exists():
        return found
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            for kind, pattern in _LEAKS:
                if pattern.search(line):
                    found.append((kind, line.strip()[:300]))
    return found
