"""Matrix rows of the provider side (issue 10): bulk updates in the provider API, claim disputes in the portal."""

from tests.matrix import everyone

PROVIDER_API = everyone(401)  # bearer tokens only: a session cookie never authenticates the provider API

ROWS = [
    ("PUT", "/api/v1/provider/fees", PROVIDER_API),
    ("PUT", "/api/v1/provider/vacancies", PROVIDER_API),
]
KEYS = {}


def setup(world):
    """Nothing of our own yet: the rows need no objects."""
    return {}
