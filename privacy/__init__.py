"""Personal information as PIPL and GB/T 35273-2020 require: the notice and consents, a person's own data
(see, download, withdraw, delete), retention periods enforced daily, staff reveals recorded. Sits on top of
the domains (registry.py names every column that points at a person); nothing imports it."""


def init_app(app):
    """The privacy pages, the consent check on page requests, the daily retention job."""
    from core import jobs, signals
    from privacy import models  # noqa: F401
    from privacy.services import record_correction, retention_job
    from privacy.views import _ask_for_consent, bp

    app.config.setdefault("INQUIRY_RETENTION_DAYS", 730)
    app.config.setdefault("NOTIFICATION_RETENTION_DAYS", 180)
    app.config.setdefault("RESET_TOKEN_RETENTION_DAYS", 7)
    # the Cybersecurity Law (art. 21) asks for network logs of at least six months; kept no longer than that
    app.config.setdefault("LOGIN_RECORD_RETENTION_DAYS", 180)
    signals.account_corrected.connect(record_correction, weak=False)
    app.register_blueprint(bp)
    app.before_request(_ask_for_consent)
    jobs.daily(app, retention_job)
