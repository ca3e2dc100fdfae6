"""Places: the region gazetteer, distances, WGS-84 / GCJ-02 / BD-09 conversion, geocoding."""


def init_app(app):
    """Add `flask geo` and the regions table."""
    from geo import models  # noqa: F401
    from geo.cli import geo_cli

    app.cli.add_command(geo_cli)
