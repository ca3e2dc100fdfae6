"""The policy-fact editor's form (Flask-WTF: it carries a CSRF token). The evidence rules live in
costs.services.build_fact, so the page and any other caller refuse the same things."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

STATUS_CHOICES = [SelectChoice(*c) for c in (("verified", _l("Verified: read in the document, linked and quoted")),
                  ("secondary", _l("Secondary source: a report or reply, or the document not yet linked")),
                  ("unverified", _l("Unverified: no source yet (shown as to be confirmed)")))]
MODE_CHOICES = [SelectChoice(*c) for c in (("replace", _l("Replace this fact")),
                ("add", _l("Add as a new fact beside it (e.g. a new standard from a later date)")))]


class FactForm(FlaskForm):
    """Every field of a policy fact; the key is the edited fact's own."""

    value = StringField(_l("Value"), validators=[Length(max=200)])
    origin_region = StringField(_l("Insuring place (code; empty: any)"), validators=[Optional(), Length(max=6)])
    home_region = StringField(_l("Home's place (code; empty: any)"), validators=[Optional(), Length(max=6)])
    grade = StringField(_l("Grade (empty: any)"), validators=[Optional(), Length(max=20)])
    effective_from = DateField(_l("In effect from"), validators=[Optional()])
    effective_to = DateField(_l("In effect until"), validators=[Optional()])
    doc_title = StringField(_l("Document title"), validators=[Length(max=300)])
    doc_number = StringField(_l("Document number"), validators=[Optional(), Length(max=100)])
    doc_issuer = StringField(_l("Issuing body"), validators=[Optional(), Length(max=200)])
    doc_date = StringField(_l("Document date (YYYY, YYYY-MM or YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])
    doc_url = StringField(_l("Link to the document itself"), validators=[Optional(), Length(max=500)])
    quote = TextAreaField(_l("Supporting sentence, quoted"), validators=[Optional(), Length(max=2000)])
    verified_on = DateField(_l("Last verified on"), validators=[Optional()])
    verified_by = StringField(_l("Verified by"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    reason = TextAreaField(_l("Why it is not verified, or what is still missing"),
                           validators=[Optional(), Length(max=2000)])
    note = StringField(_l("What the fact says, in plain words"), validators=[Optional(), Length(max=300)])
    note_zh = StringField(_l("The same in Chinese"), validators=[Optional(), Length(max=300)])
    reason_zh = TextAreaField(_l("The reason in Chinese"), validators=[Optional(), Length(max=2000)])
    mode = SelectField(_l("Publish as"), choices=MODE_CHOICES)
    change_note = StringField(_l("Note for the version history"), validators=[Optional(), Length(max=500)])
    preview = SubmitField(_l("Preview the effect"))
    publish = SubmitField(_l("Publish a new version"))

    def fill(self, fact):
        """Fill the fields from FACT (a costs.facts.Fact)."""
        value = fact.value
        self.value.data = ", ".join(map(str, value)) if isinstance(value, list) else \
            str(value).lower() if isinstance(value, bool) else str(value)
        for name in ("origin_region", "home_region", "grade", "effective_from", "effective_to", "quote",
                     "verified_on", "verified_by", "status", "reason", "note", "note_zh", "reason_zh"):
            getattr(self, name).data = getattr(fact, name)
        for name in ("title", "number", "issuer", "date", "url"):
            getattr(self, f"doc_{name}").data = fact.document.get(name)

    def evidence(self, key):
        """Return the fields as the data costs.services.build_fact takes."""
        data = {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "preview", "publish", "mode", "change_note")}
        return {**{k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}, "key": key}


KIND_CHOICES = [SelectChoice(*c) for c in (
    ("ltci", _l("Designated for long-term-care insurance")),
    ("cross_province_settlement", _l("Connected for cross-province direct medical settlement")),
    ("medical_insurance", _l("Medical-insurance designated clinic")))]


class DesignationForm(FlaskForm):
    """A provider declares a designation of its home, with where it comes from (a regulator confirms it)."""

    kind = SelectField(_l("Designation"), choices=KIND_CHOICES)
    scheme_region = StringField(_l("Insuring city whose scheme designates the home (code; empty: the home's city)"),
                                validators=[Optional(), Length(max=6)])
    source = StringField(_l("Where it comes from (notice, list, letter)"), validators=[Length(max=300)])
    source_date = DateField(_l("Date of that source"), validators=[Optional()])
    submit = SubmitField(_l("Declare"))


class ConfirmForm(FlaskForm):
    """A regulator confirms a declared designation (no fields: the CSRF token)."""
