"""Binding Flask-Login: the user loader and what an unauthenticated request gets."""

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import error_payload
from core.extensions import db, login_manager


def init_app(app):
    """Bind Flask-Login to APP."""
    from accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.unauthorized_handler(_unauthorized)

    @login_manager.user_loader
    def _load_user(user_id):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None


def _unauthorized():
    """API paths: a 401 in the one error shape; pages: the login page, coming back here afterwards."""
    if request.path.startswith("/api/"):
        return jsonify(error_payload("unauthorized", _("Please sign in."))), 401
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(login_manager.login_view, next=target))


def forget_session_globals():
    """Drop what extensions cached on `g` from the session (call after session.clear())."""
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
