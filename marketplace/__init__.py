"""Care homes, operators, fees, free beds, photos: the family pages, the provider portal and API, the regulator's
pages, API clients; homes are search's documents (search_documents.py)."""


def init_app(app):
    """Register homes as search's documents, the marketplace pages and its JSON APIs."""
    from flask_login import user_logged_in

    from core.extensions import api, csrf
    from marketplace import models, portal_models, shortlist_models  # noqa: F401
    from marketplace.api import blp as public_api
    from marketplace.api_clients import bp as api_clients_views
    from marketplace.portal import bp as portal_views
    from marketplace.provider_api import blp as provider_api
    from marketplace.regulator import bp as regulator_views
    from marketplace.search_documents import register_search
    from marketplace.shortlist import merge_tray, tray_config
    from marketplace.shortlist_api import blp as shortlist_api
    from marketplace.shortlist_views import bp as shortlist_views
    from marketplace.views import bp as views

    register_search(app)
    for blp in (public_api, provider_api):
        api.register_blueprint(blp)
        csrf.exempt(blp)  # JSON APIs: public reads, or OAuth2 bearer tokens; never cookie-authenticated writes
    api.register_blueprint(shortlist_api)
    csrf.exempt(shortlist_api)  # JSON: its cookie-authenticated writes check X-CSRFToken themselves
    for bp in (views, portal_views, regulator_views, api_clients_views, shortlist_views):
        app.register_blueprint(bp)
    user_logged_in.connect(merge_tray, weak=False)  # the browser's tray joins the shortlist at sign-in
    app.jinja_env.globals["shortlist_tray"] = tray_config
