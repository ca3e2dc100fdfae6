"""marshmallow at the edges of costs/: query arguments in, estimates and region figures out."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from core.vocab import CARE_LEVELS
from costs.estimator import EXTRA_KINDS, NATIONAL_LEVELS, SHANGHAI_GRADES
from costs.location import place_region

F = ma.fields
MAX_PREPAY_MONTHS = 120
MAX_BUDGET_YUAN = 1_000_000


def _place(code):
    if place_region(code) is None:
        raise ma.ValidationError(str(_l("Unknown city or district code %(code)s.", code=code)))


class _Extras(F.Field):
    """Chosen extras: kinds from the extras vocabulary (marketplace/vocab.py), comma-separated or repeated."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = [v.strip() for v in str(value).split(",") if v.strip()]
        bad = [v for v in items if v not in EXTRA_KINDS]
        if bad:
            raise ma.ValidationError(str(_l("Unknown extras: %(values)s.", values=", ".join(bad))))
        return tuple(dict.fromkeys(items))


class EstimateArgs(ma.Schema):
    """Arguments of a cost estimate."""

    class Meta:
        unknown = ma.EXCLUDE

    care_level = F.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    family_city = F.String(validate=_place, metadata={"description": "the family's city or district code"})
    insurance_city = F.String(validate=_place, metadata={
        "description": "where the parent is insured (city or district code); default: family_city"})
    ltci_grade = F.Integer(validate=validate.OneOf(SHANGHAI_GRADES), metadata={
        "description": "Shanghai unified needs assessment grade 1-6"})
    national_level = F.Integer(validate=validate.OneOf(NATIONAL_LEVELS), metadata={
        "description": "GB/T 42195-2022 capability level 0-4"})
    extras = _Extras(metadata={"description": "optional extras: " + ", ".join(EXTRA_KINDS)
                                              + "; comma-separated; those the home does not publish are ignored"})
    prepay_months = F.Integer(validate=validate.Range(0, MAX_PREPAY_MONTHS), metadata={
        "description": "months of fees the home asks to be paid in advance"})
    facts_version = F.Integer(validate=validate.Range(1, 10**9), metadata={
        "description": "reproduce an estimate with this policy facts version (default: the current one)"})
    on = F.Date(metadata={"description": "the date the estimate is for (ISO; default today), to reproduce one"})


class CompareRegionsArgs(ma.Schema):
    """Arguments of the compare-regions view."""

    class Meta:
        unknown = ma.EXCLUDE

    family_city = F.String(validate=_place, metadata={"description": "the family's city or district code"})
    care_level = F.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    budget_yuan = F.Integer(validate=validate.Range(0, MAX_BUDGET_YUAN), metadata={
        "description": "highest all-in monthly price in yuan"})
    max_hours = F.Float(load_default=2.0, validate=validate.Range(0.5, 12), metadata={
        "description": "estimated travel time limit in hours"})


class FamilyPlaceForm(ma.Schema):
    """The family-location form."""

    class Meta:
        unknown = ma.EXCLUDE

    place_code = F.String(required=True, validate=_place)
    next = F.String(load_default="")


# --- responses ----------------------------------------------------------------------------------------


class SourceSchema(ma.Schema):
    title = F.String()
    number = F.String(allow_none=True, metadata={"description": "the document's number, when verified"})
    issuer = F.String(allow_none=True)
    url = F.String(allow_none=True, metadata={"description": "the document itself; null: not yet recorded"})
    date = F.String(allow_none=True, metadata={"description": "ISO, to the year or month where only that is known"})
    confirmed = F.Boolean()
    status = F.String(metadata={"description": "verified | secondary | unverified"})
    reason = F.String(allow_none=True)
    reason_zh = F.String(allow_none=True)


class FactScopeSchema(ma.Schema):
    origin_region = F.String(allow_none=True, metadata={"description": "insuring place (travel: the family's)"})
    home_region = F.String(allow_none=True)
    grade = F.String(allow_none=True)


class FactSchema(ma.Schema):
    """One policy fact with its evidence."""

    code = F.String(metadata={"description": "stable across versions: key/origin/home/grade[/effective_from]"})
    key = F.String()
    value = F.Raw()
    note = F.String()
    scope = F.Nested(FactScopeSchema)
    effective_from = F.String(allow_none=True)
    effective_to = F.String(allow_none=True)
    source = F.Nested(SourceSchema)
    quote = F.String(allow_none=True, metadata={"description": "the supporting sentence, quoted"})
    verified_on = F.String(allow_none=True)
    verified_by = F.String(allow_none=True)
    status = F.String(metadata={"description": "verified | secondary | unverified"})
    status_label = F.String()
    reason = F.String(allow_none=True, metadata={"description": "why it is not verified, or what is missing"})
    reason_zh = F.String(allow_none=True)
    note_zh = F.String(allow_none=True)
    to_be_confirmed = F.Boolean(metadata={"description": "unverified: never counted in a total"})


class PendingFactSchema(ma.Schema):
    code = F.String()
    note = F.String()
    reason = F.String(allow_none=True)
    note_zh = F.String(allow_none=True)
    reason_zh = F.String(allow_none=True)


class RuleCitationSchema(ma.Schema):
    type = F.String(metadata={"description": "rules (a costs/data file) | facts (policy facts)"})
    file = F.String()
    version = F.String()
    facts_version = F.Integer(allow_none=True, metadata={"description": "facts: the version number, null for "
                                                                         "the shipped seed"})
    title = F.String()
    sources = F.List(F.Nested(SourceSchema))
    facts = F.List(F.Nested(FactSchema))
    confirmed = F.Boolean(metadata={"description": "false: rests on something to be confirmed"})
    to_be_confirmed = F.List(F.Nested(PendingFactSchema))


class FeeSourceSchema(ma.Schema):
    type = F.String(metadata={"description": "fee_item"})
    source = F.String()
    effective_from = F.String()
    recorded_at = F.String(allow_none=True)


class BillLineSchema(ma.Schema):
    kind = F.String()
    amount_fen = F.Integer()
    source = F.Nested(FeeSourceSchema)


class DepositSchema(ma.Schema):
    amount_fen = F.Integer(allow_none=True)
    limit_fen = F.Integer(allow_none=True)
    limit_months_of_bed_fee = F.Integer(allow_none=True)
    over_limit = F.Boolean()
    source = F.Nested(FeeSourceSchema, allow_none=True)
    rule = F.Nested(RuleCitationSchema)


class PrepaymentSchema(ma.Schema):
    months = F.Integer(allow_none=True, metadata={"description": "the family's prepay_months when given, else "
                                                                 "the months the home requires"})
    basis = F.String(allow_none=True, metadata={"description": "family | home | null (no prepayment known)"})
    amount_fen = F.Integer(allow_none=True, metadata={"description": "months x the monthly bill"})
    limit_months = F.Integer(allow_none=True)
    over_limit = F.Boolean()
    local_rule = F.Nested(FactSchema, allow_none=True, metadata={"description": "a stricter local rule said to "
                                                                                "exist here (to be confirmed)"})
    required_months = F.Integer(allow_none=True, metadata={"description": "months the home says it requires "
                                                                          "paid in advance (null: not stated)"})
    required_over_limit = F.Boolean(metadata={"description": "the home's requirement exceeds the 2024 limit"})
    rule = F.Nested(RuleCitationSchema)


class LtciSchema(ma.Schema):
    outcome = F.String(metadata={"description": "applies | no_insurance_city | city_no_ltci | home_not_designated"
                                                " | does_not_follow | grade_not_eligible | no_figures | no_care_fee"})
    message = F.String()
    monthly_fen = F.Integer(allow_none=True, metadata={"description": "what LTCI would pay a month"})
    counted_fen = F.Integer(allow_none=True, metadata={"description": "what of it counts in family_share_fen "
                                                                      "(0 while it rests on an unverified fact)"})
    to_be_confirmed = F.Boolean()
    follows_by = F.String(allow_none=True, metadata={"description": "same_city | follows_rule | ..."})
    insured_region = F.String(allow_none=True)
    scheme = F.String(allow_none=True)
    grade = F.Integer()
    grade_basis = F.String(metadata={"description": "given | from_national_level | assumed_from_care_level"})
    rule = F.Nested(RuleCitationSchema)


class UpcomingBillSchema(ma.Schema):
    effective_from = F.String()
    monthly_fen = F.Integer()
    change_fen = F.Integer()


class TravelSchema(ma.Schema):
    distance_km = F.Float(metadata={"description": "straight line, WGS-84 geodesic"})
    minutes = F.Integer(metadata={"description": "an estimate, not a timetable"})
    mode = F.String(metadata={"description": "road | rail"})
    is_estimate = F.Boolean()
    basis = F.String()
    fastest_train_minutes = F.Integer(allow_none=True, metadata={"description": "a corridor's fastest train, "
                                                                                "when a fact gives it"})
    rule = F.Nested(RuleCitationSchema)
    facts = F.Nested(RuleCitationSchema, allow_none=True)


class SettlementSchema(ma.Schema):
    scope = F.String()
    needs_registration = F.Boolean()
    registration_exempt = F.Boolean(metadata={"description": "the zone's exemption applies here"})
    home_connected = F.Boolean()
    inpatient = F.Boolean()
    outpatient = F.Boolean()
    rule = F.Nested(RuleCitationSchema)


class SubsidySchema(ma.Schema):
    code = F.String()
    text = F.String()
    text_zh = F.String()
    confirmed = F.Boolean()
    fact = F.Nested(FactSchema)


class DecisionSchema(ma.Schema):
    home_id = F.Integer()
    family_region = F.String()
    cross_province = F.Boolean()
    travel = F.Nested(TravelSchema)
    accepts_residents = F.String(metadata={"description": "yes | local_priority"})
    accepts_confirmed = F.Boolean()
    settlement = F.Nested(SettlementSchema)
    ltci_follows = F.Boolean()
    ltci_reason = F.String()
    ltci_home_designated = F.Boolean()
    ltci_pilot = F.String(allow_none=True, metadata={"description": "the unverified rule LTCI follows by"})
    ltci_rule = F.String(allow_none=True)
    ltci_confirmed = F.Boolean()
    facts_version = F.String()
    home_in_demozone = F.Boolean()
    demozone_subsidies = F.List(F.Nested(SubsidySchema))
    rules = F.List(F.Nested(RuleCitationSchema))


class DesignationSchema(ma.Schema):
    id = F.Integer()
    kind = F.String(metadata={"description": "ltci | cross_province_settlement | medical_insurance"})
    scheme_region = F.String(metadata={"description": "the insuring city whose scheme designates the home"})
    basis = F.String(metadata={"description": "imported | declared (then confirmed by a regulator)"})
    status = F.String()
    source = F.String()
    source_date = F.String(allow_none=True)


class EstimateSchema(ma.Schema):
    home_id = F.Integer()
    care_level = F.String()
    accepts_care_level = F.Boolean()
    lines = F.List(F.Nested(BillLineSchema))
    extras_available = F.List(F.String())
    extras_chosen = F.List(F.String())
    monthly_fen = F.Integer(metadata={"description": "bed + care + meals + chosen extras"})
    deposit = F.Nested(DepositSchema)
    prepayment = F.Nested(PrepaymentSchema)
    ltci = F.Nested(LtciSchema)
    family_share_fen = F.Integer(metadata={"description": "monthly_fen minus what LTCI pays on facts that are "
                                                         "verified or from a secondary source"})
    family_share_if_confirmed_fen = F.Integer(allow_none=True, metadata={
        "description": "what the family would pay if the benefits to be confirmed hold; null: none pending"})
    upcoming = F.List(F.Nested(UpcomingBillSchema))
    decision = F.Nested(DecisionSchema, allow_none=True)
    facts_version = F.Integer(allow_none=True, metadata={"description": "the policy facts version used; null: "
                                                                       "the shipped seed"})
    facts_version_label = F.String()
    on = F.String(metadata={"description": "the date the estimate is for"})
    designations = F.List(F.Nested(DesignationSchema), metadata={
        "description": "the home's confirmed designations, with their source and date"})


class FactsSchema(ma.Schema):
    version = F.Integer(allow_none=True)
    version_label = F.String()
    published_at = F.String(allow_none=True)
    facts = F.List(F.Nested(FactSchema))


class FactsArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    version = F.Integer(validate=validate.Range(1, 10**9), metadata={"description": "default: the current one"})


class PriceHistoryRowSchema(ma.Schema):
    care_level = F.String()
    effective_from = F.String()
    upcoming = F.Boolean()
    bed_fen = F.Integer(allow_none=True)
    care_fen = F.Integer(allow_none=True)
    meals_fen = F.Integer(allow_none=True)
    deposit_fen = F.Integer(allow_none=True)
    monthly_fen = F.Integer(allow_none=True)


class PriceHistorySchema(ma.Schema):
    home_id = F.Integer()
    rows = F.List(F.Nested(PriceHistoryRowSchema))


class RegionRowSchema(ma.Schema):
    city_code = F.String()
    province_code = F.String()
    travel = F.Nested(TravelSchema)
    homes = F.Integer(metadata={"description": "homes accepting the level within budget with free beds for it"})
    free_beds = F.Integer()
    median_price_fen = F.Integer(allow_none=True)
    median_rating = F.Float(allow_none=True)


class CompareRegionsSchema(ma.Schema):
    origin = F.String()
    care_level = F.String()
    budget_fen = F.Integer(allow_none=True)
    max_hours = F.Float()
    rating_basis = F.String(metadata={"description": "quality_stars or review_score"})
    cities = F.List(F.Nested(RegionRowSchema))
