"""Where the family lives: a city or district code kept in the signed session cookie."""

from flask import session

from geo.gazetteer import gazetteer

SESSION_KEY = "family_place"


def place_region(code):
    """Return the city or district region with CODE, or None (provinces are too coarse for distances)."""
    gz = gazetteer()
    region = gz.city(code) or gz.district(code) if code else None
    return region


def family_region():
    """Return the family's region: the page's `from_city` (a shared compare link carries it), else the session's."""
    from flask import has_request_context, request

    shared = request.args.get("from_city") if has_request_context() else None
    return (place_region(shared) if shared else None) or place_region(session.get(SESSION_KEY))


def remember_family_place(code):
    """Store the family's place CODE in the session (the caller has validated it)."""
    session[SESSION_KEY] = code
    session.permanent = True


def forget_family_place():
    """Remove the family's place from the session."""
    session.pop(SESSION_KEY, None)
