"""Matrix rows of opendata/: the dictionary page and every bulk file are public."""

from tests.matrix import everyone

ROWS = [
    ("GET", "/open-data/", everyone(200)),
    ("GET", "/open-data/v1/dictionary.json", everyone(200)),
    ("GET", "/open-data/v1/homes.csv", everyone(200)),
    ("GET", "/open-data/v1/prices.json", everyone(200)),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
