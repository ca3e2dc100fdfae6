"""Forms of the provider portal and the regulator pages (Flask-WTF: every form carries a CSRF token)."""

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectMultipleField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.vocab import CARE_LEVELS
from marketplace import vocab
from marketplace.services import MAX_BEDS, MAX_EXTRA_FEN, MAX_FEE_FEN, MAX_PREPAYMENT_MONTHS

MAX_FEE_YUAN = Decimal(MAX_FEE_FEN) / 100
MAX_EXTRA_YUAN = Decimal(MAX_EXTRA_FEN) / 100


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OperatorForm(FlaskForm):
    name = StringField(_l("Registered name of the operator"), validators=[DataRequired(), Length(2, 200)])
    submit = SubmitField(_l("Create operator account"))


class ClaimForm(FlaskForm):
    licence_no = StringField(_l("Filing number (养老机构备案号)"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Claim this home"))


class DocumentClaimForm(FlaskForm):
    """Claim a home listed without a filing number: the operator's credit code and its documents."""

    credit_code = StringField(_l("Unified social credit code (统一社会信用代码)"),
                              validators=[DataRequired(), Length(max=40)])
    evidence = TextAreaField(_l("Documents that show your operator runs this home"),
                             validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Claim with these documents"))


class ListingForm(FlaskForm):
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    address_en = StringField(_l("Address in English"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000)])
    services = CheckboxesField(_l("Services"), choices=[])
    included = CheckboxesField(_l("Included in the monthly fee"), choices=[])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200),
                                                     URL(require_tld=True, message=_l("A web address such as https://example.cn"))])
    visiting_hours = StringField(_l("Visiting hours"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Save listing"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.services.choices = [(c, vocab.label(vocab.SERVICE_LABELS, c)) for c in vocab.SERVICES]
        self.included.choices = [(c, vocab.label(vocab.INCLUDED_LABELS, c)) for c in vocab.INCLUDED]

    def values(self):
        """Return the listing values for services.update_listing."""
        text = ("name_en", "address_en", "description", "description_en", "phone", "website", "visiting_hours")
        values = {name: (getattr(self, name).data or "").strip() for name in text}
        values.update(services=list(self.services.data or []), included=list(self.included.data or []))
        return values


def _two_places(form, field):
    if field.data is not None and field.data.as_tuple().exponent < -2:
        raise ValidationError(_l("At most two decimal places (fen)."))


def _yuan_field(label, top=MAX_FEE_YUAN):
    return DecimalField(label, places=2, validators=[Optional(), NumberRange(0, top), _two_places],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})


class FeeForm(FlaskForm):
    """The fees of one care level, in yuan, from one date (today, or later to announce a price change)."""

    bed = _yuan_field(_l("Bed, yuan a month"))
    care = _yuan_field(_l("Care, yuan a month"))
    meals = _yuan_field(_l("Meals, yuan a month"))
    deposit = _yuan_field(_l("One-off deposit, yuan"))
    extra_single_room = _yuan_field(_l("Single-room supplement, yuan a month"), MAX_EXTRA_YUAN)
    extra_incontinence = _yuan_field(_l("Incontinence supplies, yuan a month"), MAX_EXTRA_YUAN)
    extra_rehab = _yuan_field(_l("Rehabilitation training, yuan a month"), MAX_EXTRA_YUAN)
    extra_special_diet = _yuan_field(_l("Special diet, yuan a month"), MAX_EXTRA_YUAN)
    extra_laundry = _yuan_field(_l("Personal laundry, yuan a month"), MAX_EXTRA_YUAN)
    effective_from = DateField(_l("Takes effect on"), default=date.today, validators=[DataRequired()])
    submit = SubmitField(_l("Save fees"))

    KINDS = ("bed", "care", "meals", "deposit", *vocab.EXTRA_KINDS)

    def validate(self, extra_validators=None):
        """Validate, and require at least one amount."""
        ok = super().validate(extra_validators)
        if ok and all(getattr(self, k).data is None for k in self.KINDS):
            self.bed.errors = [*self.bed.errors, str(_l("Give at least one amount."))]
            return False
        return ok

    def items(self, care_level):
        """Return the fee items for services.set_fees: amounts in integer fen."""
        return [{"care_level": care_level, "kind": kind, "amount_fen": yuan_to_fen(getattr(self, kind).data),
                 "effective_from": self.effective_from.data}
                for kind in self.KINDS if getattr(self, kind).data is not None]


class PrepaymentForm(FlaskForm):
    """The months of fees the home requires paid in advance (empty: the home states none)."""

    prepayment_months = IntegerField(_l("Months paid in advance the home requires"),
                                     validators=[Optional(), NumberRange(0, MAX_PREPAYMENT_MONTHS)],
                                     render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = SubmitField(_l("Save prepayment requirement"))


def yuan_to_fen(amount):
    """Return integer fen for a Decimal amount of yuan (validated to at most 2 decimal places)."""
    return int(Decimal(amount) * 100)


def fen_to_yuan(fen):
    """Return a Decimal amount of yuan for integer FEN (for pre-filling the form)."""
    return None if fen is None else Decimal(fen) / 100


def vacancy_form_class():
    """Return a form class with a free-beds field per care level (blank: not offered, left as it is)."""
    fields = {level: IntegerField(vocab.CARE_LEVEL_LABELS[level], validators=[Optional(), NumberRange(0, MAX_BEDS)],
                                  render_kw={"inputmode": "numeric", "min": 0, "max": MAX_BEDS})
              for level in CARE_LEVELS}
    fields["submit"] = SubmitField(_l("Save and confirm free beds"))
    return type("VacancyForm", (FlaskForm,), fields)


class ConfirmForm(FlaskForm):
    """A one-click action: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    caption = StringField(_l("Caption (describes the photo for people who cannot see it)"),
                          validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Upload photo"))


class DisputeForm(FlaskForm):
    note = TextAreaField(_l("Why this claim is wrong"), validators=[DataRequired(), Length(5, 2000)])
    submit = SubmitField(_l("Dispute this claim"))


class ClaimDecisionForm(FlaskForm):
    note = TextAreaField(_l("Note to the operator"), validators=[Optional(), Length(max=2000)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))
