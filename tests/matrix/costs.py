"""Matrix rows of costs/: every page and API route is public (the family's place lives in the session)."""

from tests.matrix import everyone

ROWS = [
    ("GET", "/family-location", everyone(200)),
    ("POST", "/family-location", everyone(400)),  # no place chosen: a form error
    ("GET", "/compare-regions", everyone(200)),
    ("GET", "/compare-regions?family_city=310000&care_level=full", everyone(200)),
    ("GET", "/cost-rules", everyone(200)),
    ("GET", "/api/v1/homes/{a}/estimate?care_level=full&family_city=310000", everyone(200)),
    ("GET", "/api/v1/homes/{a}/price-history", everyone(200)),
    ("GET", "/api/v1/compare-regions?family_city=310000&care_level=full", everyone(200)),
    ("GET", "/api/v1/cost-rules", everyone(200)),
]
KEYS = {}


def setup(world):
    """Nothing of our own: the rows use the World's home A."""
    return {}
