"""Who may do what: the one place for authorization rules. Every view and API handler asks here."""

import functools

from flask import abort
from flask_login import current_user

from core.extensions import login_manager
from geo.gazetteer import gazetteer


def _is(user, *roles):
    return bool(user and getattr(user, "is_authenticated", False) and user.role in roles)


def manages_home(user, home):
    """Say whether USER is staff of the operator that runs HOME."""
    return _is(user, "provider") and user.provider_id is not None and home.provider_id == user.provider_id


def in_jurisdiction(user, province_code, city_code=None):
    """Say whether a place (province, city) lies in a regulator's jurisdiction (admins: everywhere)."""
    if _is(user, "admin"):
        return True
    if not _is(user, "regulator") or not user.jurisdiction_code:
        return False
    return user.jurisdiction_code in (province_code, city_code)


def regulates_home(user, home):
    """Say whether USER may regulate HOME (a regulator of its province or city, or an admin)."""
    return in_jurisdiction(user, home.province_code, home.city_code)


def can_edit_home(user, home):
    """Say whether USER may change HOME's listing, fees and vacancies."""
    return manages_home(user, home) or _is(user, "admin")


def can_publish(user):
    """Say whether USER's operator is verified, so its changes may be published."""
    return _is(user, "admin") or (_is(user, "provider") and user.provider is not None
                                  and user.provider.verified_at is not None)


def is_operator_staff(user):
    """Say whether USER is staff of an operator (may see its API clients)."""
    return _is(user, "provider") and user.provider_id is not None


def can_create_api_clients(user):
    """Say whether USER may create API clients: staff of a verified operator only."""
    return is_operator_staff(user) and user.provider is not None and user.provider.verified_at is not None


def manages_api_client(user, client):
    """Say whether USER may revoke CLIENT (staff of its operator; verified or not, revoking is always allowed)."""
    return is_operator_staff(user) and client.provider_id == user.provider_id


def api_client_manages_home(client, home):
    """Say whether an API CLIENT (live, of a still-verified operator) may change HOME."""
    return (client is not None and client.revoked_at is None and client.provider is not None
            and client.provider.verified_at is not None and home.provider_id == client.provider_id)


def takes_part_in_inquiry(user, inquiry):
    """Say whether USER may see and answer INQUIRY's thread (the family who sent it, or the home's staff)."""
    is_author = _is(user, "family") and inquiry.user_id == user.id
    return is_author or manages_home(user, inquiry.home)


def jurisdiction_label(code):
    """Return the name of a jurisdiction code."""
    region = gazetteer().province(code) or gazetteer().city(code)
    return region.name if region else code


def roles_required(*roles):
    """Decorate a view: 401 for anonymous users, 403 for users without one of ROLES."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # pages: to the login page and back; API: a JSON 401
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate
