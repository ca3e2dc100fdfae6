"""Account writes: sign-up, login with lockout, password reset, single sign-on users, users made by admins."""

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from accounts.models import ROLES, PasswordResetToken, User
from accounts.passwords import hash_password, needs_rehash, password_problems, verify_password
from core import signals
from core.db import utcnow
from core.errors import ServiceError
from core.extensions import db, limiter
from geo.gazetteer import gazetteer

RESET_TOKEN_LIFETIME = timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_dummy_hash = None


class LoginRefused(ServiceError):
    """Wrong credentials or a locked account; the message never says whether the account exists."""

    status = 400
    code = "login_refused"


# --- identifiers -------------------------------------------------------------------------------------


def normalise_email(text):
    """Return TEXT as a lower-case email address, or None when it is not one."""
    value = (text or "").strip().lower()
    return value if len(value) <= 254 and _EMAIL.match(value) else None


def normalise_mobile(text):
    """Return TEXT as a mainland mobile number `+86XXXXXXXXXXX`, or None when it is not one."""
    digits = _MOBILE_PREFIX.sub("", _MOBILE_SEPARATORS.sub("", text or ""))
    return f"+86{digits}" if _MOBILE.match(digits) else None


def parse_identifier(text):
    """Return ("email", value) or ("mobile", value) for what someone typed, or None when it is neither."""
    text = (text or "").strip()
    if "@" in text:
        email = normalise_email(text)
        return ("email", email) if email else None
    mobile = normalise_mobile(text)
    return ("mobile", mobile) if mobile else None


def find_user(identifier):
    """Return the user with this email or mobile number, or None."""
    parsed = parse_identifier(identifier)
    if parsed is None:
        return None
    kind, value = parsed
    column = User.email if kind == "email" else User.mobile
    return db.session.scalar(sa.select(User).where(column == value))


def identifier_key(identifier):
    """Return a stable key for an identifier (normalised when valid), for rate limits and counters."""
    parsed = parse_identifier(identifier)
    value = parsed[1] if parsed else (identifier or "").strip().lower()
    return hashlib.sha256(value.encode()).hexdigest()[:32]


# --- sign-up -----------------------------------------------------------------------------------------


def register_user(identifier, password, display_name):
    """Create a family user signed up with an email or mobile number; commit. Refusals name the field."""
    parsed = parse_identifier(identifier)
    if parsed is None:
        raise _invalid("identifier", _("Enter an email address or an 11-digit mainland mobile number."))
    kind, value = parsed
    name = _clean_display_name(display_name)
    _check_new_password(password, [value, value.removeprefix("+86"), name])
    if find_user(value) is not None:
        raise _invalid("identifier", _taken_message(kind))
    user = User(role="family", display_name=name, password_hash=hash_password(password), **{kind: value})
    return _insert(user, "identifier", _taken_message(kind))


SIGNUP_LINK_MAX_AGE = 24 * 3600  # seconds a sign-up link stays usable
_SIGNUP_SALT = "accounts.signup"


def start_signup(identifier, password, display_name, link_for, notice_link):
    """Check a sign-up and send its address a link (LINK_FOR(token)) to finish it; an address already registered
    gets a notice (with NOTICE_LINK, to sign in or reset) instead. Returns the token, or None.

    Says nothing about whether the address is registered: the caller shows the same answer either way, and both
    ways do the same work (the password is hashed either way).
    """
    from accounts.senders import current_sender

    parsed = parse_identifier(identifier)
    if parsed is None:
        raise _invalid("identifier", _("Enter an email address or an 11-digit mainland mobile number."))
    kind, value = parsed
    name = _clean_display_name(display_name)
    _check_new_password(password, [value, value.removeprefix("+86"), name])
    password_hash = hash_password(password)
    existing = find_user(value)
    if existing is not None:
        current_sender().send_signup_notice(existing, notice_link)
        return None
    token = _signup_serializer().dumps({"kind": kind, "value": value, "name": name, "hash": password_hash})
    current_sender().send_signup_link(kind, value, link_for(token))
    return token


def signup_claims(token):
    """Return what a usable sign-up TOKEN carries ({kind, value, name, hash}), or None."""
    try:
        claims = _signup_serializer().loads(token or "", max_age=SIGNUP_LINK_MAX_AGE)
    except (BadSignature, ValueError):
        return None
    return claims if isinstance(claims, dict) and claims.get("kind") in ("email", "mobile") else None


def finish_signup(token):
    """Create the family user a sign-up TOKEN describes; commit. Refused when the link is stale or was used."""
    claims = signup_claims(token)
    if claims is None:
        raise ServiceError(_("This sign-up link has expired or is not valid. Please sign up again."),
                           code="invalid_signup_link")
    user = User(role="family", display_name=claims["name"], password_hash=claims["hash"],
                **{claims["kind"]: claims["value"]})
    return _insert(user, "identifier", _taken_message(claims["kind"]))


class _Signer(TimestampSigner):
    def get_timestamp(self):
        return int(utcnow().timestamp())  # the one clock (core.time), so a frozen test clock ages links too


class _Serializer(URLSafeTimedSerializer):
    default_signer = _Signer


def _signup_serializer():
    return _Serializer(current_app.config["SECRET_KEY"], salt=_SIGNUP_SALT)


def _taken_message(kind):
    if kind == "email":
        return _("An account with this email address already exists. Sign in or reset your password.")
    return _("An account with this mobile number already exists. Sign in or reset your password.")


def _clean_display_name(display_name):
    name = " ".join((display_name or "").split())
    if not name:
        raise _invalid("display_name", _("Enter the name we should show."))
    if len(name) > 100 or _CONTROL.search(name):
        raise _invalid("display_name", _("Use at most 100 characters, without control characters."))
    return name


def _check_new_password(password, user_inputs, field="password"):
    problems = password_problems(password or "", user_inputs=[v for v in user_inputs if v])
    if problems:
        raise ServiceError(problems[0], {field: problems}, code="invalid_parameters")


def _insert(user, field, taken_message):
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent sign-up took the same identifier
        db.session.rollback()
        raise _invalid(field, taken_message) from None
    return user


def _invalid(field, message):
    return ServiceError(message, {field: [message]}, code="invalid_parameters")


# --- login and lockout -------------------------------------------------------------------------------


def authenticate(identifier, password):
    """Return the user whose credentials these are; count failures and lock after too many; commit.

    Raises LoginRefused with the same words for a wrong password and an unknown account, and the same
    lockout words for a locked account and for an unknown identifier tried as often.
    """
    user = find_user(identifier)
    if user is None or not user.active:
        return _refuse_unknown(identifier, password)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise LoginRefused(_locked_message())
    if user.locked_until:  # the lock has run out: a fresh count
        user.locked_until, user.failed_logins = None, 0
    if not verify_password(user.password_hash, password or ""):
        raise _count_failure(user, now)
    _record_success(user, password, now)
    return user


def _refuse_unknown(identifier, password):
    verify_password(_timing_hash(), password or "")  # as slow as a real check, so timing tells nothing
    key = f"accounts-unknown-login/{identifier_key(identifier)}"
    failures = limiter.storage.incr(key, _lockout_minutes() * 60)
    signals.login_failed.send(None, locked=failures == _lockout_threshold())
    if failures >= _lockout_threshold():
        raise LoginRefused(_locked_message())
    raise LoginRefused(_wrong_message())


def _count_failure(user, now):
    """Count a wrong password, locking at the threshold; commit; return the refusal to raise."""
    user.failed_logins = (user.failed_logins or 0) + 1
    user.last_failed_login_at = now  # the count is a login record: kept only LOGIN_RECORD_RETENTION_DAYS
    locked = user.failed_logins >= _lockout_threshold()
    signals.login_failed.send(None, locked=locked)
    if locked:
        user.locked_until = now + timedelta(minutes=_lockout_minutes())
    db.session.commit()
    return LoginRefused(_locked_message() if locked else _wrong_message())


def _record_success(user, password, now):
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.session.commit()


def _wrong_message():
    return _("The email address or mobile number and password do not match. Check them and try again.")


def _locked_message():
    return _("Too many failed sign-in attempts: sign-in is paused for %(n)s minutes. You can reset your "
             "password now to sign in straight away.", n=_lockout_minutes())


def _lockout_threshold():
    return current_app.config.get("LOGIN_LOCKOUT_THRESHOLD", 5)


def _lockout_minutes():
    return current_app.config.get("LOGIN_LOCKOUT_MINUTES", 15)


def _timing_hash():
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


# --- passwords ---------------------------------------------------------------------------------------


def change_password(user, current_password, new_password):
    """Set USER's new password after checking the current one (SSO-only users have none); commit."""
    if user.password_hash and not verify_password(user.password_hash, current_password or ""):
        raise _invalid("current_password", _("This is not your current password."))
    _check_new_password(new_password, _own_words(user), field="new_password")
    _set_password(user, new_password)
    db.session.commit()


def request_password_reset(identifier, link_for):
    """Send a one-time reset link (LINK_FOR(token) builds it) when the account exists; commit.

    Says nothing about whether it exists: the caller shows the same answer either way.
    """
    from accounts.senders import current_sender

    user = find_user(identifier)
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_token_hash(token),
                                      expires_at=utcnow() + RESET_TOKEN_LIFETIME))
    db.session.commit()
    current_sender().send_password_reset(user, link_for(token))
    return token


def reset_token_user(token):
    """Return the user a usable (unused, unexpired) reset TOKEN belongs to, or None."""
    row = _usable_token(token)
    return db.session.get(User, row.user_id) if row else None


def reset_password(token, new_password):
    """Set a new password with a reset TOKEN, use up every token of that user and clear the lockout; commit."""
    row = _usable_token(token)
    if row is None:
        raise ServiceError(_invalid_token_message(), code="invalid_token")
    user = db.session.get(User, row.user_id)
    _check_new_password(new_password, _own_words(user))
    _set_password(user, new_password)
    db.session.commit()
    return user


def _invalid_token_message():
    return _("This reset link has expired or has already been used. Ask for a new one.")


def _usable_token(token):
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def _set_password(user, password):
    """Store the new hash, clear the lockout and use up all of the user's outstanding reset tokens."""
    now = utcnow()
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    db.session.execute(sa.update(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=now))


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _own_words(user):
    mobile = user.mobile.removeprefix("+86") if user.mobile else None
    return [v for v in (user.email, user.mobile, mobile, user.display_name) if v]


# --- correcting one's own account (PIPL art. 46) -----------------------------------------------------

ADDRESS_LINK_MAX_AGE = 24 * 3600  # seconds a link confirming a new e-mail address or mobile number stays usable
_ADDRESS_SALT = "accounts.address-change"
_NORMALISE = {"email": normalise_email, "mobile": normalise_mobile}


def update_details(user, display_name, email, mobile, link_for):
    """Correct USER's own account; commit. The name changes at once; a new e-mail address or mobile number only
    when its owner follows the link LINK_FOR(token) sent to it; an emptied one is removed while another way to
    sign in remains. Every change is announced (signals.account_corrected). Returns {kind: address} of the
    links sent; refusals name the field and change nothing."""
    name = _clean_display_name(display_name)
    wanted = {kind: _wanted_address(kind, value) for kind, value in (("email", email), ("mobile", mobile))}
    removed = [kind for kind, value in wanted.items() if value is None and getattr(user, kind)]
    kept = [kind for kind in wanted if getattr(user, kind) and kind not in removed]
    if removed and not kept and not user.oidc_subject:
        raise _invalid(removed[0], _("Keep an email address or a mobile number: you sign in with it."))
    if name != user.display_name:
        user.display_name = name
        signals.account_corrected.send(None, user=user, field="display_name")
    for kind in removed:
        setattr(user, kind, None)
        signals.account_corrected.send(None, user=user, field=kind)
    db.session.commit()
    changes = {kind: value for kind, value in wanted.items() if value and value != getattr(user, kind)}
    for kind, value in changes.items():
        _send_address_link(user, kind, value, link_for)
    return changes


def _wanted_address(kind, text):
    """The normalised address typed for KIND, or None when the field was emptied; a refusal when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    value = _NORMALISE[kind](text)
    if value is None:
        raise _invalid(kind, _("Not an email address.") if kind == "email"
                       else _("Not an 11-digit mainland mobile number."))
    return value


def _send_address_link(user, kind, value, link_for):
    """Send the link confirming VALUE; nothing when another account has it (the answer shown is the same)."""
    from accounts.senders import current_sender

    if find_user(value) is not None:
        return
    token = _address_serializer().dumps({"uid": user.id, "kind": kind, "value": value})
    current_sender().send_address_change_link(kind, value, link_for(token))


def address_change_claims(user, token):
    """Return what a usable address-change TOKEN of USER carries ({uid, kind, value}), or None."""
    try:
        claims = _address_serializer().loads(token or "", max_age=ADDRESS_LINK_MAX_AGE)
    except (BadSignature, ValueError):
        return None
    if not isinstance(claims, dict) or claims.get("kind") not in _NORMALISE or claims.get("uid") != user.id:
        return None
    return claims


def confirm_address_change(user, token):
    """Give USER the new e-mail address or mobile number a usable TOKEN names; commit. Refused when the link is
    stale, someone else's, or the address was taken meanwhile."""
    claims = address_change_claims(user, token)
    if claims is None:
        raise ServiceError(_address_link_invalid(), code="invalid_address_link")
    kind, value = claims["kind"], claims["value"]
    if getattr(user, kind) == value:
        return user
    if find_user(value) is not None:
        raise _address_taken()
    setattr(user, kind, value)
    signals.account_corrected.send(None, user=user, field=kind)
    try:
        db.session.commit()
    except IntegrityError:  # taken by a concurrent sign-up or change
        db.session.rollback()
        raise _address_taken() from None
    return user


def _address_taken():
    return ServiceError(_("Another account uses this address now: it cannot be added to yours."),
                        code="address_taken", status=409)


def _address_link_invalid():
    return _("This link has expired or is not valid. Change the address on your account page again.")


def _address_serializer():
    return _Serializer(current_app.config["SECRET_KEY"], salt=_ADDRESS_SALT)


# --- single sign-on ----------------------------------------------------------------------------------


def user_for_sso(issuer, claims):
    """Return the user for an OpenID Connect identity: by (issuer, sub), else by verified email, else new; commit."""
    subject = str(claims.get("sub") or "")
    if not issuer or not subject:
        raise ServiceError(_("The sign-in service did not say who you are."), code="sso_failed")
    user = db.session.scalar(sa.select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is None:
        user = _link_or_create(issuer, subject, claims)
    if not user.active:
        raise ServiceError(_("This account is disabled."), code="sso_failed", status=403)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _link_or_create(issuer, subject, claims):
    email = normalise_email(claims.get("email")) if claims.get("email_verified") is True else None
    user = find_user(email) if email else None
    if user is not None:
        if user.oidc_subject and user.oidc_issuer == issuer:  # already linked to another identity there
            raise ServiceError(_("Your email address belongs to an account linked to another sign-in."),
                               code="sso_failed", status=409)
        user.oidc_issuer, user.oidc_subject = issuer, subject
        return user
    name = " ".join(str(claims.get("name") or claims.get("preferred_username") or email or "").split())[:100]
    user = User(role="family", email=email, display_name=name or _("Family member"), oidc_issuer=issuer,
                oidc_subject=subject)
    db.session.add(user)
    db.session.flush()
    return user


# --- users made by admins ----------------------------------------------------------------------------


def create_user(*, password, role, email=None, mobile=None, display_name=None, jurisdiction=None,
                provider_id=None):
    """Create a user with any role (how admins and regulators are made); commit. Refusals name the option."""
    from marketplace.models import Provider

    if role not in ROLES:
        raise _invalid("role", _("Unknown role %(role)s: use one of %(roles)s.", role=role, roles=", ".join(ROLES)))
    email_value = normalise_email(email) if email else None
    mobile_value = normalise_mobile(mobile) if mobile else None
    if email and not email_value:
        raise _invalid("email", _("Not an email address."))
    if mobile and not mobile_value:
        raise _invalid("mobile", _("Not an 11-digit mainland mobile number."))
    if not (email_value or mobile_value):
        raise _invalid("email", _("Give an email address or a mobile number."))
    _check_role_scope(role, jurisdiction, provider_id, Provider)
    name = _clean_display_name(display_name or email_value or mobile_value)
    _check_new_password(password, [email_value, mobile_value, name])
    for kind, value in (("email", email_value), ("mobile", mobile_value)):
        if value and find_user(value) is not None:
            raise _invalid(kind, _taken_message(kind))
    user = User(email=email_value, mobile=mobile_value, password_hash=hash_password(password), role=role,
                display_name=name, jurisdiction_code=jurisdiction, provider_id=provider_id)
    return _insert(user, "email", _("An account with this email address or mobile number already exists."))


def _check_role_scope(role, jurisdiction, provider_id, provider_model):
    if role == "regulator":
        if not jurisdiction or not (gazetteer().province(jurisdiction) or gazetteer().city(jurisdiction)):
            raise _invalid("jurisdiction", _("A regulator needs a jurisdiction: a province or city code."))
    elif jurisdiction:
        raise _invalid("jurisdiction", _("Only regulators have a jurisdiction."))
    if role == "provider":
        if provider_id is None or db.session.get(provider_model, provider_id) is None:
            raise _invalid("provider_id", _("A provider user needs the id of an existing operator."))
    elif provider_id is not None:
        raise _invalid("provider_id", _("Only provider users belong to an operator."))
