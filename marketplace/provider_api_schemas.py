"""Request and response schemas of the provider API (for operators' management systems, not the public)."""


import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from core import time
from core.errors import ErrorBody
from marketplace.api_schemas import FeeRowSchema, HomePrepaymentSchema, UpcomingFeeSchema, VacancySchema
from marketplace.services import MAX_BEDS, MAX_EXTRA_FEN, MAX_FEE_FEN, MAX_PREPAYMENT_MONTHS
from marketplace.vocab import CARE_LEVELS, EXTRA_KINDS, FEE_KINDS

F = ma.fields
MAX_FEE_ITEMS = 200


def today():
    """Return today's date as the fee services see it (the default and the earliest effective date)."""
    return time.today()


class WholeNumber(F.Integer):
    """An integer that must be a JSON integer: no "3", no 3.5, no true."""

    default_error_messages = {"invalid": _l("Must be a whole number.")}

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._validated(value)


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class IdempotencyHeaders(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = F.String(data_key="Idempotency-Key", validate=validate.Length(1, 100), metadata={
        "description": "Optional. The same key with the same body within 24 hours returns the stored response "
                       "without applying the change again; with a different body it is refused with 409 "
                       "(idempotency_key_reused). Keys are per API client."})


class FeeItemIn(_Strict):
    care_level = F.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    kind = F.String(required=True, validate=validate.OneOf(FEE_KINDS), metadata={
        "description": "bed, care, meals (monthly), deposit (one-off; at most 12 x the monthly bed fee), or an "
                       "optional monthly extra a family may choose: " + ", ".join(EXTRA_KINDS) + " (extras are "
                       "not part of the all-in monthly price)"})
    amount_fen = WholeNumber(required=True, validate=validate.Range(0, MAX_FEE_FEN), metadata={
        "description": f"integer fen (1 yuan = 100 fen); monthly for bed, care, meals and extras; an extra at "
                       f"most {MAX_EXTRA_FEN}"})
    effective_from = F.Date(load_default=today, metadata={
        "description": "ISO date from which the amount applies; today by default, never in the past"})

    @ma.validates("effective_from")
    def _not_past(self, value, **_kwargs):
        if value < today():
            raise ma.ValidationError(_l("A price change cannot take effect in the past."))

    @ma.validates_schema
    def _extra_within_bounds(self, data, **_kwargs):
        if data.get("kind") in EXTRA_KINDS and data.get("amount_fen", 0) > MAX_EXTRA_FEN:
            raise ma.ValidationError({"amount_fen": [_l("An optional extra is at most %(max)s fen a month.",
                                                        max=MAX_EXTRA_FEN)]})


class FeesIn(_Strict):
    items = F.List(F.Nested(FeeItemIn), load_default=list, validate=validate.Length(0, MAX_FEE_ITEMS), metadata={
        "description": "Fee items. The natural key is (care_level, kind, effective_from): sending the same item "
                       "again changes nothing, sending another amount for the same key replaces it. Required "
                       "(at least one) unless prepayment_months is sent."})
    prepayment_months = WholeNumber(allow_none=True, validate=validate.Range(0, MAX_PREPAYMENT_MONTHS), metadata={
        "description": "months of fees the home requires paid in advance (预收费); null: not stated; left as it "
                       "is when absent. More than 12 (the 2024 national limit) is recorded and flagged."})

    @ma.validates_schema
    def _something_to_set(self, data, **_kwargs):
        if not data.get("items") and "prepayment_months" not in data:
            raise ma.ValidationError({"items": [_l("Send at least one fee item, or prepayment_months.")]})

    @ma.validates_schema
    def _one_item_per_key(self, data, **_kwargs):
        seen, errors = {}, {}
        for i, item in enumerate(data.get("items") or []):
            key = (item["care_level"], item["kind"], item["effective_from"])
            if key in seen:
                errors[i] = {"effective_from": [_l("Item %(n)s already sets this care level, kind and date.",
                                                   n=seen[key])]}
            seen.setdefault(key, i)
        if errors:
            raise ma.ValidationError({"items": errors})


class VacanciesIn(_Strict):
    free_beds = F.Dict(keys=F.String(validate=validate.OneOf(CARE_LEVELS)),
                       values=WholeNumber(validate=validate.Range(0, MAX_BEDS)), required=True,
                       validate=validate.Length(min=1), metadata={
                           "description": "free beds per care level, e.g. {\"full\": 3, \"dementia\": 0}; "
                                          "the same numbers re-confirm them"})


MAX_BULK_HOMES = 200  # homes per bulk call: an operator with more sends several calls


def _one_entry_per_home(data):
    """Raise a ValidationError naming each entry whose home_id an earlier entry already has."""
    seen, errors = {}, {}
    for i, entry in enumerate(data.get("homes") or []):
        if entry["home_id"] in seen:
            errors[i] = {"home_id": [_l("Entry %(n)s already updates this home.", n=seen[entry["home_id"]])]}
        seen.setdefault(entry["home_id"], i)
    if errors:
        raise ma.ValidationError({"homes": errors})


class HomeFeesIn(FeesIn):
    home_id = WholeNumber(required=True, validate=validate.Range(1), metadata={"description": "one of your homes"})


class BulkFeesIn(_Strict):
    homes = F.List(F.Nested(HomeFeesIn), required=True, validate=validate.Length(1, MAX_BULK_HOMES), metadata={
        "description": "one entry per home, each as the body of PUT /homes/{home_id}/fees plus its home_id"})

    @ma.validates_schema
    def _one_entry_per_home(self, data, **_kwargs):
        _one_entry_per_home(data)


class HomeVacanciesIn(VacanciesIn):
    home_id = WholeNumber(required=True, validate=validate.Range(1), metadata={"description": "one of your homes"})


class BulkVacanciesIn(_Strict):
    homes = F.List(F.Nested(HomeVacanciesIn), required=True, validate=validate.Length(1, MAX_BULK_HOMES),
                   metadata={"description": "one entry per home, each as the body of PUT /homes/{home_id}/vacancies "
                                            "plus its home_id"})

    @ma.validates_schema
    def _one_entry_per_home(self, data, **_kwargs):
        _one_entry_per_home(data)


class FeesOut(ma.Schema):
    home_id = F.Integer()
    changes = F.Dict(metadata={"description": "what this request changed: {level.kind@date: [old, new]}; "
                                              "empty when it changed nothing"})
    fees = F.List(F.Nested(FeeRowSchema), metadata={"description": "the fee table in effect today"})
    upcoming_fee_changes = F.List(F.Nested(UpcomingFeeSchema))
    prepayment = F.Nested(HomePrepaymentSchema)


class VacanciesOut(ma.Schema):
    home_id = F.Integer()
    changes = F.Dict()
    beds_free = F.Integer()
    vacancy_confirmed_at = F.String(allow_none=True)
    vacancies = F.List(F.Nested(VacancySchema))


def _bulk_out(name, result_schema):
    """Return the response schema of a bulk update whose per-home results are RESULT_SCHEMA."""
    outcome = ma.Schema.from_dict({
        "home_id": F.Integer(),
        "status": F.Integer(metadata={"description": "the status this home's update has on its own: 200 applied; "
                                                     "400, 403, 404 refused (nothing of this home changed)"}),
        "result": F.Nested(result_schema, allow_none=True, metadata={"description": "when applied: what the "
                                                                                   "single-home endpoint returns"}),
        "error": F.Nested(ErrorBody, allow_none=True, metadata={"description": "when refused: the one error "
                                                                              "shape's error object"}),
    }, name=f"{name}Outcome")
    return ma.Schema.from_dict({
        "succeeded": F.Integer(), "failed": F.Integer(),
        "results": F.List(F.Nested(outcome), metadata={"description": "one per entry, in the order sent"}),
    }, name=name)


BulkFeesOut = _bulk_out("BulkFeesOut", FeesOut)
BulkVacanciesOut = _bulk_out("BulkVacanciesOut", VacanciesOut)


class ProviderHomeSchema(ma.Schema):
    id = F.Integer()
    name = F.String()
    name_en = F.String()
    licence_no = F.String(allow_none=True, metadata={"description": "养老机构备案号 (filing number)"})


class ProviderHomesOut(ma.Schema):
    items = F.List(F.Nested(ProviderHomeSchema))


try:  # the inquiries package is another engineer's; the API degrades to an empty list without it
    from inquiries.models import STATUSES as INQUIRY_STATUSES
except ImportError:
    INQUIRY_STATUSES = ()


class InquiryArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = F.String(validate=validate.OneOf(INQUIRY_STATUSES) if INQUIRY_STATUSES else validate.Length(1, 20),
                      metadata={"description": "only inquiries with this status"})


class InquiryMessageSchema(ma.Schema):
    author_role = F.String(metadata={"description": "family or provider"})
    body = F.String()
    created_at = F.String()


class ProviderInquirySchema(ma.Schema):
    id = F.Integer()
    reference = F.String(metadata={"description": "what the family quotes, e.g. YRD-2026-7F3K9Q"})
    home_id = F.Integer()
    kind = F.String(metadata={"description": "inquiry or visit"})
    status = F.String()
    awaiting_provider = F.Boolean(metadata={"description": "the family's latest message waits for an answer"})
    visit_date = F.String(allow_none=True)
    time_slot = F.String(allow_none=True)
    care_level = F.String(allow_none=True)
    contact = F.Dict(metadata={"description": "name, phone, email: the family agreed that the home contacts them"})
    messages = F.List(F.Nested(InquiryMessageSchema))
    created_at = F.String()
    updated_at = F.String()


class ProviderInquiriesOut(ma.Schema):
    items = F.List(F.Nested(ProviderInquirySchema))
    available = F.Boolean(metadata={"description": "false while inquiries are not yet offered"})
