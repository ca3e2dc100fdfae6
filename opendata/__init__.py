"""Open data: the homes and prices as downloadable CSV and JSON, with a data dictionary."""


def init_app(app):
    """Add the open-data pages and downloads."""
    from opendata.views import bp

    app.register_blueprint(bp)
