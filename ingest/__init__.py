"""Data in: importing official and provider care-home lists (CSV, XLSX) through one adapter per format."""


def init_app(app):
    """Add the import pages and `flask ingest`."""
    from ingest import models  # noqa: F401
    from ingest.cli import ingest_cli
    from ingest.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(ingest_cli)
