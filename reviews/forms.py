"""Forms for reviews: write one, appeal a decision, moderate (one review or several), decide an appeal. CSRF on all."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from reviews.models import RELATIONSHIPS, SUB_SCORES
from reviews.services import DECISIONS, GROUNDS_MAX, REASON_CODES, STATEMENT_MAX, TEXT_MAX, TEXT_MIN

SUB_SCORE_LABELS = {
    "care": _l("Quality of care"), "staff": _l("Staff"), "medical": _l("Medical support"), "food": _l("Food"),
    "cleanliness": _l("Cleanliness and rooms"), "activities": _l("Activities"), "management": _l("Management"),
    "value": _l("Value for money"),
}
RELATIONSHIP_LABELS = {"resident": _l("Resident"), "family": _l("Family of a resident"),
                       "visitor": _l("Visitor on a tour")}
STATUS_LABELS = {
    "submitted": _l("Submitted"), "screening": _l("Being screened"), "pending": _l("Waiting for moderation"),
    "published": _l("Published"), "folded": _l("Folded"), "rejected": _l("Rejected"),
    "appealed": _l("Appeal under review"),
}
ACTION_LABELS = {
    "submit": _l("Submitted"), "screen": _l("Screening"), "queue": _l("Queued for moderation"),
    "supersede": _l("Superseded by a newer review"), "publish": _l("Published"), "fold": _l("Folded"),
    "reject": _l("Rejected"), "appeal": _l("Appealed"), "appeal_publish": _l("Appeal: published"),
    "appeal_fold": _l("Appeal: folded"), "appeal_reject": _l("Appeal: rejected"),
}
DECISION_LABELS = {"publish": _l("Publish"), "fold": _l("Fold"), "reject": _l("Reject")}
REASON_LABELS = {
    "meets_guidelines": _l("Meets the review guidelines"),
    "personal_data": _l("Contains personal data"),
    "abusive_language": _l("Abusive language"),
    "advertising": _l("Advertising or links"),
    "duplicate": _l("Duplicate of another review"),
    "suspected_fake": _l("Suspected fake or coordinated review"),
    "conflict_of_interest": _l("Conflict of interest"),
    "not_first_hand": _l("Not a first-hand experience"),
    "off_topic": _l("Not about this home"),
    "unsubstantiated": _l("Serious allegation without basis; report it to the authorities"),
    "other": _l("Other (see the statement)"),
}
SIGNAL_LABELS = {  # the codes reviews.screening records; an unknown code is shown as it is
    "personal_data": _l("Personal data"), "abusive_language": _l("Abusive language"),
    "link_or_ad": _l("Links or advertising"), "duplicate_text": _l("Duplicate or near-duplicate text"),
    "burst_home": _l("Burst of reviews for the home"), "burst_source": _l("Many reviews from one address or device"),
    "conflict_of_interest": _l("Conflict of interest"),
}
SCORE_CHOICES = [SelectChoice(str(n), str(n)) for n in range(1, 6)]
_SCORE_MESSAGE = _l("Give a score from 1 to 5.")


def _score_field(label):
    return RadioField(label, choices=SCORE_CHOICES, coerce=int, validators=[
        InputRequired(message=_SCORE_MESSAGE), AnyOf(range(1, 6), message=_SCORE_MESSAGE)])


def _reason_choices():
    return [SelectChoice("", _l("Choose a reason"))] + [SelectChoice(c, REASON_LABELS[c]) for c in REASON_CODES]


class ReviewForm(FlaskForm):
    """A family's review of a home: relationship, period, overall and sub-scores, text."""

    relationship = RadioField(_l("How do you know the home?"),
                              choices=[SelectChoice(r, RELATIONSHIP_LABELS[r]) for r in RELATIONSHIPS],
                              validators=[InputRequired(message=_l("Choose how you know the home."))])
    period_start = DateField(_l("From"), validators=[InputRequired(message=_l("Give a date."))])
    period_end = DateField(_l("To (today if it is still going on)"),
                           validators=[InputRequired(message=_l("Give a date."))])
    overall = _score_field(_l("Overall"))
    care = _score_field(SUB_SCORE_LABELS["care"])
    staff = _score_field(SUB_SCORE_LABELS["staff"])
    medical = _score_field(SUB_SCORE_LABELS["medical"])
    food = _score_field(SUB_SCORE_LABELS["food"])
    cleanliness = _score_field(SUB_SCORE_LABELS["cleanliness"])
    activities = _score_field(SUB_SCORE_LABELS["activities"])
    management = _score_field(SUB_SCORE_LABELS["management"])
    value = _score_field(SUB_SCORE_LABELS["value"])
    text = TextAreaField(_l("Your review"), validators=[
        DataRequired(message=_l("Write your review.")),
        Length(min=TEXT_MIN, max=TEXT_MAX, message=_l("Write between %(min)d and %(max)d characters."))],
        render_kw={"rows": 8, "maxlength": TEXT_MAX})
    photos = MultipleFileField(_l("Photos (optional)"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True})

    def service_values(self):
        """Return the keyword arguments for services.submit_review."""
        return {"relationship": self.relationship.data, "period_start": self.period_start.data,
                "period_end": self.period_end.data, "overall": self.overall.data,
                "sub_scores": {name: getattr(self, name).data for name in SUB_SCORES},
                "text": (self.text.data or "").strip()}


class AppealForm(FlaskForm):
    """The author's appeal against a fold or a reject."""

    grounds = TextAreaField(_l("Why should the decision change?"), validators=[
        DataRequired(message=_l("Write why the decision should change.")),
        Length(max=GROUNDS_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 5, "maxlength": GROUNDS_MAX})


class DecisionForm(FlaskForm):
    """A regulator's decision on one review, or on several (review_ids) in the queue."""

    action = RadioField(_l("Decision"), choices=[SelectChoice(a, DECISION_LABELS[a]) for a in DECISIONS],
                        validators=[InputRequired(message=_l("Choose publish, fold or reject."))])
    reason_code = SelectField(_l("Reason"), choices=_reason_choices(), validators=[Optional()],
                              validate_choice=False)
    statement = TextAreaField(_l("Statement to the author"), validators=[
        Optional(), Length(max=STATEMENT_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 3, "maxlength": STATEMENT_MAX})

    def reason(self):
        """Return the chosen reason; publishing needs none (it meets the guidelines)."""
        if self.action.data == "publish" and not self.reason_code.data:
            return "meets_guidelines"
        return self.reason_code.data or None
