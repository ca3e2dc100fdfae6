"""Forms of the import pages: the quarantine fix form, built per source format (its fields and fee columns)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from ingest.normalise import FIELD_LABELS, parse_yuan

ACTIONS = ("reimport", "merge", "new", "dismiss")
_AT_MOST = _l("At most %(max)d characters.")


def _number_between(low, high):
    """A validator: a decimal number from LOW to HIGH."""

    def check(_form, field):
        try:
            value = float(field.data.replace(",", ""))
        except ValueError:
            raise ValidationError(_l("Enter a number.")) from None
        if not low <= value <= high:
            raise ValidationError(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high))

    return check


def _amount(_form, field):
    """A validator: a price in yuan as the source writes it (digits, thousands separators, a unit)."""
    try:
        yuan = parse_yuan(field.data)
    except ValueError:
        raise ValidationError(_l("Enter an amount in yuan, for example 2500.")) from None
    if yuan is not None and yuan < 0:
        raise ValidationError(_l("A price cannot be negative."))


FIELD_VALIDATORS = {
    "name": [DataRequired(_l("Enter the name.")), Length(max=200, message=_AT_MOST)],
    "address": [DataRequired(_l("Enter the address.")), Length(max=300, message=_AT_MOST)],
    "licence_no": [Optional(), Length(max=40, message=_AT_MOST)],
    "district_code": [Optional(), Regexp(r"^\s*\d{6}\s*$", message=_l("A region code has six digits."))],
    "city_name": [Optional(), Length(max=40, message=_AT_MOST)],
    "district_name": [Optional(), Length(max=40, message=_AT_MOST)],
    "phone": [Optional(), Length(max=40, message=_AT_MOST)],
    "beds_total": [Optional(), Regexp(r"^\s*\d{1,5}\s*$", message=_l("Enter a whole number of beds."))],
    "grade": [Optional(), Length(max=20, message=_AT_MOST)],
    "ownership": [Optional(), Length(max=40, message=_AT_MOST)],
    "lat": [Optional(), _number_between(-90, 90)],
    "lon": [Optional(), _number_between(-180, 180)],
}


class QuarantineFixForm(FlaskForm):
    """The decision on a quarantined row (which button), with its fixed fields; CSRF on."""

    action = StringField(validators=[AnyOf(ACTIONS, message=_l("Choose what to do with this row."))])
    field_names: tuple = ()

    def validate(self, extra_validators=None):
        """Check every field, but only the token and the action when the row is dismissed."""
        if self.action.data != "dismiss":
            return super().validate(extra_validators)
        checked = [self.action] + ([self.csrf_token] if self.meta.csrf else [])
        return all([f.validate(self) for f in checked])

    def fixes(self, submitted):
        """Return {field or fee column: text} for the fields the browser sent (others are left as they were)."""
        return {name: self[name].data or "" for name in self.field_names if name in submitted}

    def show_problems(self, problems, problem_text):
        """Put the importer's reasons next to the fields they concern; return those no field shows."""
        rest = []
        for problem in problems:
            name = problem.get("field")
            if name == "fees":
                name = (problem.get("value") or "").partition(":")[0]
            if name in self.field_names:
                self[name].errors = list(self[name].errors) + [problem_text(problem)]
            else:
                rest.append(problem)
        return rest


def fix_form(adapter, editable, row=None):
    """Return the fix form of a quarantined row in ADAPTER's format, prefilled from ROW on a GET."""
    fields = {name: StringField(FIELD_LABELS.get(name, name), validators=FIELD_VALIDATORS.get(name, [Optional()]))
              for name in editable if name in adapter.columns}
    fees = {column: StringField(column, validators=[Optional(), _amount]) for column in adapter.fee_columns()}
    form_class = type("SourceFixForm", (QuarantineFixForm,),
                      {**fields, **fees, "field_names": tuple(fields) + tuple(fees)})
    data = None
    if row is not None:
        data = {name: row.data.get(name, "") for name in fields}
        data.update({column: row.data.get("fees", {}).get(column, "") for column in fees})
    form = form_class(data=data) if data is not None else form_class()
    form.plain_fields, form.fee_fields = list(fields), list(fees)
    return form
