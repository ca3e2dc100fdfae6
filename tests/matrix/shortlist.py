"""Matrix rows of the shortlist (marketplace/shortlist_*.py) and the /api/v1/me notification JSON (notify/api.py):
every signed-in person's own. JSON writes without the X-CSRFToken header are a 400 for them; anonymous: 401.
A note on a home that is not on the person's shortlist is 404; removing it is a no-op (302)."""

from tests.matrix import PAGE, members, signed_in

ME_READ = signed_in(401, **members(200))
ME_WRITE = signed_in(401, **members(400))

ROWS = [
    ("GET", "/account/shortlist", signed_in(PAGE, **members(200))),
    ("POST", "/account/shortlist/{a}/note", signed_in(PAGE, **members(404))),
    ("POST", "/account/shortlist/{a}/remove", signed_in(PAGE, **members(302))),
    ("GET", "/api/v1/me/shortlist", ME_READ),
    ("POST", "/api/v1/me/shortlist", ME_WRITE),
    ("POST", "/api/v1/me/shortlist/merge", ME_WRITE),
    ("PATCH", "/api/v1/me/shortlist/{a}", ME_WRITE),
    ("DELETE", "/api/v1/me/shortlist/{a}", ME_WRITE),
    ("GET", "/api/v1/me/notifications", ME_READ),
    ("GET", "/api/v1/me/notifications/unread-count", ME_READ),
    ("POST", "/api/v1/me/notifications/read", ME_WRITE),
    ("GET", "/api/v1/me/preferences", ME_READ),
    ("PUT", "/api/v1/me/preferences", ME_WRITE),
]
KEYS = {}


def setup(world):
    """Nothing of its own: the rows use the shared homes."""
    return {}
