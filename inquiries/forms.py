"""Forms for inquiries: send (a question or a visit booking), reply, visit decisions, close. CSRF on all."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from inquiries.models import BODY_MAX, KINDS, TIME_SLOTS
from inquiries.services import visit_date_window
from marketplace.vocab import CARE_LEVEL_LABELS, CARE_LEVELS

TIME_SLOT_LABELS = {"morning": _l("Morning (9:00–12:00)"), "afternoon": _l("Afternoon (14:00–17:00)")}
KIND_LABELS = {"inquiry": _l("Question"), "visit": _l("Visit")}
STATUS_LABELS = {
    "open": _l("Waiting for the home"),
    "answered": _l("Answered"),
    "closed": _l("Closed"),
    "visit_confirmed": _l("Visit confirmed"),
    "visit_declined": _l("Visit declined"),
}
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(raw):
    """Return a mainland mobile as +86XXXXXXXXXXX or a landline as 0AREA-NUMBER; None if it is neither."""
    compact = re.sub(r"[\s()]", "", raw or "")
    if match := _MOBILE.match(compact.replace("-", "")):
        return "+86" + match.group(1)
    if match := _LANDLINE.match(compact):
        return f"{match.group(1)}-{match.group(2)}"
    return None


class InquiryForm(FlaskForm):
    """A question to a home, or a visit booking when kind is "visit"."""

    kind = HiddenField(validators=[AnyOf(KINDS, message=_l("Choose a question or a visit."))])
    visit_date = DateField(_l("Date of the visit"), validators=[Optional()],
                           render_kw={"autocomplete": "off"})
    time_slot = RadioField(_l("Time of day"), choices=[SelectChoice(s, TIME_SLOT_LABELS[s]) for s in TIME_SLOTS],
                           validators=[Optional()], validate_choice=False)
    care_level = SelectField(_l("Care level needed (optional)"),
                             choices=[SelectChoice("", _l("Not sure yet"))]
                             + [SelectChoice(c, CARE_LEVEL_LABELS[c]) for c in CARE_LEVELS],
                             validators=[Optional()], validate_choice=False)
    care_consent = BooleanField(_l("I agree that my parent's care level is stored and shared with this home. "
                                   "It is health information; without this agreement the care level is not kept "
                                   "and the request is sent without it."))
    body = TextAreaField(_l("Your question"), validators=[Length(max=BODY_MAX, message=_l(
        "At most %(max)d characters."))], render_kw={"rows": 6, "maxlength": BODY_MAX})
    contact_name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Enter your name.")), Length(max=100, message=_l("At most %(max)d characters."))],
        render_kw={"autocomplete": "name"})
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)],
                                render_kw={"autocomplete": "tel", "inputmode": "tel"})
    contact_email = StringField(_l("Email"), validators=[Optional(), Length(max=254, message=_l(
        "At most %(max)d characters."))], render_kw={"autocomplete": "email", "inputmode": "email"})
    contact_consent = BooleanField(_l("The home may contact me by phone or email about this request."),
                                   validators=[InputRequired(message=_l(
                                       "Agree that the home may contact you, or it cannot answer."))])
    # honeypot: hidden from people (CSS and aria-hidden), filled in by bots that fill in every field
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    def validate_care_level(self, field):
        if field.data and field.data not in CARE_LEVELS:
            raise ValidationError(_l("Choose a care level from the list."))

    def validate_contact_phone(self, field):
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a mainland mobile number (11 digits) or a landline with its area code."))

    def validate_contact_email(self, field):
        if field.data and not _EMAIL.match(field.data.strip()):
            raise ValidationError(_l("Enter a valid email address."))

    def validate_contact_consent(self, field):
        if field.data is not True:
            raise ValidationError(_l("Agree that the home may contact you, or it cannot answer."))

    def validate(self, extra_validators=None):
        """Validate the fields, then the rules between them (visit date and slot, body, some contact)."""
        valid = super().validate(extra_validators)
        rules = [self._check_contact(), self._check_body()]
        if self.kind.data == "visit":
            rules += [self._check_visit_date(), self._check_time_slot()]
        return valid and all(rules)

    @property
    def is_bot(self):
        """Say whether the honeypot was filled in."""
        return bool((self.website.data or "").strip())

    def service_values(self):
        """Return the keyword arguments for services.send_inquiry."""
        visit = self.kind.data == "visit"
        return {"kind": self.kind.data, "contact_name": self.contact_name.data.strip(),
                "contact_phone": normalize_phone(self.contact_phone.data) or "" if self.contact_phone.data else "",
                "contact_email": (self.contact_email.data or "").strip(), "contact_consent": True,
                "body": (self.body.data or "").strip(), "care_level": self.care_level.data or None,
                "visit_date": self.visit_date.data if visit else None, "time_slot": self.time_slot.data if visit
                else None}

    def _fail(self, field, message):
        if not field.errors:
            field.errors = list(field.errors) + [message]
        return False

    def _check_contact(self):
        if (self.contact_phone.data or "").strip() or (self.contact_email.data or "").strip():
            return True
        return self._fail(self.contact_phone, _l("Enter a phone number or an email address."))

    def _check_body(self):
        if self.kind.data == "visit" or (self.body.data or "").strip():
            return True
        return self._fail(self.body, _l("Write your question."))

    def _check_visit_date(self):
        first, last = visit_date_window()
        if self.visit_date.errors:
            return False
        if self.visit_date.data and first <= self.visit_date.data <= last:
            return True
        return self._fail(self.visit_date, _l("Choose a date from %(first)s to %(last)s.", first=first.isoformat(),
                                              last=last.isoformat()))

    def _check_time_slot(self):
        if self.time_slot.data in TIME_SLOTS:
            return True
        return self._fail(self.time_slot, _l("Choose morning or afternoon."))


class ReplyForm(FlaskForm):
    """A message in an inquiry's thread."""

    body = TextAreaField(_l("Your reply"), validators=[
        DataRequired(message=_l("Write a message.")),
        Length(max=BODY_MAX, message=_l("At most %(max)d characters."))], render_kw={"rows": 4, "maxlength": BODY_MAX})


class VisitDecisionForm(FlaskForm):
    """Confirm or decline a visit, with an optional note to the family."""

    note = TextAreaField(_l("Note to the family (optional)"), validators=[
        Optional(), Length(max=BODY_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2, "maxlength": BODY_MAX})


class CloseForm(FlaskForm):
    """Close an inquiry (only the CSRF token)."""
