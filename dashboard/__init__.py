"""The regulator dashboard: figures per city of a jurisdiction, as tables, charts and CSV."""


def init_app(app):
    """Add the dashboard pages."""
    from dashboard.views import bp

    app.register_blueprint(bp)
