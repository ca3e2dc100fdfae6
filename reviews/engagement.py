"""All writes around a review other than moderating the review itself: verification codes and verified
reviews, the home's reply (moderated), reports (back to the moderation queue) and helpful votes.

Rules hold here whichever way a service is called; views only translate the outcome. Every refusal is a
ServiceError: 403 when the user may not act, 404 when the thing is not there (or not public), 409 when the
action conflicts with the current state (second reply, used code, second report), 400 for bad input.
Verification moves the home's score (verified reviews weigh more), so it ends with refresh_review_scores.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from accounts import permissions
from core.db import utcnow
from core.errors import NotFound, ServiceError
from core.extensions import db
from marketplace.models import Home
from reviews import services as review_services
from reviews.engagement_models import (
    CODE_RELATIONSHIPS,
    REPLY_MAX,
    REPLY_REJECT_REASONS,
    REPORT_REASONS,
    REPORT_TEXT_MAX,
    STATEMENT_MAX,
    HelpfulVote,
    ReviewReply,
    ReviewReport,
    ReviewVerification,
    VerificationCode,
    hash_code,
    new_code,
    normalize_code,
)
from reviews.models import Review

CODE_VALID_DAYS = 90
CODES_PER_REQUEST_MAX = 20
PUBLIC_STATUSES = ("published", "folded")  # what others may see, reply to, vote on and report
VERIFIABLE_STATUSES = ("submitted", "screening", "pending", "published", "folded", "appealed")
PUBLISH_REASON = "meets_guidelines"  # as reviews.services.PUBLISH_REASONS


def _forbidden(message):
    return ServiceError(message, status=403, code="forbidden")


def _conflict(message, code):
    return ServiceError(message, status=409, code=code)


def _invalid(field, message, code="invalid_input"):
    return ServiceError(_("Please check the form."), {field: [message]}, code=code)


def _home(review):
    return db.session.get(Home, review.home_id)


def _require_public(review):
    if review is None or review.status not in PUBLIC_STATUSES:
        raise NotFound(_("No such review."))


# --- verification codes ------------------------------------------------------------------------------


def issue_codes(user, home, relationship, count=1, now=None):
    """Issue COUNT one-time codes for HOME confirming a RELATIONSHIP; commit; return [(code row, plain code)].

    Only the hash is stored: the plain codes exist in the return value and on the page that shows them once.
    """
    if not permissions.can_issue_review_codes(user, home):
        raise _forbidden(_("Only the staff of a verified operator that runs this home can issue codes."))
    if relationship not in CODE_RELATIONSHIPS:
        raise _invalid("relationship", _("Choose resident or family member."))
    if not isinstance(count, int) or not 1 <= count <= CODES_PER_REQUEST_MAX:
        raise _invalid("count", _("Issue 1 to %(n)s codes at a time.", n=CODES_PER_REQUEST_MAX))
    now = now or utcnow()
    issued = []
    for _n in range(count):
        plain = new_code()
        row = VerificationCode(home_id=home.id, code_hash=hash_code(plain), hint=normalize_code(plain)[-4:],
                               relationship=relationship, issued_by_id=user.id, created_at=now,
                               expires_at=now + timedelta(days=CODE_VALID_DAYS))
        db.session.add(row)
        issued.append((row, plain))
    db.session.commit()
    return issued


def codes_for(home, limit=200):
    """Return HOME's codes, newest first (hashes only; the plain codes are never stored)."""
    return db.session.scalars(sa.select(VerificationCode).where(VerificationCode.home_id == home.id)
                              .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
                              .limit(limit)).all()


def revoke_code(user, code_id, home, now=None):
    """Revoke an unused code of HOME so that it can no longer be entered; commit."""
    if not permissions.can_issue_review_codes(user, home):
        raise _forbidden(_("Only the staff of a verified operator that runs this home can issue codes."))
    row = db.session.get(VerificationCode, code_id)
    if row is None or row.home_id != home.id:
        raise NotFound(_("No such code."))
    if row.used_at is not None:
        raise _conflict(_("This code has been used already; it cannot be revoked."), "code_used")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        db.session.commit()
    return row


def check_code(home, code, now=None):
    """Return HOME's usable code row for CODE, or raise a 400 naming the field `verification_code`.

    The review form can call this before saving a review, then redeem_code once the review exists.
    """
    now = now or utcnow()
    if not normalize_code(code):
        raise _invalid("verification_code", _("Enter the code the home gave you."), "invalid_code")
    row = db.session.scalars(sa.select(VerificationCode).where(VerificationCode.code_hash == hash_code(code))).first()
    if row is None or row.home_id != home.id:  # another home's code: say no more than for a wrong code
        raise _invalid("verification_code", _("This code is not valid for this home."), "invalid_code")
    state = row.state(now)
    if state == "used":
        raise _invalid("verification_code", _("This code has been used already. Each code works once."),
                       "code_used")
    if state == "revoked":
        raise _invalid("verification_code", _("The home has withdrawn this code."), "code_revoked")
    if state == "expired":
        raise _invalid("verification_code", _("This code has expired. Ask the home for a new one."),
                       "code_expired")
    return row


def redeem_code(user, review, code, now=None):
    """Verify the author's REVIEW with HOME's one-time CODE; commit and refresh the home's score."""
    if not permissions.can_redeem_review_code(user, review):
        raise _forbidden(_("Only the author of a review can enter a code on it."))
    _require_verifiable(review)
    now = now or utcnow()
    row = check_code(_home(review), code, now)
    # claim the code atomically: of two requests racing with one code, only one updates the row
    claimed = db.session.execute(sa.update(VerificationCode).where(
        VerificationCode.id == row.id, VerificationCode.used_at.is_(None)).values(
        used_at=now, used_by_review_id=review.id)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise _invalid("verification_code", _("This code has been used already. Each code works once."),
                       "code_used")
    verification = _record_verification(review, "code", row.relationship, code_id=row.id, now=now)
    _audit(review, user, f"code_{row.relationship}")
    return _commit_verification(review, verification)


def verify_by_regulator(user, review, relationship, statement, now=None):
    """Mark REVIEW verified as a regulator of its home, with the confirmed RELATIONSHIP and a STATEMENT; commit."""
    if not permissions.can_verify_review(user, _home(review)):
        raise _forbidden(_("This home lies outside your jurisdiction."))
    _require_verifiable(review)
    if relationship not in CODE_RELATIONSHIPS:
        raise _invalid("relationship", _("Choose resident or family member."))
    statement = _statement(statement, required=True)
    verification = _record_verification(review, "regulator", relationship, verified_by_id=user.id,
                                        statement=statement, now=now)
    _audit(review, user, f"regulator_{relationship}", statement)
    return _commit_verification(review, verification)


def verification_of(review):
    """Return how REVIEW was verified (a ReviewVerification), or None."""
    return db.session.scalars(sa.select(ReviewVerification).where(ReviewVerification.review_id == review.id)).first()


def _require_verifiable(review):
    if review is None or review.status not in VERIFIABLE_STATUSES:
        raise NotFound(_("No such review."))
    if review.verified:
        raise _conflict(_("This review is verified already."), "already_verified")


def _record_verification(review, method, relationship, code_id=None, verified_by_id=None, statement="", now=None):
    verification = ReviewVerification(review_id=review.id, method=method, relationship=relationship,
                                      stated_relationship=review.relationship, code_id=code_id,
                                      verified_by_id=verified_by_id, statement=statement,
                                      created_at=now or utcnow())
    db.session.add(verification)
    review.verified = True
    review.relationship = relationship  # the home or the regulator confirmed it; the stated one is kept above
    return verification


def _commit_verification(review, verification):
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent verification of the same review won
        db.session.rollback()
        raise _conflict(_("This review is verified already."), "already_verified") from None
    review_services.refresh_review_scores([review.home_id])
    return verification


# --- replies -----------------------------------------------------------------------------------------


def submit_reply(user, review, text, now=None):
    """Submit the home's one public reply to REVIEW; it waits for a regulator; commit."""
    _require_public(review)
    if not permissions.can_reply_to_review(user, _home(review)):
        raise _forbidden(_("Only the staff of the verified operator that runs this home can reply."))
    text = (text or "").strip()
    if not text or len(text) > REPLY_MAX:
        raise _invalid("text", _("Write a reply of 1 to %(n)s characters.", n=REPLY_MAX))
    if reply_to(review) is not None:
        raise _conflict(_("The home has replied to this review already; a review gets one reply."), "already_replied")
    reply = ReviewReply(review_id=review.id, provider_id=user.provider_id, author_id=user.id, text=text,
                        status="pending", created_at=now or utcnow())
    db.session.add(reply)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent reply won
        db.session.rollback()
        raise _conflict(_("The home has replied to this review already; a review gets one reply."),
                        "already_replied") from None
    return reply


def decide_reply(user, reply, publish, reason_code=None, statement="", now=None):
    """Publish or reject a pending REPLY as a regulator of the home, with a reason code and statement; commit."""
    review = db.session.get(Review, reply.review_id)
    if not permissions.can_moderate_engagement(user, _home(review)):
        raise _forbidden(_("This home lies outside your jurisdiction."))
    if reply.status != "pending":
        raise _conflict(_("This reply has been decided already."), "already_decided")
    if publish and reason_code in (None, "", PUBLISH_REASON):
        reason_code = PUBLISH_REASON
    elif publish:  # a rejection reason on a published reply would tell the home the opposite of what happened
        raise _invalid("reason_code", _("Choose a reason that fits the decision."))
    elif reason_code not in REPLY_REJECT_REASONS:
        raise _invalid("reason_code", _("Choose a reason."))
    reply.statement = _statement(statement, required=not publish)
    reply.status, reply.reason_code = ("published" if publish else "rejected"), reason_code
    reply.decided_by_id, reply.decided_at = user.id, now or utcnow()
    db.session.commit()
    return reply


def reply_signals(reply):
    """Return what the review screening's text detectors find in REPLY (personal data, abuse, links)."""
    from reviews import screening

    return screening.screen_text(reply.text)


def reply_to(review):
    """Return the home's reply to REVIEW in any state, or None."""
    return db.session.scalars(sa.select(ReviewReply).where(ReviewReply.review_id == review.id)).first()


def get_reply(reply_id):
    """Return the reply REPLY_ID or raise NotFound."""
    reply = db.session.get(ReviewReply, reply_id)
    if reply is None:
        raise NotFound(_("No such reply."))
    return reply


# --- reports -----------------------------------------------------------------------------------------


def report_review(user, review, reason, text="", now=None):
    """Report REVIEW (a family member or the home's staff) with a REASON; it goes back to the queue; commit."""
    _require_public(review)
    if not permissions.can_report_review(user, review, _home(review)):
        raise _forbidden(_("You cannot report this review."))
    if reason not in REPORT_REASONS:
        raise _invalid("reason", _("Choose a reason."))
    text = (text or "").strip()
    if len(text) > REPORT_TEXT_MAX:
        raise _invalid("text", _("At most %(n)s characters.", n=REPORT_TEXT_MAX))
    if reason == "other" and not text:
        raise _invalid("text", _("Say what is wrong with this review."))
    if _report_by(user, review) is not None:
        raise _conflict(_("You have reported this review already."), "already_reported")
    role = "provider" if permissions.manages_home(user, _home(review)) else "family"
    report = ReviewReport(review_id=review.id, reporter_id=user.id, reporter_role=role, reason=reason, text=text,
                          status="open", created_at=now or utcnow())
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _conflict(_("You have reported this review already."), "already_reported") from None
    _send_back_to_queue(review, user, report)
    db.session.commit()
    return report


def resolve_report(user, report, uphold, note, now=None):
    """Uphold or dismiss an open REPORT as a regulator of the home, with a NOTE; commit."""
    review = db.session.get(Review, report.review_id)
    if not permissions.can_moderate_engagement(user, _home(review)):
        raise _forbidden(_("This home lies outside your jurisdiction."))
    if report.status != "open":
        raise _conflict(_("This report has been resolved already."), "already_resolved")
    report.resolution_note = _statement(note, required=True, field="note")
    report.status = "upheld" if uphold else "dismissed"
    report.resolved_by_id, report.resolved_at = user.id, now or utcnow()
    db.session.commit()
    return report


def get_report(report_id):
    """Return the report REPORT_ID or raise NotFound."""
    report = db.session.get(ReviewReport, report_id)
    if report is None:
        raise NotFound(_("No such report."))
    return report


def open_reports_for(regulator):
    """Return the open reports on reviews of homes in REGULATOR's jurisdiction, oldest first, with their rows.

    Each item is (report, review, home). The moderation queue can show these next to its own items.
    """
    stmt = (sa.select(ReviewReport, Review, Home).join(Review, Review.id == ReviewReport.review_id)
            .join(Home, Home.id == Review.home_id).where(ReviewReport.status == "open")
            .order_by(ReviewReport.created_at, ReviewReport.id))
    return [row for row in db.session.execute(_in_jurisdiction(stmt, regulator))
            if permissions.can_moderate_engagement(regulator, row[2])]


def open_report_counts(review_ids):
    """Return {review id: number of open reports} for REVIEW_IDS (for the queue's ordering and badges)."""
    if not review_ids:
        return {}
    stmt = (sa.select(ReviewReport.review_id, sa.func.count(ReviewReport.id))
            .where(ReviewReport.review_id.in_(review_ids), ReviewReport.status == "open")
            .group_by(ReviewReport.review_id))
    return dict(db.session.execute(stmt).all())


def open_reports_of(review):
    """Return REVIEW's open reports, oldest first (the moderation page shows them with the review)."""
    return db.session.scalars(sa.select(ReviewReport).where(
        ReviewReport.review_id == review.id, ReviewReport.status == "open")
        .order_by(ReviewReport.created_at, ReviewReport.id)).all()


def pending_replies_for(regulator):
    """Return pending replies on reviews of homes in REGULATOR's jurisdiction, oldest first: (reply, review, home)."""
    stmt = (sa.select(ReviewReply, Review, Home).join(Review, Review.id == ReviewReply.review_id)
            .join(Home, Home.id == Review.home_id).where(ReviewReply.status == "pending")
            .order_by(ReviewReply.created_at, ReviewReply.id))
    return [row for row in db.session.execute(_in_jurisdiction(stmt, regulator))
            if permissions.can_moderate_engagement(regulator, row[2])]


def _report_by(user, review):
    return db.session.scalars(sa.select(ReviewReport).where(
        ReviewReport.review_id == review.id, ReviewReport.reporter_id == user.id)).first()


def _in_jurisdiction(stmt, user):
    """Narrow a query over Home to USER's jurisdiction in SQL (the permission still decides per row)."""
    if user.role == "admin":
        return stmt
    code = user.jurisdiction_code or ""
    return stmt.where(sa.or_(Home.province_code == code, Home.city_code == code))


# --- helpful votes -----------------------------------------------------------------------------------


def toggle_helpful(user, review):
    """Mark REVIEW helpful for USER, or take the mark back when it is there; commit; return (marked, count)."""
    _require_public(review)
    if not permissions.can_vote_helpful(user, review):
        raise _forbidden(_("Only family members can mark someone else's review as helpful."))
    vote = db.session.scalars(sa.select(HelpfulVote).where(
        HelpfulVote.review_id == review.id, HelpfulVote.user_id == user.id)).first()
    if vote is not None:
        db.session.delete(vote)
    else:
        db.session.add(HelpfulVote(review_id=review.id, user_id=user.id))
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced itself: the vote is there, which is what was asked
        db.session.rollback()
    return vote is None, helpful_count(review)


def helpful_count(review):
    """Return how many users marked REVIEW helpful."""
    return db.session.scalar(sa.select(sa.func.count(HelpfulVote.id)).where(HelpfulVote.review_id == review.id))


# --- what a page shows under a review ----------------------------------------------------------------


def engagement_for(review_ids, user):
    """Return {review id: {...}} for REVIEW_IDS: published reply, helpful count, the USER's vote and report."""
    review_ids = list(review_ids)
    out = {rid: {"reply": None, "helpful": 0, "voted": False, "reported": False} for rid in review_ids}
    if not review_ids:
        return out
    for reply in db.session.scalars(sa.select(ReviewReply).where(ReviewReply.review_id.in_(review_ids))):
        out[reply.review_id]["reply"] = reply
    counts = (sa.select(HelpfulVote.review_id, sa.func.count(HelpfulVote.id))
              .where(HelpfulVote.review_id.in_(review_ids)).group_by(HelpfulVote.review_id))
    for rid, count in db.session.execute(counts):
        out[rid]["helpful"] = count
    if user is not None and getattr(user, "is_authenticated", False):
        _mark_users_own(out, review_ids, user)
    return out


def _mark_users_own(out, review_ids, user):
    for rid in db.session.scalars(sa.select(HelpfulVote.review_id).where(
            HelpfulVote.review_id.in_(review_ids), HelpfulVote.user_id == user.id)):
        out[rid]["voted"] = True
    for rid in db.session.scalars(sa.select(ReviewReport.review_id).where(
            ReviewReport.review_id.in_(review_ids), ReviewReport.reporter_id == user.id)):
        out[rid]["reported"] = True


def get_review(review_id):
    """Return the review REVIEW_ID or raise NotFound."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_("No such review."))
    return review


# --- helpers and the moderation core ----------------------------------------------------------------


def _statement(text, required, field="statement"):
    text = (text or "").strip()
    if required and not text:
        raise _invalid(field, _("Write a statement; the people concerned will see it."))
    if len(text) > STATEMENT_MAX:
        raise _invalid(field, _("At most %(n)s characters.", n=STATEMENT_MAX))
    return text


def _send_back_to_queue(review, user, report):
    """Log the report in the moderation core's audit log; the report itself stays open in our table.

    The core keeps the review's status (a report alone must not hide a review); its queue and ours list
    open reports (open_reports_for) and a regulator folds or rejects the review there if the report holds.
    """
    review_services.reopen_for_report(review, user, reason_code=f"report_{report.reason}", statement=report.text)


def _audit(review, user, reason_code, statement=""):
    """Write a "verify" line to the moderation core's append-only audit log (ours is ReviewVerification)."""
    review_services.record_audit(review, user, "verify", reason_code=reason_code, statement=statement)
