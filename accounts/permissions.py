"""Who may do what: the one place for authorization rules. Every view and API handler asks here."""

import functools

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from core.extensions import login_manager
from geo.gazetteer import gazetteer


def _is(user, *roles):
    return bool(user and getattr(user, "is_authenticated", False) and user.role in roles)


def manages_home(user, home):
    """Say whether USER is staff of the operator that runs HOME."""
    return _is(user, "provider") and user.provider_id is not None and home.provider_id == user.provider_id


def in_jurisdiction(user, province_code, city_code=None):
    """Say whether a place (province, city) lies in a regulator's jurisdiction (admins: everywhere)."""
    if _is(user, "admin"):
        return True
    if not _is(user, "regulator") or not user.jurisdiction_code:
        return False
    return user.jurisdiction_code in (province_code, city_code)


def regulates_home(user, home):
    """Say whether USER may regulate HOME (a regulator of its province or city, or an admin)."""
    return in_jurisdiction(user, home.province_code, home.city_code)


def records_quality(user, home):
    """Say whether USER may record inspections, sanctions and grades of HOME and check its staffing reports."""
    return regulates_home(user, home)


def responds_to_quality(user, home):
    """Say whether USER may see HOME's quality records in the portal, report staffing and attach responses."""
    return manages_home(user, home)


def can_import_data(user):
    """Say whether USER may import care-home lists (a regulator with a jurisdiction, or an admin)."""
    return _is(user, "admin") or (_is(user, "regulator") and bool(user.jurisdiction_code))


def oversees_import(user, jurisdiction_code):
    """Say whether USER may see an import run made for JURISDICTION_CODE (None: an admin's run, admins only)."""
    if _is(user, "admin"):
        return True
    if not can_import_data(user) or not jurisdiction_code:
        return False
    region = gazetteer().city(jurisdiction_code) or gazetteer().province(jurisdiction_code)
    return user.jurisdiction_code in (jurisdiction_code, getattr(region, "province_code", None))


def can_edit_home(user, home):
    """Say whether USER may change HOME's listing, fees and vacancies."""
    return manages_home(user, home) or _is(user, "admin")


def can_publish(user):
    """Say whether USER's operator is verified, so its changes may be published."""
    return _is(user, "admin") or (_is(user, "provider") and user.provider is not None
                                  and user.provider.verified_at is not None)


def is_operator_staff(user):
    """Say whether USER is staff of an operator (may see its API clients)."""
    return _is(user, "provider") and user.provider_id is not None


def can_create_api_clients(user):
    """Say whether USER may create API clients: staff of a verified operator only."""
    return is_operator_staff(user) and user.provider is not None and user.provider.verified_at is not None


def manages_api_client(user, client):
    """Say whether USER may revoke CLIENT (staff of its operator; verified or not, revoking is always allowed)."""
    return is_operator_staff(user) and client.provider_id == user.provider_id


def api_client_manages_home(client, home):
    """Say whether an API CLIENT (live, of a still-verified operator) may change HOME."""
    return (client is not None and client.revoked_at is None and client.provider is not None
            and client.provider.verified_at is not None and home.provider_id == client.provider_id)


def takes_part_in_inquiry(user, inquiry):
    """Say whether USER may see and answer INQUIRY's thread (the family who sent it, or the home's staff)."""
    is_author = _is(user, "family") and inquiry.user_id == user.id
    return is_author or manages_home(user, inquiry.home)


# --- review engagement (reviews/engagement.py): codes, replies, reports, helpful votes ----------------


def is_review_author(user, review):
    """Say whether USER, a family member, wrote REVIEW."""
    return _is(user, "family") and wrote_review(user, review)


def can_issue_review_codes(user, home):
    """Say whether USER may issue verification codes for HOME: staff of its verified operator."""
    return manages_home(user, home) and can_publish(user)


def can_reply_to_review(user, home):
    """Say whether USER may reply to reviews of HOME: staff of its verified operator."""
    return manages_home(user, home) and can_publish(user)


def can_redeem_review_code(user, review):
    """Say whether USER may enter a home's verification code on REVIEW: its author only."""
    return is_review_author(user, review)


def can_vote_helpful(user, review):
    """Say whether USER may mark REVIEW helpful: a family member who did not write it."""
    return _is(user, "family") and not is_review_author(user, review)


def can_report_review(user, review, home):
    """Say whether USER may report REVIEW: a family member who did not write it, or the staff of its home."""
    return can_vote_helpful(user, review) or manages_home(user, home)


def can_verify_review(user, home):
    """Say whether USER may mark a review of HOME verified: a regulator of its place (or an admin)."""
    return regulates_home(user, home)


def can_moderate_engagement(user, home):
    """Say whether USER may decide replies to and reports on reviews of HOME: a regulator of its place."""
    return regulates_home(user, home)


def can_write_reviews(user):
    """Say whether USER may write reviews of homes (family accounts only)."""
    return _is(user, "family")


def wrote_review(user, review):
    """Say whether USER is REVIEW's author (demo reviews have none)."""
    return bool(user and getattr(user, "is_authenticated", False) and review.author_id is not None
                and review.author_id == user.id)


def moderates_review(user, review):
    """Say whether USER may moderate REVIEW: a regulator of its home's jurisdiction, or an admin."""
    return regulates_home(user, review.home)


def decides_appeal(user, review):
    """Say whether USER may decide REVIEW's appeal: a moderator other than the one whose decision is appealed."""
    appeal = review.appeal
    return moderates_review(user, review) and appeal is not None and appeal.appealed_decider_id != user.id


def sees_review_file(user, review):
    """Say whether USER may see REVIEW's own page with its status and decisions (its author or a moderator)."""
    return wrote_review(user, review) or moderates_review(user, review)


def sees_review_photos(user, review):
    """Say whether USER may see REVIEW's photos: anyone once it is published, else its author or a moderator."""
    return review.status == "published" or sees_review_file(user, review)


def sees_regulator_dashboard(user):
    """Say whether USER may see the regulator dashboard: a regulator with a jurisdiction, or an admin."""
    return _is(user, "admin") or (_is(user, "regulator") and bool(user.jurisdiction_code))


def edits_policy_fact(user, places):
    """Say whether USER may edit a policy fact about PLACES [(province, city or None)]: an admin, or a
    regulator whose jurisdiction holds every place (facts for the whole country: admins only)."""
    if _is(user, "admin"):
        return True
    return bool(places) and all(in_jurisdiction(user, province, city) for province, city in places)


def jurisdiction_label(code):
    """Return the name of a jurisdiction code."""
    region = gazetteer().province(code) or gazetteer().city(code)
    return region.name if region else code


def jurisdiction_name(user, everywhere=None):
    """Return the name of USER's jurisdiction for a regulator's page; EVERYWHERE (default "All regions") for
    an administrator, who sees every region."""
    if user.role == "admin":
        return everywhere if everywhere is not None else _("All regions")
    return jurisdiction_label(user.jurisdiction_code or "")


def roles_required(*roles):
    """Decorate a view: 401 for anonymous users, 403 for users without one of ROLES."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # pages: to the login page and back; API: a JSON 401
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate
