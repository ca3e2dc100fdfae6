"""The application factory. Thin: binds extensions, registers blueprints and CLI groups."""

import os

from babel import Locale
from flask import Flask, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import get_config

_LOCALES = {code: Locale.parse(code) for code in ("zh_CN", "en")}  # parsed once: Babel's parse scans every name


def _select_locale():
    """Pick the locale: ?lang=, then the lang cookie, then Accept-Language; zh-CN by default."""
    if not has_request_context():  # CLI commands, workers: the default locale
        return _LOCALES["zh_CN"]
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang not in _LOCALES:
        lang = "en" if request.accept_languages.best_match(["zh-CN", "zh", "en"]) == "en" else "zh_CN"
    return _LOCALES[lang]


def create_app(config_name=None, **overrides):
    """Build the Flask app for CONFIG_NAME (development, testing, production), with OVERRIDES applied."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    app.config.from_object(get_config(config_name))
    app.config.update(overrides)
    _check_required(app)
    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    os.makedirs(app.instance_path, exist_ok=True)
    _init_extensions(app)
    _register(app)
    return app


def _check_required(app):
    """Refuse to start production without a real secret key, a real password-reset sender and a rate-limit
    storage that all workers share."""
    insecure = {"SECRET_KEY": "dev-only-not-secret", "PASSWORD_RESET_SENDER": "accounts.senders.LogSender"}
    missing = [key for key in app.config.get("REQUIRED", ())
               if not app.config.get(key) or app.config[key] == insecure.get(key)
               or (key == "RATELIMIT_STORAGE_URI" and str(app.config[key]).startswith("memory://"))]
    if missing:
        raise RuntimeError(f"production settings missing or left at development values: {', '.join(missing)}")


def _init_extensions(app):
    from accounts import auth as accounts_auth
    from accounts import oauth2 as accounts_oauth2
    from core import errors, inputs, security
    from core.extensions import api, babel, csrf, db, limiter, migrate
    from search import outbox

    inputs.init_app(app)  # first: the bounded <int:> converter must exist before any route is added
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    outbox.init_app(app)
    accounts_auth.init_app(app)
    accounts_oauth2.init_app(app)


def _register(app):
    from accounts.cli import accounts_cli
    from accounts.views import bp as accounts_views
    from core.extensions import api, csrf
    from costs.api import blp as costs_api
    from costs.views import bp as costs_views
    from dashboard.views import bp as dashboard_views
    from geo.cli import geo_cli
    from ingest.cli import ingest_cli
    from ingest.views import bp as ingest_views
    from inquiries.views import bp as inquiries_views
    from marketplace.api import blp as marketplace_api
    from marketplace.api_clients import bp as api_clients_views
    from marketplace.cli import demo_cli
    from marketplace.portal import bp as portal_views
    from marketplace.provider_api import blp as provider_api
    from marketplace.regulator import bp as regulator_views
    from marketplace.views import bp as marketplace_views
    from opendata.views import bp as opendata_views
    from quality.cli import quality_cli
    from quality.views import bp as quality_views
    from reviews.api import blp as reviews_api
    from reviews.engagement_views import bp as review_engagement_views
    from reviews.moderation import bp as moderation_views
    from reviews.views import bp as reviews_views
    from search.cli import search_cli

    for blp in (marketplace_api, provider_api):
        api.register_blueprint(blp)
        csrf.exempt(blp)  # JSON APIs: public reads, or OAuth2 bearer tokens; never cookie-authenticated writes
    for bp in (marketplace_views, accounts_views, portal_views, regulator_views, inquiries_views, api_clients_views,
               ingest_views, quality_views):
        app.register_blueprint(bp)
    app.register_blueprint(review_engagement_views)
    app.register_blueprint(reviews_views)
    app.register_blueprint(moderation_views)
    api.register_blueprint(reviews_api)
    csrf.exempt(reviews_api)  # public reads; its one cookie-authenticated write checks X-CSRFToken itself
    api.register_blueprint(costs_api)
    csrf.exempt(costs_api)  # public JSON reads only
    app.register_blueprint(costs_views)
    app.register_blueprint(opendata_views)
    app.register_blueprint(dashboard_views)
    for group in (geo_cli, search_cli, demo_cli, accounts_cli, ingest_cli, quality_cli):
        app.cli.add_command(group)
    # every model module, so that migrations and create_all see every table
    import accounts.models  # noqa: F401
    import accounts.oauth2_models  # noqa: F401
    import geo.models  # noqa: F401
    import ingest.models  # noqa: F401
    import inquiries.models  # noqa: F401
    import marketplace.models  # noqa: F401
    import marketplace.portal_models  # noqa: F401
    import quality.models  # noqa: F401
    import reviews.engagement_models  # noqa: F401
    import reviews.models  # noqa: F401
    import search.outbox  # noqa: F401
