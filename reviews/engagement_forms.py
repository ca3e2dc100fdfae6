"""Forms for verification codes, replies, reports, helpful votes and the regulator's decisions on them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from reviews.engagement import CODES_PER_REQUEST_MAX
from reviews.engagement_models import (
    CODE_RELATIONSHIPS,
    REPLY_MAX,
    REPLY_REJECT_REASONS,
    REPORT_REASONS,
    REPORT_TEXT_MAX,
    STATEMENT_MAX,
)

RELATIONSHIP_LABELS = {"resident": _l("Resident"), "family": _l("Family member of a resident"),
                       "visitor": _l("Visitor on a tour")}  # visitor: only ever stated, never confirmed
REPORT_REASON_LABELS = {
    "false_information": _l("False or misleading information"),
    "personal_data": _l("Reveals personal data"),
    "abusive_language": _l("Abusive or offensive language"),
    "advertising": _l("Advertising or links"),
    "conflict_of_interest": _l("Written by someone with a conflict of interest"),
    "not_first_hand": _l("Not a first-hand experience"),
    "other": _l("Something else (say what)"),
}
REPLY_REASON_LABELS = {
    "meets_guidelines": _l("Meets the guidelines"),
    "personal_data": _l("Reveals personal data"),
    "abusive_language": _l("Abusive or offensive language"),
    "advertising": _l("Advertising or links"),
    "off_topic": _l("Does not answer the review"),
    "reveals_reviewer": _l("Identifies the reviewer"),
    "other": _l("Other reason (see the statement)"),
}
REPLY_STATUS_LABELS = {"pending": _l("Awaiting moderation"), "published": _l("Published"),
                       "rejected": _l("Rejected")}
REPORT_STATUS_LABELS = {"open": _l("Open"), "upheld": _l("Upheld"), "dismissed": _l("Dismissed")}
CODE_STATE_LABELS = {"unused": _l("Not used yet"), "used": _l("Used"), "revoked": _l("Withdrawn"),
                     "expired": _l("Expired")}
_MAX = _l("At most %(max)d characters.")


class IssueCodesForm(FlaskForm):
    """Issue one-time verification codes for a home."""

    relationship = RadioField(_l("The code confirms the holder as"),
                              choices=[SelectChoice(r, RELATIONSHIP_LABELS[r]) for r in CODE_RELATIONSHIPS],
                              validators=[InputRequired(message=_l("Choose resident or family member."))])
    count = IntegerField(_l("How many codes"), default=1, validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(1, CODES_PER_REQUEST_MAX, message=_l("Issue 1 to %(max)s codes at a time."))])


class ConfirmForm(FlaskForm):
    """A button that needs nothing but the CSRF token (revoke a code, mark helpful)."""


class CodeForm(FlaskForm):
    """The code a family member got from the home, entered on their review."""

    verification_code = StringField(_l("Verification code"), validators=[
        DataRequired(message=_l("Enter the code the home gave you.")), Length(max=40, message=_MAX)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class ReplyForm(FlaskForm):
    """The home's one public reply to a review."""

    text = TextAreaField(_l("Your public reply"), validators=[
        DataRequired(message=_l("Write a reply.")), Length(max=REPLY_MAX, message=_MAX)],
        render_kw={"rows": 5, "maxlength": REPLY_MAX})


class ReportForm(FlaskForm):
    """Report a review to the regulator."""

    reason = SelectField(_l("What is wrong with this review?"),
                         choices=[SelectChoice("", _l("Choose a reason"))]
                         + [SelectChoice(r, REPORT_REASON_LABELS[r]) for r in REPORT_REASONS],
                         validators=[DataRequired(message=_l("Choose a reason."))])
    text = TextAreaField(_l("Details (optional unless you chose something else)"), validators=[
        Optional(), Length(max=REPORT_TEXT_MAX, message=_MAX)], render_kw={"rows": 3, "maxlength": REPORT_TEXT_MAX})


class ReplyDecisionForm(FlaskForm):
    """A regulator publishes or rejects a reply, with a reason and a statement the home sees."""

    decision = RadioField(_l("Decision"),
                          choices=[SelectChoice("publish", _l("Publish")), SelectChoice("reject", _l("Reject"))],
                          validators=[InputRequired(message=_l("Choose publish or reject."))])
    reason_code = SelectField(_l("Reason (when rejecting)"),
                              choices=[SelectChoice("", _l("Choose a reason"))]
                              + [SelectChoice(r, REPLY_REASON_LABELS[r]) for r in REPLY_REJECT_REASONS],
                              validators=[Optional()])
    statement = TextAreaField(_l("Statement to the home"), validators=[
        Optional(), Length(max=STATEMENT_MAX, message=_MAX)], render_kw={"rows": 2, "maxlength": STATEMENT_MAX})


class ReportResolutionForm(FlaskForm):
    """A regulator upholds or dismisses a report, with a note."""

    decision = RadioField(_l("Decision"), choices=[SelectChoice("uphold", _l("Uphold: the review breaks the rules")),
                                   SelectChoice("dismiss", _l("Dismiss: the review may stay"))],
                          validators=[InputRequired(message=_l("Choose uphold or dismiss."))])
    note = TextAreaField(_l("Note"), validators=[
        DataRequired(message=_l("Write a statement; the people concerned will see it.")),
        Length(max=STATEMENT_MAX, message=_MAX)], render_kw={"rows": 2, "maxlength": STATEMENT_MAX})


class VerifyReviewForm(FlaskForm):
    """A regulator marks a review as first-hand."""

    relationship = RadioField(_l("The reviewer is confirmed as"),
                              choices=[SelectChoice(r, RELATIONSHIP_LABELS[r]) for r in CODE_RELATIONSHIPS],
                              validators=[InputRequired(message=_l("Choose resident or family member."))])
    statement = TextAreaField(_l("How this was confirmed"), validators=[
        DataRequired(message=_l("Write a statement; the people concerned will see it.")),
        Length(max=STATEMENT_MAX, message=_MAX)], render_kw={"rows": 2, "maxlength": STATEMENT_MAX})
