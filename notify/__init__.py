"""Keeping people informed: an inbox for every signed-in person, e-mail (SMTP through Flask-Mailman) and SMS,
recorded with the change that causes them and sent by `flask notify worker`. Depends on the domains it listens
to (through core.signals); no domain imports it."""

from flask_mailman import Mail

mail = Mail()


def _unread():
    from flask_login import current_user

    from notify.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def init_app(app):
    """Models, listeners, the inbox pages, the mailer and `flask notify`."""
    from core import jobs
    from core.extensions import api, csrf
    from notify import listeners, models, notices, shortlisted  # noqa: F401
    from notify.api import blp as notify_api
    from notify.cli import notify_cli
    from notify.views import bp

    app.config.setdefault("QUIET_HOURS", ("21:00", "08:00"))
    mail.init_app(app)
    listeners.connect()
    notices.connect()
    shortlisted.listen()
    jobs.daily(app, notices.warn_expiring_api_clients)
    app.register_blueprint(bp)
    api.register_blueprint(notify_api)
    csrf.exempt(notify_api)  # JSON: its cookie-authenticated writes check X-CSRFToken themselves
    app.cli.add_command(notify_cli)
    app.jinja_env.globals["unread_notifications"] = _unread
