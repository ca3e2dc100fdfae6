"""The privacy notice, consent to it (asked again when it changes), and a person's own data: see, download,
withdraw consent, delete the account."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from accounts import consents
from accounts.views import safe_next
from core.extensions import db
from privacy import services

bp = Blueprint("privacy", __name__, template_folder="templates")

# where a signed-in person who has not agreed to the current notice may still go
_OPEN = {"privacy.notice", "privacy.consent", "privacy.my_data", "privacy.download", "privacy.delete_account",
         "accounts.logout", "static"}


@bp.route("/privacy")
def notice():
    """The privacy notice: what is collected, why, for how long, who sees it."""
    english = str(get_locale()) == "en"
    return render_template("privacy/notice_en.html" if english else "privacy/notice_zh.html",
                           version=consents.NOTICE_VERSION)


@bp.route("/privacy/consent", methods=["GET", "POST"])
@login_required
def consent():
    """Ask for consent to the current notice (after sign-up, and again when the notice changes)."""
    if request.method == "POST" and request.form.get("agree") == "yes":
        consents.grant(current_user.id, "notice")
        db.session.commit()
        return redirect(safe_next(request.form.get("next")))
    return render_template("privacy/consent.html", version=consents.NOTICE_VERSION,
                           next=request.values.get("next") or "/",
                           changed=consents.has_any(current_user.id, "notice"))


@bp.route("/account/data")
@login_required
def my_data():
    """Everything the platform holds about the signed-in person, readable."""
    data = services.export_user_data(current_user)
    return render_template("privacy/my_data.html", data=data,
                           sensitive=consents.current(current_user.id, "sensitive"),
                           notice=consents.current(current_user.id, "notice"))


@bp.route("/account/data.json")
@login_required
def download():
    """The same, as a JSON file to keep."""
    body = json.dumps(services.export_user_data(current_user), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=my-data.json"})


@bp.route("/account/data/withdraw", methods=["POST"])
@login_required
def withdraw():
    """Withdraw the consent to storing sensitive information (care needs); future requests go without it."""
    if request.form.get("purpose") != "sensitive":
        abort(400)
    consents.withdraw(current_user.id, "sensitive")
    db.session.commit()
    flash(_("Your consent is withdrawn: we will no longer store your parent's care needs."), "success")
    return redirect(url_for("privacy.my_data"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete the account: confirm by typing the word shown; then everything personal goes at once."""
    word = _("DELETE")
    if request.method == "POST":
        if (request.form.get("confirm") or "").strip() != word:
            return render_template("privacy/delete.html", word=word, error=True), 400
        user = current_user._get_current_object()
        logout_user()
        services.delete_account(user)
        flash(_("Your account is deleted."), "success")
        return redirect("/")
    return render_template("privacy/delete.html", word=word, error=False)


@bp.route("/regulator/reviews/<int:review_id>/reveal", methods=["GET", "POST"])
@login_required
def reveal_reviewer(review_id):
    """Show a reviewer's contact details to a moderator of the review, only with a reason; every reveal is
    written to the record (privacy_requests) with who, whose, which review and why."""
    from accounts.models import User
    from accounts.permissions import moderates_review
    from reviews.models import Review

    review = db.get_or_404(Review, review_id)
    if not moderates_review(current_user, review):
        abort(403)
    reason = (request.form.get("reason") or "").strip()
    if request.method == "GET" or not 10 <= len(reason) <= 500:
        status = 400 if request.method == "POST" else 200
        return render_template("privacy/reveal.html", review=review, error=request.method == "POST"), status
    author = db.session.get(User, review.author_id) if review.author_id else None
    services.record_reveal(current_user, review.author_id, f"review:{review.id}", reason)
    return render_template("privacy/reveal.html", review=review, author=author, revealed=True)


def _ask_for_consent():
    """Send a signed-in person who has not agreed to the current notice to the consent page (pages only)."""
    if (request.method not in ("GET", "HEAD") or request.path.startswith(("/api/", "/oauth/", "/static/"))
            or request.endpoint in _OPEN or request.endpoint is None
            or request.blueprint == "accounts"  # signing in and out, SSO callbacks, resets: never interrupted
            or not current_user.is_authenticated):  # last: it loads the user (a static file or API call need not)
        return None
    if consents.current(current_user.id, "notice") is None:
        return redirect(url_for("privacy.consent", next=request.full_path.rstrip("?")))
    return None
