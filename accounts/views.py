"""Sign-up, login, logout, password reset, the account page, single sign-on."""

import re
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from accounts import consents, oidc, services
from accounts.auth import forget_session_globals
from accounts.forms import (
    AddressConfirmForm,
    ChangePasswordForm,
    DetailsForm,
    LoginForm,
    LogoutForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupConfirmForm,
    SignupForm,
)
from accounts.permissions import jurisdiction_label
from core.errors import ServiceError
from core.extensions import db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")

ROLE_LABELS = {"family": _l("Family"), "provider": _l("Care home staff"), "regulator": _l("Regulator"),
               "admin": _l("Administrator")}
_UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def _limit(name):
    return lambda: current_app.config[name]


def _identifier_key():
    return "accounts-identifier/" + services.identifier_key(request.form.get("identifier"))


# --- sign-up, login, logout --------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup():
    """Create a family account and sign it in."""
    form = SignupForm()
    if not form.validate_on_submit():
        return _page("accounts/signup.html", form, next=_next_from_request())
    next_page = _next_from_request()
    try:
        services.start_signup(form.identifier.data, form.password.data, form.display_name.data,
                              link_for=lambda token: _external_link("accounts.signup_confirm", token=token,
                                                                    next=next_page),
                              notice_link=_external_link("accounts.login"))
    except ServiceError as exc:
        return _page("accounts/signup.html", _with_errors(form, exc), next=next_page)
    # the same answer whether or not the address is registered: its owner learns the rest from the message
    return render_template("accounts/signup_sent.html", address=form.identifier.data.strip()), 200


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup_confirm(token):
    """Finish a sign-up from the link sent to its address: one button (a POST, so a link preview creates nothing)."""
    claims = services.signup_claims(token)
    form = SignupConfirmForm()
    if claims is None:
        return _no_referrer(render_template("accounts/signup_confirm.html", form=None, claims=None), 400)
    if form.validate_on_submit():
        try:
            user = services.finish_signup(token)
        except ServiceError as exc:
            _with_errors(form, exc)
        else:
            # the privacy box was ticked on the sign-up form (required there): the current notice, its version
            consents.grant(user.id, "notice")
            db.session.commit()
            _sign_in(user)
            return redirect(safe_next(_next_from_request()))
    status = 400 if form.errors else 200
    return _no_referrer(render_template("accounts/signup_confirm.html", form=form, claims=claims,
                                        next=_next_from_request()), status)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"], key_func=_identifier_key)
def login():
    """Sign in with an email address or mobile number and a password."""
    form = LoginForm(next=_next_from_request())
    if not form.validate_on_submit():
        return _page("accounts/login.html", form)
    try:
        user = services.authenticate(form.identifier.data, form.password.data)
    except ServiceError as exc:
        form.password.data = ""
        return _page("accounts/login.html", _with_errors(form, exc))
    _sign_in(user)
    return redirect(safe_next(form.next.data))


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign anyone out)."""
    form = LogoutForm()
    if not form.validate_on_submit():
        return render_template("error.html", status=400, message=_("Your session has expired. Please try again."),
                               fields={}), 400
    logout_user()
    session.clear()
    return redirect(url_for("marketplace.index"))


def _sign_in(user):
    """Start a fresh session for USER: nothing from before the login survives (no session fixation)."""
    session.clear()
    forget_session_globals()  # a form rendered later in this request gets a token of the new session
    login_user(user)
    session.permanent = False


# --- the account page --------------------------------------------------------------------------------


@bp.route("")
@login_required
def profile():
    """Show who the user is (role, operator, jurisdiction) and the change-password form."""
    return _profile_page(ChangePasswordForm())


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    """Change the signed-in user's password."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _profile_page(form, status=400)
    try:
        services.change_password(current_user, form.current_password.data, form.new_password.data)
    except ServiceError as exc:
        return _profile_page(_with_errors(form, exc), status=400)
    flash(_("Your password has been changed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/details", methods=["POST"])
@login_required
def update_details():
    """Correct the signed-in user's name, e-mail address or mobile number (a new address after its link)."""
    form = DetailsForm()
    if not form.validate_on_submit():
        return _profile_page(details=form, status=400)
    user = current_user._get_current_object()
    try:
        sent = services.update_details(user, form.display_name.data, form.email.data, form.mobile.data,
                                       link_for=lambda token: _external_link("accounts.confirm_address",
                                                                             token=token))
    except ServiceError as exc:
        return _profile_page(details=_with_errors(form, exc), status=400)
    flash(_("Your details are saved."), "success")
    for address in sent.values():
        flash(_("We sent a link to %(address)s. The new address is used once you follow it (within 24 hours).",
                address=address.removeprefix("+86")), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/address/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
@login_required
def confirm_address(token):
    """Confirm a new e-mail address or mobile number from the link sent to it: one button (a POST)."""
    claims = services.address_change_claims(current_user, token)
    form = AddressConfirmForm()
    if claims is None:
        return _no_referrer(render_template("accounts/address_confirm.html", form=None, claims=None), 400)
    status = 200
    if form.validate_on_submit():
        try:
            services.confirm_address_change(current_user._get_current_object(), token)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
            status = exc.status
        else:
            flash(_("Your new address is saved."), "success")
            return redirect(url_for("accounts.profile"))
    elif form.errors:
        status = 400
    return _no_referrer(render_template("accounts/address_confirm.html", form=form, claims=claims,
                                        address=claims["value"].removeprefix("+86")), status)


def _profile_page(form=None, details=None, status=200):
    user = current_user
    jurisdiction = jurisdiction_label(user.jurisdiction_code) if user.jurisdiction_code else None
    details = details or DetailsForm(formdata=None, display_name=user.display_name, email=user.email,
                                     mobile=user.mobile.removeprefix("+86") if user.mobile else None)
    return render_template("accounts/profile.html", form=form or ChangePasswordForm(formdata=None),
                           details=details, user=user, role_label=ROLE_LABELS.get(user.role),
                           operator=user.provider, jurisdiction=jurisdiction,
                           messages=get_flashed_messages(with_categories=True)), status


# --- password reset ----------------------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"], key_func=_identifier_key)
def reset_request():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return _page("accounts/reset_request.html", form, sent=False)
    services.request_password_reset(form.identifier.data, _reset_link)
    return _page("accounts/reset_request.html", ResetRequestForm(formdata=None), sent=True)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token):
    """Choose a new password with a one-time link."""
    if services.reset_token_user(token) is None:
        return _no_referrer(render_template("accounts/reset_password.html", form=None, invalid=True), 400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as exc:
            _with_errors(form, exc)
        else:
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return _no_referrer(render_template("accounts/reset_password.html", form=form, invalid=False), status)


def _reset_link(token):
    """Build the reset link from PASSWORD_RESET_BASE_URL when set (a forged Host header cannot redirect it)."""
    return _external_link("accounts.reset_password", token=token)


def _external_link(endpoint, **values):
    """A link for a message: from PASSWORD_RESET_BASE_URL when set (a forged Host header cannot redirect it)."""
    base = current_app.config.get("PASSWORD_RESET_BASE_URL")
    values = {k: v for k, v in values.items() if v is not None}
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, **values, _external=True)


def _no_referrer(body, status):
    """Keep the token in the address bar from leaking to other sites or caches."""
    return body, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


# --- single sign-on ----------------------------------------------------------------------------------


@bp.route("/sso")
def sso_login():
    """Go to the single sign-on provider."""
    if not oidc.sso_enabled():
        return render_template("error.html", status=404, message=_("Single sign-on is not set up."), fields={}), 404
    session["sso_next"] = safe_next(request.args.get("next"))
    try:
        return oidc.start_sign_in(url_for("accounts.sso_callback", _external=True))
    except oidc.sso_errors():
        current_app.logger.exception("single sign-on provider unavailable")
        return _sso_failed(_("The sign-in service is not answering. Please try again later."), 503)


@bp.route("/sso/callback")
def sso_callback():
    """Come back from the provider: verify what it says, find or create the user, sign in."""
    if not oidc.sso_enabled():
        return render_template("error.html", status=404, message=_("Single sign-on is not set up."), fields={}), 404
    target = session.get("sso_next")
    try:
        issuer, claims = oidc.finish_sign_in()
        user = services.user_for_sso(issuer, claims)
    except ServiceError as exc:
        return _sso_failed(exc.message, exc.status)
    except oidc.sso_errors() as exc:
        current_app.logger.warning("single sign-on refused: %r", exc)
        return _sso_failed(_("Single sign-on did not work. Please try again."), 400)
    _sign_in(user)
    return redirect(safe_next(target))


def _sso_failed(message, status):
    form = LoginForm(formdata=None)
    form.form_errors.append(message)
    return render_template("accounts/login.html", form=form, messages=[]), status


# --- helpers -----------------------------------------------------------------------------------------


def safe_next(target):
    """Return TARGET when it is a path on this site, else the home page (no open redirect)."""
    home = url_for("marketplace.index")
    if not target or not target.startswith("/") or target.startswith("//") or _UNSAFE_NEXT.search(target):
        return home
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else home


def _next_from_request():
    return request.values.get("next") or None


def _with_errors(form, exc):
    """Put a service's refusal on the form: on the fields it names, else above the form."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)
    return form


def _page(template, form, **context):
    """Render an account form page: 400 when the submitted form was refused."""
    status = 400 if form.errors else 200
    messages = get_flashed_messages(with_categories=True)
    return render_template(template, form=form, messages=messages, **context), status


@bp.app_template_global()
def has_endpoint(name):
    """Say whether an endpoint exists (links to pages still being built never break a page)."""
    return name in current_app.view_functions


@bp.app_template_global()
def sso_available():
    """Say whether to show "Sign in with SSO"."""
    return oidc.sso_enabled()
