"""The account forms (Flask-WTF: every one carries a CSRF token). Rules that need the database live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from accounts.passwords import MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _identifier(form, field):
    """Accept an email address or a mainland mobile number."""
    from accounts.services import parse_identifier

    if field.data and parse_identifier(field.data) is None:
        raise ValidationError(_l("Enter an email address or an 11-digit mainland mobile number."))


def _identifier_field(label=None):
    return StringField(label or _l("Email or mobile number"), filters=[_strip], validators=[
        DataRequired(_l("Enter your email address or mobile number.")), Length(max=254), _identifier])


def _password_field(label, message):
    return PasswordField(label, validators=[DataRequired(message), Length(max=MAX_LENGTH)])


class SignupForm(FlaskForm):
    identifier = _identifier_field()
    display_name = StringField(_l("Your name"), filters=[_strip], validators=[
        DataRequired(_l("Enter the name we should show.")), Length(max=100)])
    password = _password_field(_l("Password"), _l("Choose a password."))
    accept_privacy = BooleanField(_l("I have read and agree to the privacy notice."), validators=[
        DataRequired(_l("Agree to the privacy notice to create an account."))])


class LoginForm(FlaskForm):
    identifier = _identifier_field()
    password = _password_field(_l("Password"), _l("Enter your password."))
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    identifier = _identifier_field()


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"), _l("Choose a new password."))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[Optional(), Length(max=MAX_LENGTH)])
    new_password = _password_field(_l("New password"), _l("Choose a new password."))


class DetailsForm(FlaskForm):
    """Correcting one's own account: the name, the e-mail address, the mobile number (checked by the service)."""

    display_name = StringField(_l("Your name"), filters=[_strip], validators=[
        DataRequired(_l("Enter the name we should show.")), Length(max=100)])
    email = StringField(_l("Email"), filters=[_strip], validators=[Optional(), Length(max=254)])
    mobile = StringField(_l("Mobile number"), filters=[_strip], validators=[Optional(), Length(max=30)])


class AddressConfirmForm(FlaskForm):
    """Nothing but the CSRF token: the link's owner confirms the new address with one POST."""


class SignupConfirmForm(FlaskForm):
    """Nothing but the CSRF token: the link's owner finishes the sign-up with one POST."""


class LogoutForm(FlaskForm):
    """Nothing but the CSRF token: signing out is a POST."""
