"""Reviews for families and the public: write a review, follow and appeal it, a home's reviews, the methods page.

Views parse the form, call a service, render. Writing is rate-limited per user (accepted reviews) and per
network address (every POST) with Flask-Limiter, on top of the screening signals; see reviews/services.py.
"""

import json
import secrets

from flask import (
    Blueprint,
    after_this_request,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from accounts.permissions import (
    can_write_reviews,
    roles_required,
    sees_review_file,
    sees_review_photos,
    wrote_review,
)
from core import time
from core.errors import NotFound, ServiceError
from core.forms import add_field_errors
from core.inputs import body_limit
from core.web import login_required, rate_limited
from marketplace import photos as photo_store
from marketplace import presenters
from marketplace.queries import get_home
from reviews import photos as review_photos
from reviews import queries, reputation, services
from reviews.forms import (
    ACTION_LABELS,
    REASON_LABELS,
    RELATIONSHIP_LABELS,
    SIGNAL_LABELS,
    STATUS_LABELS,
    SUB_SCORE_LABELS,
    AppealForm,
    ReviewForm,
)
from reviews.models import SUB_SCORES

bp = Blueprint("reviews", __name__, template_folder="templates")

# overridable in config: the per-user limit counts accepted reviews only (typing errors cost nothing), the
# per-address one counts every POST (a flood from one address, many accounts or not)
DEFAULT_LIMITS = {"REVIEW_SUBMIT_LIMIT_USER": "5/hour", "REVIEW_SUBMIT_LIMIT_IP": "20/hour"}
DEVICE_COOKIE = "yrd_device"
DEVICE_COOKIE_AGE = 2 * 365 * 86400
HOME_PAGE_REVIEWS = 20
UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and the multipart boundaries around the photos


# the page and the API share the counters (one scope)
submit_rate_limited = rate_limited("REVIEW_SUBMIT_LIMIT_USER", "REVIEW_SUBMIT_LIMIT_IP", DEFAULT_LIMITS,
                                   scope="review_submit")


def device_id():
    """Return this browser's device id (a random cookie), setting the cookie on the response when new."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if value.isalnum() and 16 <= len(value) <= 64:
        return value
    value = secrets.token_hex(16)

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure)
        return response
    return value


# --- writing -------------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/reviews/new", methods=["GET", "POST"])
@body_limit(lambda: review_photos.MAX_REVIEW_PHOTOS * photo_store.MAX_BYTES + UPLOAD_OVERHEAD)
@submit_rate_limited
@login_required
@roles_required("family")
def write(home_id):
    """Show and take the form to review HOME_ID."""
    home = get_home(home_id)
    if request.method == "GET":
        device_id()
        return _render_form(home, ReviewForm(formdata=None))
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_form(home, form), 400
    uploads = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    try:
        if len(uploads) > review_photos.MAX_REVIEW_PHOTOS:  # refuse before reading them
            review_photos.clean_photos(uploads)
        review = services.submit_review(current_user, home, **form.service_values(),
                                        photos=[f.read(photo_store.MAX_BYTES + 1) for f in uploads],
                                        source_ip=get_remote_address(), device_id=device_id())
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_form(home, form, message=exc.message), exc.status
    flash(_("Thank you. Your review waits for a regulator's check before it is shown."), "success")
    return redirect(url_for("reviews.detail", review_id=review.id))


@bp.route("/account/reviews")
@login_required
@roles_required("family")
def mine():
    """List the signed-in family's reviews with their status."""
    return render_template("reviews/mine.html", reviews=queries.author_reviews(current_user.id))


@bp.route("/reviews/<int:review_id>")
@login_required
def detail(review_id):
    """Show a review's own page (status, decisions and their statements, appeal) to its author or a moderator."""
    review = _review_file(review_id)
    return _render_detail(review, AppealForm(formdata=None))


@bp.route("/reviews/<int:review_id>/appeal", methods=["POST"])
@login_required
def appeal(review_id):
    """Take the author's one appeal against a fold or a reject."""
    review = queries.get_review(review_id)
    if not wrote_review(current_user, review):
        raise NotFound(_("No such review."))
    form = AppealForm()
    if not form.validate_on_submit():
        return _render_detail(review, form), 400
    try:
        services.appeal_review(current_user, review, form.grounds.data)
    except ServiceError as exc:
        add_field_errors(form, exc.fields)
        return _render_detail(review, form, message=exc.message), exc.status
    flash(_("Your appeal was sent. A different regulator will decide it."), "success")
    return redirect(url_for("reviews.detail", review_id=review.id))


# --- public --------------------------------------------------------------------------------------------


@bp.route("/homes/<int:home_id>/reviews")
def home_list(home_id):
    """List a home's published reviews (and its folded ones with ?folded=1)."""
    home = get_home(home_id)
    folded = request.args.get("folded") == "1"
    return render_template("reviews/home_list.html", home=presenters.home_summary(home), folded=folded,
                           panel=home_reviews_panel(home.id, limit=None, include_folded=folded))


@bp.route("/reviews/photos/<filename>")
def photo_file(filename):
    """Serve a review's photo: to anyone once the review is published, before that to its author and moderators."""
    photo = review_photos.photo_by_filename(filename)
    if photo is None or not sees_review_photos(current_user, photo.review):
        raise NotFound(_("No such photo."))
    response = review_photos.send_photo(filename)
    if photo.review.status != "published":  # seen before publication: no shared cache may keep it
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/methods/reviews")
def methods():
    """Explain how a home's review score is computed, with the constants in use."""
    return render_template("reviews/methods.html", r=reputation, s=services, sub_score_labels=SUB_SCORE_LABELS)


def home_reviews_panel(home_id, limit=HOME_PAGE_REVIEWS, include_folded=True):
    """Return what the home page's review section shows: published reviews, folded ones apart, counts."""
    folded = queries.home_reviews(home_id, statuses=("folded",), limit=limit) if include_folded else []
    return {"published": queries.home_reviews(home_id, limit=limit), "folded": folded,
            "counts": queries.count_home_reviews(home_id), "sub_scores": SUB_SCORES,
            "can_write": not current_user.is_authenticated or can_write_reviews(current_user),
            "summary": queries.home_review_summary(home_id)}


# --- helpers -------------------------------------------------------------------------------------------


def _review_file(review_id):
    review = queries.get_review(review_id)
    if not sees_review_file(current_user, review):
        raise NotFound(_("No such review."))
    return review



def _render_form(home, form, message=None):
    today = time.today()
    return render_template("reviews/write.html", home=presenters.home_summary(home), form=form, message=message,
                           sub_scores=SUB_SCORES, today=today, oldest_end=services.oldest_reviewable_end(today))


def _render_detail(review, form, message=None):
    return render_template("reviews/detail.html", review=review, home=presenters.home_summary(review.home), form=form,
                           message=message, log=queries.review_log(review.id),
                           is_author=wrote_review(current_user, review),
                           can_appeal=services.can_appeal(review))


def _evidence_text(evidence):
    """Return screening evidence as readable JSON (Chinese left as it is)."""
    return json.dumps(evidence, ensure_ascii=False, sort_keys=True)


@bp.app_context_processor
def _review_labels():
    return {"review_status_label": lambda s: STATUS_LABELS.get(s, s),
            "review_action_label": lambda a: ACTION_LABELS.get(a, a),
            "review_reason_label": lambda c: REASON_LABELS.get(c, c or ""),
            "relationship_label": lambda r: RELATIONSHIP_LABELS.get(r, r),
            "sub_score_label": lambda n: SUB_SCORE_LABELS.get(n, n),
            "signal_label": lambda c: SIGNAL_LABELS.get(c, c),
            "evidence_text": _evidence_text,
            "max_review_photos": review_photos.MAX_REVIEW_PHOTOS}
