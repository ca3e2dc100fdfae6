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
    """Models, listeners, notices, the inbox pages, saved searches (pages, API, alerts, digests), the mailer,
    `flask notify`."""
    from core import jobs, panels, signals
    from core.extensions import api, csrf
    from notify import listeners, models, notices, saved_searches, shortlisted  # noqa: F401  (models: the tables)
    from notify.api import blp as notify_api
    from notify.cli import notify_cli
    from notify.saved_api import blp as saved_searches_api
    from notify.saved_views import bp as saved_searches_views
    from notify.saved_views import save_control
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
    app.register_blueprint(saved_searches_views)
    api.register_blueprint(saved_searches_api)
    csrf.exempt(saved_searches_api)  # session writes check X-CSRFToken themselves (notify/saved_api.py)
    panels.register(app, "search.after_results", "notify/_save_search.html", save_control)
    signals.documents_indexed.connect(saved_searches.on_documents_indexed, weak=False)  # once per process
    jobs.daily(app, saved_searches.send_digests_due)
    app.cli.add_command(notify_cli)
    app.jinja_env.globals["unread_notifications"] = _unread
