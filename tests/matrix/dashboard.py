"""Matrix rows of dashboard/: regulators (each their own jurisdiction) and admins; no one else."""

from tests.matrix import PAGE, signed_in

DASHBOARD = signed_in(PAGE, reg_in=200, reg_out=200, admin=200)
NO_TABLE = signed_in(PAGE, reg_in=404, reg_out=404, admin=404)

ROWS = [
    ("GET", "/regulator/dashboard", DASHBOARD),
    ("GET", "/regulator/dashboard?format=csv&table=capacity", DASHBOARD),
    ("GET", "/regulator/dashboard?format=csv", signed_in(PAGE, reg_in=400, reg_out=400, admin=400)),
    ("GET", "/regulator/dashboard/capacity.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/prices.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/ratings.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/stale.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/stale_homes.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/backlog.csv", DASHBOARD),
    ("GET", "/regulator/dashboard/no_such_table.csv", NO_TABLE),
]
KEYS = {}


def setup(world):
    """Nothing of our own: the dashboard aggregates the World's homes."""
    return {}
