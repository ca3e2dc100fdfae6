"""Quality records (inspections, sanctions, grade certificates, staffing) and the rating computed from them."""


def init_app(app):
    """Add the quality pages, the home and compare panels, `flask quality` and the daily rating recompute."""
    from core import jobs, panels
    from quality import models, presenters, services  # noqa: F401
    from quality.cli import quality_cli
    from quality.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(quality_cli)
    # ratings move with the date (recency weights, certificate expiry): the search worker recomputes them daily
    jobs.daily(app, services.recompute_ratings)
    panels.register(app, "home.after_vacancies", "quality/_home_rating.html",
                    lambda home: presenters.rating_view(services.rating_of(home["id"])))
    panels.register(app, "compare.after_table", "quality/_compare_ratings.html",
                    lambda compare: {c["id"]: presenters.rating_view(services.rating_of(c["id"]))
                                     for c in compare["homes"]}, order=200)
