"""marshmallow schemas at the edges of the reviews API: query arguments and the public review shape."""

import marshmallow as ma
from marshmallow import validate

from core.personal import mask_phone
from reviews.models import RELATIONSHIPS, SUB_SCORES


class PhoneMaskedString(ma.fields.String):
    """Text as other people see it: phone numbers in it masked (138****5678)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(mask_phone(value), attr, obj, **kwargs)


class ReviewListArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    folded = ma.fields.Boolean(load_default=False, metadata={"description": "include folded reviews"})
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PublicReviewSchema(ma.Schema):
    """A review as anyone may see it: no author, address or device, no screening signals."""

    id = ma.fields.Integer()
    home_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "published, or folded (not counted in the score)"})
    relationship = ma.fields.String(validate=validate.OneOf(RELATIONSHIPS))
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    overall = ma.fields.Integer()
    sub_scores = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(SUB_SCORES)),
                                values=ma.fields.Integer())
    text = PhoneMaskedString(metadata={"description": "the review's text; phone numbers in it masked"})
    language = ma.fields.String()
    verified = ma.fields.Boolean()
    is_demo = ma.fields.Boolean()
    published_at = ma.fields.DateTime()


class ReviewListSchema(ma.Schema):
    home_id = ma.fields.Integer()
    score = ma.fields.Float(allow_none=True, metadata={"description": "the home's review score, 1 to 5"})
    review_count = ma.fields.Integer(metadata={"description": "reviews counted in the score"})
    total = ma.fields.Integer(metadata={"description": "reviews matching the query"})
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(PublicReviewSchema))


class ReviewCreateSchema(ma.Schema):
    """A family's new review (the service checks the rules: period, 12 months, scores, text length)."""

    class Meta:
        unknown = ma.RAISE

    relationship = ma.fields.String(required=True, validate=validate.OneOf(RELATIONSHIPS))
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    overall = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    sub_scores = ma.fields.Dict(required=True, keys=ma.fields.String(validate=validate.OneOf(SUB_SCORES)),
                                values=ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=5)))
    text = ma.fields.String(required=True)


class AuthorReviewSchema(PublicReviewSchema):
    """A review as its author sees it: with its moderation status and the latest decision's reason."""

    text = ma.fields.String()  # the author's own words, whole
    superseded = ma.fields.Boolean()
    reason_code = ma.fields.String(allow_none=True)
    decision_statement = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
