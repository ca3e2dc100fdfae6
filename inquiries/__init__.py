"""Families' inquiries and visit bookings, and the homes' replies."""


def init_app(app):
    """Add the inquiry pages."""
    from inquiries import models  # noqa: F401
    from inquiries.views import bp

    app.register_blueprint(bp)
