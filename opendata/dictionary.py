"""The open-data dictionary: every column of every file, with its type, unit and meaning. Versioned."""

from flask_babel import lazy_gettext as _l

DATASET_VERSION = "1.2"  # bump the major part when a column changes meaning or disappears (1.1: extra_* kinds;
# 1.2: the policy facts file)
LICENCE = "CC BY 4.0"
CARE_LEVEL_COLUMNS = ("self_care", "partial", "full", "dementia")

HOME_FIELDS = (
    ("id", "integer", _l("The home's id on this site (stable).")),
    ("licence_no", "string", _l("Filing number of the care home (养老机构备案号), if known.")),
    ("name", "string", _l("Name in Chinese.")),
    ("name_en", "string", _l("Name in English, if given.")),
    ("province_code", "string", _l("GB/T 2260 code of the province.")),
    ("city_code", "string", _l("GB/T 2260 code of the city.")),
    ("district_code", "string", _l("GB/T 2260 code of the district or county.")),
    ("address", "string", _l("Street address in Chinese.")),
    ("lat", "number", _l("Latitude, WGS-84 degrees.")),
    ("lon", "number", _l("Longitude, WGS-84 degrees.")),
    ("location_approximate", "boolean", _l("True when the point is approximate (e.g. the district centre).")),
    ("ownership", "string", _l("private, public or public_private.")),
    ("grade", "integer", _l("GB/T 37276-2018 grade 1-5; empty if not graded.")),
    ("grade_valid_until", "date", _l("Date the grade certificate expires (ISO 8601).")),
    ("beds_total", "integer", _l("Beds in total.")),
    ("beds_free", "integer", _l("Free beds over all care levels, as last confirmed.")),
    ("vacancy_confirmed_at", "datetime",
     _l("When free beds were last confirmed (the oldest among the care levels the home offers, UTC).")),
    ("medical_insurance", "boolean", _l("Medical-insurance designated clinic.")),
    ("ltci", "boolean", _l("Designated for long-term-care insurance.")),
    ("cross_province_settlement", "boolean", _l("Cross-province direct medical settlement at the home's clinic.")),
    ("integrated_medical", "boolean", _l("Integrated medical and elderly care.")),
    ("dementia_unit", "boolean", _l("Has a dementia unit.")),
    ("review_score", "number", _l("Families' review score 1-5 (Bayesian average); empty without reviews.")),
    ("review_count", "integer", _l("Published reviews.")),
    ("quality_stars", "integer", _l("Quality rating 1-5; empty when there is not enough data.")),
    *((f"price_{level}_fen", "integer", _l("All-in monthly price (bed + care + meals) in fen for this care level "
                                          "today; empty if the home does not offer it."))
      for level in CARE_LEVEL_COLUMNS),
    ("is_demo", "boolean", _l("Generated demonstration data, not a real home.")),
    ("source", "string", _l("Where the listing came from.")),
    ("updated_at", "datetime", _l("When the listing last changed (UTC).")),
)

PRICE_FIELDS = (
    ("home_id", "integer", _l("The home's id (homes file).")),
    ("care_level", "string", _l("self_care, partial, full or dementia.")),
    ("kind", "string", _l("bed, care, meals (monthly; their sum is the all-in price), deposit (one-off), or an "
                          "optional monthly extra: extra_single_room, extra_incontinence, extra_rehab, "
                          "extra_special_diet, extra_laundry (not part of the all-in price).")),
    ("amount_fen", "integer", _l("Amount in fen (1 yuan = 100 fen).")),
    ("effective_from", "date", _l("Date from which the fee applies; later dates are announced changes.")),
    ("source", "string", _l("Where the fee came from.")),
)

FACT_FIELDS = (
    ("facts_version", "integer", _l("The policy facts version these rows belong to (the current one).")),
    ("code", "string", _l("The fact's stable code: key/insuring place/home place/grade[/start date].")),
    ("key", "string", _l("What the fact is about, e.g. ltci.daily_standard_fen.")),
    ("value", "json", _l("The value, as JSON (fen, months, minutes, per cent, true/false, a list of grades).")),
    ("origin_region", "string", _l("GB/T 2260 code of the insuring place (travel: the family's city); empty: any.")),
    ("home_region", "string", _l("GB/T 2260 code of the home's place; empty: any.")),
    ("grade", "string", _l("Assessment grade the fact is for; empty: any.")),
    ("effective_from", "date", _l("First day the fact holds; empty: not known or always.")),
    ("effective_to", "date", _l("Last day the fact holds; empty: still in force.")),
    ("doc_title", "string", _l("The document (or the secondary source) the fact rests on.")),
    ("doc_number", "string", _l("The document's number, where verified.")),
    ("doc_issuer", "string", _l("The issuing body.")),
    ("doc_date", "string", _l("The document's date, ISO, to the year or month where only that is known.")),
    ("doc_url", "string", _l("A link to the document itself; empty: not yet recorded.")),
    ("quote", "string", _l("The supporting sentence, quoted from the document.")),
    ("verified_on", "date", _l("When the fact was last checked against its source.")),
    ("verified_by", "string", _l("Who checked it.")),
    ("status", "string", _l("verified, secondary (a secondary source) or unverified (to be confirmed).")),
    ("reason", "string", _l("Why it is not verified, or what is still missing.")),
    ("note", "string", _l("What the fact says, in plain words.")),
)

FILES = {"homes": HOME_FIELDS, "prices": PRICE_FIELDS, "facts": FACT_FIELDS}


def dictionary():
    """Return the data dictionary as plain data: version, licence and the fields of each file."""
    return {"version": DATASET_VERSION, "licence": LICENCE,
            "files": {name: [{"name": n, "type": t, "description": str(d)} for n, t, d in fields]
                      for name, fields in FILES.items()}}
