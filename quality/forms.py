"""Forms of the quality pages (Flask-WTF: every form carries a CSRF token) and the labels of the codes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from quality.importer import KINDS as IMPORT_KINDS
from quality.models import INSPECTION_KINDS, RECORD_TYPES, SANCTION_KINDS, SANCTION_SEVERITIES, SCOPES, SEVERITIES
from quality.services import MAX_RESIDENTS, RESPONSE_MAX, TEXT_MAX

LABELS = {
    "inspection_kind": {"routine": _l("Routine inspection"), "follow_up": _l("Follow-up inspection"),
                        "complaint": _l("Complaint investigation"), "special": _l("Special inspection")},
    "severity": {"minor": _l("Minor"), "moderate": _l("Moderate"), "serious": _l("Serious"),
                 "critical": _l("Critical")},
    "scope": {"isolated": _l("Isolated"), "pattern": _l("A pattern"), "widespread": _l("Widespread")},
    "sanction_kind": {"warning": _l("Warning"), "corrective_order": _l("Corrective order (责令改正)"),
                      "fine": _l("Fine"), "admission_suspension": _l("Admissions suspended"),
                      "licence_revocation": _l("Filing revoked")},
    "sanction_severity": {"minor": _l("Minor"), "serious": _l("Serious")},
    "record_type": {"inspection": _l("Inspection"), "sanction": _l("Sanction"), "grade": _l("Grade certificate"),
                    "staffing": _l("Staffing report")},
    "import_kind": {"inspections": _l("Inspections"), "sanctions": _l("Sanctions and corrective orders"),
                    "grades": _l("Grade certificates")},
}
_REQUIRED = _l("This field is required.")
_DATE = _l("Give a date as YYYY-MM-DD.")


def _choices(group, codes, blank=None):
    return ([SelectChoice("", blank)] if blank else []) + [SelectChoice(c, LABELS[group][c]) for c in codes]


class FindingForm(Form):
    """One finding row of the inspection form (left empty when there is no finding)."""

    severity = SelectField(_l("Severity"), choices=_choices("severity", SEVERITIES, _l("No finding")),
                           validators=[Optional()])
    scope = SelectField(_l("Scope"), choices=_choices("scope", SCOPES), validators=[Optional()])
    description = StringField(_l("Finding"), validators=[Optional(), Length(max=TEXT_MAX)])


class InspectionForm(FlaskForm):
    inspected_on = DateField(_l("Date of the inspection"), validators=[InputRequired(message=_DATE)])
    kind = SelectField(_l("Type"), choices=_choices("inspection_kind", INSPECTION_KINDS))
    inspector = StringField(_l("Inspecting body"), validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=TEXT_MAX)])
    findings = FieldList(FormField(FindingForm), min_entries=3, max_entries=10)
    submit = SubmitField(_l("Record inspection"))


class SanctionForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=_choices("sanction_kind", SANCTION_KINDS))
    severity = SelectField(_l("Severity"), choices=_choices("sanction_severity", SANCTION_SEVERITIES))
    issued_on = DateField(_l("Issued on"), validators=[InputRequired(message=_DATE)])
    resolved_on = DateField(_l("Resolved on (if already resolved)"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Record sanction"))


class GradeForm(FlaskForm):
    level = IntegerField(_l("Grade level (1 to 5)"), validators=[InputRequired(message=_REQUIRED),
                                                                 NumberRange(1, 5)])
    issuing_body = StringField(_l("Issuing body"), validators=[DataRequired(message=_REQUIRED), Length(max=200)])
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=60)])
    issued_on = DateField(_l("Issued on"), validators=[InputRequired(message=_DATE)])
    valid_until = DateField(_l("Valid until"), validators=[InputRequired(message=_DATE)])
    submit = SubmitField(_l("Record grade certificate"))


class ResolveForm(FlaskForm):
    resolved_on = DateField(_l("Resolved on"), validators=[InputRequired(message=_DATE)])
    submit = SubmitField(_l("Mark resolved"))


class CheckForm(FlaskForm):
    submit = SubmitField(_l("Mark as checked"))


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=_choices("import_kind", IMPORT_KINDS))
    file = FileField(_l("CSV file (UTF-8)"))
    submit = SubmitField(_l("Import"))


class StaffingForm(FlaskForm):
    as_of = DateField(_l("On the date"), validators=[InputRequired(message=_DATE)])
    residents = IntegerField(_l("Residents"), validators=[InputRequired(message=_REQUIRED),
                                                          NumberRange(1, MAX_RESIDENTS)])
    care_staff = IntegerField(_l("Care staff (full-time equivalents, nurses included)"),
                              validators=[InputRequired(message=_REQUIRED), NumberRange(0, MAX_RESIDENTS)])
    nurses = IntegerField(_l("Nurses (full-time equivalents)"),
                          validators=[InputRequired(message=_REQUIRED), NumberRange(0, MAX_RESIDENTS)])
    submit = SubmitField(_l("Report staffing"))


class ResponseForm(FlaskForm):
    record_type = HiddenField(validators=[DataRequired(message=_REQUIRED)])
    record_id = HiddenField(validators=[DataRequired(message=_REQUIRED)])
    body = TextAreaField(_l("Your response"), validators=[DataRequired(message=_REQUIRED),
                                                          Length(max=RESPONSE_MAX)])
    submit = SubmitField(_l("Attach response"))

    def validate_record_type(self, field):
        if field.data not in RECORD_TYPES:
            raise ValidationError(_l("Unknown record."))
