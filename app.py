"""The application factory. Thin: binds the extensions, then calls each package's init_app."""

import importlib
import os

from babel import Locale
from flask import Flask, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import get_config
from core.wsgi import PercentEncodedQuery

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
    app.wsgi_app = PercentEncodedQuery(app.wsgi_app)
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


# Each package binds itself in its init_app (blueprints, CLI groups, panels, daily jobs, its models' tables);
# the order is the order of dependency: a package comes after the packages it builds on.
PACKAGES = ("geo", "accounts", "search", "marketplace", "inquiries", "ingest", "quality", "reviews", "costs",
            "notify", "opendata", "dashboard", "privacy", "demo", "ops")


def _init_extensions(app):
    from core import db as core_db
    from core import errors, inputs, migrations, security, templating
    from core.extensions import api, babel, csrf, db, limiter

    inputs.init_app(app)  # first: the bounded <int:> converter must exist before any route is added
    db.init_app(app)
    core_db.configure_engines(app, db)
    migrations.init_app(app)  # `flask db ...`; Flask-Migrate itself is imported only when it is used
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)


def _register(app):
    for name in PACKAGES:
        importlib.import_module(name).init_app(app)
