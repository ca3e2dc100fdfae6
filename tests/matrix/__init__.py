"""Rows of the authorization matrix (tests/test_authorization_matrix.py), one module per domain.

Each module here defines
    ROWS  = [(method, path, statuses), ...]   paths may use {a}, {b}, {ref}, {claim}, {op_c} and the module's keys
    KEYS  = {"key": 1, ...}                   dummy values, used only to match paths to routes
    def setup(world) -> {"key": value}        creates the module's objects in the shared World; real values
Statuses come from the helpers below, for the roles in ROLES.
"""

ROLES = ("anon", "family", "prov_a", "prov_b", "reg_in", "reg_out", "admin")
PAGE = 302  # anonymous users are sent to the login page


def everyone(status):
    """STATUS for every role, anonymous included."""
    return dict.fromkeys(ROLES, status)


def signed_in(anon_status, **statuses):
    """ANON_STATUS for anonymous users; each other role's status (default 403)."""
    return {"anon": anon_status, **{role: statuses.get(role, 403) for role in ROLES[1:]}}


def members(status):
    """STATUS for every signed-in role."""
    return {role: status for role in ROLES[1:]}
