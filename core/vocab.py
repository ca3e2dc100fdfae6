"""The domain's shared codes: care levels, features and ownerships. Stable API values, owned by the domain;
search, marketplace and every other package read them from here (labels live in marketplace/vocab.py)."""

CARE_LEVELS = ("self_care", "partial", "full", "dementia")
FEATURES = ("medical_insurance", "ltci", "cross_province_settlement", "integrated_medical", "dementia_unit")
OWNERSHIPS = ("private", "public", "public_private")
