"""The true cost of a home (estimates with insurance and long-term care) and the cross-province decision."""


def init_app(app):
    """Add the costs API and pages, and the home and compare pages' cost panels."""
    from core import panels
    from core.extensions import api, csrf
    from costs.api import blp as costs_api
    from costs.views import bp, compare_panel, home_panel

    api.register_blueprint(costs_api)
    csrf.exempt(costs_api)  # public JSON reads only
    app.register_blueprint(bp)
    panels.register(app, "home.after_fees", "costs/_home_costs.html", home_panel)
    panels.register(app, "compare.after_table", "costs/_compare_costs.html", compare_panel, order=100)
