"""Matrix rows of the family-facing pages added for issue 13: the ratings legend is public."""

from tests.matrix import everyone

ROWS = [
    ("GET", "/ratings", everyone(200)),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
