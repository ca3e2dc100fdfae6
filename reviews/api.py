"""The reviews API under /api/v1: a home's published (and, on request, folded) reviews; a family's new review.

The API blueprints are exempt from the site-wide CSRF check (bearer tokens, public reads), so the one
cookie-authenticated write here checks the session's CSRF token itself (the X-CSRFToken header).
"""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from accounts.permissions import roles_required
from core.api import Blueprint
from core.errors import ErrorSchema, ServiceError
from core.extensions import csrf
from marketplace.queries import get_home
from reviews import queries, services
from reviews.schemas import AuthorReviewSchema, ReviewCreateSchema, ReviewListArgs, ReviewListSchema
from reviews.views import device_id, submit_rate_limited

blp = Blueprint("reviews_api", __name__, url_prefix="/api/v1", description="Family reviews of care homes")


@blp.route("/homes/<int:home_id>/reviews")
class HomeReviews(MethodView):
    @blp.arguments(ReviewListArgs, location="query")
    @blp.response(200, ReviewListSchema)
    def get(self, args, home_id):
        """List a home's published reviews, newest first (?folded=true adds the folded ones), with its score."""
        home = get_home(home_id)
        counts = queries.count_home_reviews(home_id)
        page, per_page = args["page"], args["per_page"]
        items = queries.home_reviews(home_id, include_folded=args["folded"], limit=per_page,
                                     offset=(page - 1) * per_page)
        total = counts["published"] + (counts["folded"] if args["folded"] else 0)
        return {"home_id": home.id, "score": home.review_score, "review_count": home.review_count,
                "total": total, "page": page, "per_page": per_page, "items": items}

    @blp.doc(parameters=[{"in": "header", "name": "X-CSRFToken", "required": True, "schema": {"type": "string"}}])
    @blp.response(201, AuthorReviewSchema)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(401, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(429, schema=ErrorSchema)
    @submit_rate_limited
    @roles_required("family")
    def post(self, home_id):
        """Write a review of a home as the signed-in family (session cookie and X-CSRFToken); it waits for a
        regulator before it is shown."""
        csrf.protect()
        home = get_home(home_id)
        try:
            values = ReviewCreateSchema().load(request.get_json(silent=True) or {})
        except ma.ValidationError as exc:
            raise ServiceError(_("Please check the review."), exc.messages, code="invalid_parameters") from exc
        return services.submit_review(current_user, home, **values, source_ip=get_remote_address(),
                                      device_id=device_id())
