"""Helpers every HTML blueprint shares: the sign-in check and the two-sided rate limit.

Sign-in: Flask-Login's `login_required` (re-exported here): anonymous users go to the login page and come back,
API paths get a JSON 401 (accounts/auth.py). Load-or-404: Flask-SQLAlchemy's `db.get_or_404(Model, id)`.
"""

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from core.extensions import limiter

__all__ = ["accepted", "config_limit", "login_required", "rate_limited", "user_key"]


def config_limit(name, defaults=None):
    """Return a callable reading limit NAME from config at request time (DEFAULTS[NAME] when unset)."""
    return lambda: current_app.config.get(name, (defaults or {}).get(name))


def user_key():
    """Return the rate-limit key of the signed-in user (the client's address when anonymous)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def accepted(response):
    """Say whether RESPONSE counts against a per-user limit: only accepted requests do."""
    return response.status_code < 400


def rate_limited(user_limit, ip_limit, defaults=None, scope=None):
    """Decorate a POST view with a per-IP limit (every request) and a per-user limit (accepted requests only).

    USER_LIMIT and IP_LIMIT name config keys (DEFAULTS gives their values when unset); SCOPE names the two
    counters (default: the view's name), so that views sharing a scope share their counters.
    """
    def decorate(view):
        name = scope or view.__name__
        view = limiter.limit(config_limit(ip_limit, defaults), key_func=get_remote_address, methods=["POST"],
                             scope=f"{name}:ip")(view)
        return limiter.limit(config_limit(user_limit, defaults), key_func=user_key, methods=["POST"],
                             deduct_when=accepted, scope=f"{name}:user")(view)
    return decorate
