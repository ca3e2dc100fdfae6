"""Family reviews: writing, screening, moderation and appeals, engagement (votes, reports, replies, codes)."""


def init_app(app):
    """Add the review pages, the moderation queue, the reviews API and the home page's reviews panel."""
    from core import panels
    from core.extensions import api, csrf
    from reviews import engagement_models, models  # noqa: F401
    from reviews.api import blp as reviews_api
    from reviews.engagement_views import bp as engagement_views
    from reviews.moderation import bp as moderation_views
    from reviews.views import bp as views
    from reviews.views import home_reviews_panel

    for bp in (engagement_views, views, moderation_views):
        app.register_blueprint(bp)
    api.register_blueprint(reviews_api)
    csrf.exempt(reviews_api)  # public reads; its one cookie-authenticated write checks X-CSRFToken itself
    panels.register(app, "home.after_description", "reviews/_home_reviews.html",
                    lambda home: home_reviews_panel(home["id"]))
