"""The true cost of a home (estimates with insurance and long-term care) and the cross-province decision."""


def init_app(app):
    """Add the costs API and pages, the policy-fact editor, designations, `flask costs`, the home and compare
    pages' cost panels, and the daily list of facts due for re-verification."""
    from core import jobs, panels
    from core.extensions import api, csrf
    from costs import models, services  # noqa: F401  (models: the tables)
    from costs.api import blp as costs_api
    from costs.cli import costs_cli
    from costs.designation_views import bp as designation_bp
    from costs.fact_views import bp as facts_bp
    from costs.views import bp, compare_panel, home_panel

    api.register_blueprint(costs_api)
    csrf.exempt(costs_api)  # public JSON reads only
    for blueprint in (bp, facts_bp, designation_bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(costs_cli)
    # which facts are due for re-verification moves with the date: the search worker lists them daily
    jobs.daily(app, services.list_stale_facts)
    panels.register(app, "home.after_fees", "costs/_home_costs.html", home_panel)
    panels.register(app, "compare.after_table", "costs/_compare_costs.html", compare_panel, order=100)
