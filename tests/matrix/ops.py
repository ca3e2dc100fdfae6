"""Matrix rows of ops/: liveness, readiness and metrics answer every caller (production limits /metrics to a
token or an allow-list of addresses, tested in tests/ops/test_metrics.py)."""

from tests.matrix import everyone

ROWS = [
    ("GET", "/healthz", everyone(200)),
    ("GET", "/readyz", everyone(200)),
    ("GET", "/metrics", everyone(200)),
]
KEYS = {}


def setup(world):
    """Nothing of our own."""
    return {}
