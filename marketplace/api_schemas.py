"""Response schemas of the public API (documentation and serialisation of what presenters build)."""

import marshmallow as ma

F = ma.fields


class FacetValueSchema(ma.Schema):
    key = F.String()
    label = F.String()
    count = F.Integer()


class FacetsSchema(ma.Schema):
    province = F.List(F.Nested(FacetValueSchema))
    city = F.List(F.Nested(FacetValueSchema))
    district = F.List(F.Nested(FacetValueSchema))
    care_level = F.List(F.Nested(FacetValueSchema))
    grade = F.List(F.Nested(FacetValueSchema))
    price_band = F.List(F.Nested(FacetValueSchema))
    features = F.List(F.Nested(FacetValueSchema))
    ownership = F.List(F.Nested(FacetValueSchema))


class HomeItemSchema(ma.Schema):
    id = F.Integer()
    name = F.String()
    name_en = F.String()
    display_name = F.String()
    province_code = F.String()
    city_code = F.String()
    district_code = F.String(allow_none=True)
    city = F.String()
    district = F.String()
    address = F.String()
    lat = F.Float(allow_none=True, metadata={"description": "WGS-84"})
    lon = F.Float(allow_none=True, metadata={"description": "WGS-84"})
    location_approximate = F.Boolean(metadata={"description": "the pin is a district or city centre"})
    grade = F.Integer(allow_none=True, metadata={"description": "GB/T 37276-2018 stars in force today, null if not "
                                                               "graded or the grade expired"})
    grade_expired = F.Boolean(metadata={"description": "the home's last grade expired (see last_grade)"})
    last_grade = F.Integer(allow_none=True, metadata={"description": "the expired grade, null unless grade_expired"})
    ownership = F.String(allow_none=True)
    beds_free = F.Integer(allow_none=True,
                          metadata={"description": "for the chosen care level, else in total; null: not reported"})
    monthly_price_fen = F.Integer(allow_none=True,
                                  metadata={"description": "bed + care + meals, fen/month, chosen level else lowest"})
    care_level = F.String(allow_none=True)
    care_levels = F.List(F.String())
    features = F.List(F.String())
    rating = F.Float(allow_none=True)
    review_count = F.Integer()
    quality_stars = F.Integer(allow_none=True, metadata={"description": "1-5 quality rating, null: not enough data"})
    quality_warning = F.Boolean(metadata={"description": "a serious sanction in the last 12 months"})
    vacancy_confirmed_at = F.String(allow_none=True, metadata={
        "description": "when the free beds were confirmed: of the chosen care_level, else the oldest among the "
                       "levels the home offers"})
    vacancy_stale = F.Boolean(metadata={"description": "that confirmation is older than 14 days (or missing)"})
    distance_km = F.Float(metadata={"description": "only when near= is given"})
    is_demo = F.Boolean(metadata={"description": "generated demo data, not a real home"})


class UnderstandingSchema(ma.Schema):
    recognised = F.List(F.String(), metadata={"description": "the places and care words read from q"})
    dropped = F.List(F.String(), metadata={"description": "words of q that match no home and were left out"})
    suggestions = F.List(F.String(), metadata={"description": "known names close to a q that matched nothing"})
    notice = F.String(allow_none=True, metadata={"description": "what to tell the family, in the locale"})


class SearchResponseSchema(ma.Schema):
    total = F.Integer()
    unpriced_excluded = F.Integer(metadata={"description": "homes without published fees that the price filter "
                                                           "or sort left out"})
    page = F.Integer()
    per_page = F.Integer()
    pages = F.Integer()
    next_cursor = F.String(allow_none=True, metadata={
        "description": "pass as cursor= (with the same parameters) for the next page; null on the last page"})
    items = F.List(F.Nested(HomeItemSchema))
    facets = F.Nested(FacetsSchema)
    understanding = F.Nested(UnderstandingSchema)


class ExtraFeeSchema(ma.Schema):
    kind = F.String(metadata={"description": "extra_single_room, extra_incontinence, extra_rehab, "
                                             "extra_special_diet or extra_laundry"})
    label = F.String()
    amount_fen = F.Integer(metadata={"description": "integer fen a month"})


class HomePrepaymentSchema(ma.Schema):
    months = F.Integer(allow_none=True, metadata={"description": "months of fees the home requires paid in "
                                                                 "advance; null when not stated"})
    limit_months = F.Integer(metadata={"description": "the 2024 national limit (12)"})
    over_limit = F.Boolean()


class FeeRowSchema(ma.Schema):
    care_level = F.String()
    care_level_label = F.String()
    national_levels = F.List(F.Integer(), metadata={"description": "GB/T 42195-2022 ability levels"})
    national_level_labels = F.List(F.String())
    bed_fen = F.Integer(allow_none=True)
    care_fen = F.Integer(allow_none=True)
    meals_fen = F.Integer(allow_none=True)
    monthly_fen = F.Integer(allow_none=True)
    deposit_fen = F.Integer(allow_none=True)
    deposit_over_limit = F.Boolean()
    extras = F.List(F.Nested(ExtraFeeSchema), metadata={
        "description": "optional monthly extras a family may choose; not part of monthly_fen"})
    effective_from = F.String(allow_none=True)
    sources = F.List(F.String())
    recorded_at = F.String(allow_none=True)


class UpcomingFeeSchema(ma.Schema):
    care_level = F.String()
    care_level_label = F.String()
    kind = F.String()
    kind_label = F.String()
    amount_fen = F.Integer()
    effective_from = F.String()
    source = F.String()


class VacancySchema(ma.Schema):
    care_level = F.String()
    care_level_label = F.String()
    beds_free = F.Integer()
    confirmed_at = F.String()
    source = F.String()
    stale = F.Boolean()


class CodeLabelSchema(ma.Schema):
    code = F.String()
    label = F.String()
    present = F.Boolean()


class HomeDetailSchema(ma.Schema):
    id = F.Integer()
    name = F.String()
    name_en = F.String()
    display_name = F.String()
    licence_no = F.String(allow_none=True)
    province_code = F.String()
    city_code = F.String()
    district_code = F.String(allow_none=True)
    province = F.String()
    city = F.String()
    district = F.String()
    place = F.String(metadata={"description": "province · city · district; a municipality (上海市) once"})
    address = F.String()
    lat = F.Float(allow_none=True)
    lon = F.Float(allow_none=True)
    location_approximate = F.Boolean()
    ownership = F.String(allow_none=True)
    ownership_label = F.String(allow_none=True)
    grade = F.Integer(allow_none=True, metadata={"description": "GB/T 37276-2018 stars in force today, null if not "
                                                               "graded or the grade expired"})
    grade_valid_until = F.String(allow_none=True)
    grade_expired = F.Boolean()
    last_grade = F.Integer(allow_none=True, metadata={"description": "the expired grade, null unless grade_expired"})
    grade_source = F.String()
    beds_total = F.Integer(allow_none=True)
    beds_free = F.Integer(allow_none=True)
    location_precision = F.String(allow_none=True)
    location_verified = F.Boolean()
    former_district_name = F.String(allow_none=True)
    vacancy_confirmed_at = F.String(allow_none=True, metadata={
        "description": "the oldest confirmation among the care levels the home offers (each level's: vacancies)"})
    vacancy_stale = F.Boolean(metadata={"description": "a level the home offers was not confirmed for 14 days"})
    fees = F.List(F.Nested(FeeRowSchema))
    upcoming_fee_changes = F.List(F.Nested(UpcomingFeeSchema))
    prepayment = F.Nested(HomePrepaymentSchema)
    monthly_price_fen = F.Integer(allow_none=True)
    care_level = F.String(allow_none=True)
    vacancies = F.List(F.Nested(VacancySchema))
    features = F.List(F.Nested(CodeLabelSchema))
    services = F.List(F.Nested(CodeLabelSchema))
    included = F.List(F.Nested(CodeLabelSchema))
    contact = F.Dict()
    description = F.String()
    rating = F.Float(allow_none=True)
    review_count = F.Integer()
    quality_stars = F.Integer(allow_none=True, metadata={"description": "1-5 quality rating, null: not enough data"})
    quality_warning = F.Boolean(metadata={"description": "a serious sanction in the last 12 months"})
    distance_km = F.Float(allow_none=True)
    source = F.String()
    updated_at = F.String(allow_none=True)
    is_demo = F.Boolean()


class CompareColumnSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    id = F.Integer()
    name = F.String()
    city = F.String()
    district = F.String()
    care_level = F.String(allow_none=True)
    accepts_care_level = F.Boolean()
    monthly_price_fen = F.Integer(allow_none=True)
    deposit_fen = F.Integer(allow_none=True)
    grade = F.Integer(allow_none=True, metadata={"description": "the grade in force today, null if none or expired"})
    grade_expired = F.Boolean()
    last_grade = F.Integer(allow_none=True)
    beds_free = F.Integer()
    vacancy_stale = F.Boolean()
    distance_km = F.Float(allow_none=True)
    rating = F.Float(allow_none=True)
    quality_stars = F.Integer(allow_none=True, metadata={"description": "1-5 quality rating, null: not enough data"})
    quality_warning = F.Boolean(metadata={"description": "a serious sanction in the last 12 months"})
    ownership = F.String(allow_none=True)
    is_demo = F.Boolean()
    lat = F.Float(allow_none=True)
    lon = F.Float(allow_none=True)
    medical_insurance = F.Boolean()
    ltci = F.Boolean()
    cross_province_settlement = F.Boolean()
    integrated_medical = F.Boolean()
    dementia_unit = F.Boolean()


class CompareSchema(ma.Schema):
    care_level = F.String(allow_none=True)
    from_city = F.String(allow_none=True)
    homes = F.List(F.Nested(CompareColumnSchema))
    differing_rows = F.List(F.String())


class RegionSchema(ma.Schema):
    code = F.String()
    name = F.String()
    pinyin = F.String()
    lat = F.Float(allow_none=True)
    lon = F.Float(allow_none=True)
    district_type = F.String(allow_none=True)


class CityRegionSchema(RegionSchema):
    districts = F.List(F.Nested(RegionSchema))


class ProvinceRegionSchema(RegionSchema):
    cities = F.List(F.Nested(CityRegionSchema))


class RegionsSchema(ma.Schema):
    provinces = F.List(F.Nested(ProvinceRegionSchema))
