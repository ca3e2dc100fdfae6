"""Matrix rows of saved searches (notify/saved_views.py, notify/saved_api.py): a family's own; every other role
is refused before anything is read. The API's writes without the X-CSRFToken header are a 400 for the family."""

from tests.matrix import PAGE, signed_in

FAMILY_ONLY_API = {"anon": 401, "family": 200, "prov_a": 403, "prov_b": 403, "reg_in": 403, "reg_out": 403,
                   "admin": 403}
FAMILY_WRITE_API = {**FAMILY_ONLY_API, "family": 400}

ROWS = [
    ("GET", "/account/saved-searches", signed_in(PAGE, family=200)),
    ("POST", "/account/saved-searches", signed_in(PAGE, family=400)),  # no name: a form error
    ("POST", "/account/saved-searches/{saved}", signed_in(PAGE, family=302)),  # nothing changed is fine
    ("POST", "/account/saved-searches/{saved_gone}/delete", signed_in(PAGE, family=302)),
    ("GET", "/api/v1/me/saved-searches", FAMILY_ONLY_API),
    ("POST", "/api/v1/me/saved-searches", FAMILY_WRITE_API),
    ("GET", "/api/v1/me/saved-searches/{saved}", FAMILY_ONLY_API),
    ("PATCH", "/api/v1/me/saved-searches/{saved}", FAMILY_WRITE_API),
    ("DELETE", "/api/v1/me/saved-searches/{saved}", FAMILY_WRITE_API),
]
KEYS = {"saved": 5, "saved_gone": 6}


def setup(world):
    """Two saved searches of the family: one to read and edit, one the delete row removes."""
    from core.extensions import db
    from notify.saved_searches import SavedSearch
    from search.query import SearchQuery, query_to_dict

    rows = [SavedSearch(user_id=world.users["family"].id, name=name, frequency="daily", args={"city": "320500"},
                        query=query_to_dict(SearchQuery(city="320500"))) for name in ("苏州", "删除")]
    db.session.add_all(rows)
    db.session.commit()
    return {"saved": rows[0].id, "saved_gone": rows[1].id}
