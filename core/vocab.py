"""The domain's shared codes: care levels, features and ownerships. Stable API values, owned by the domain;
search, marketplace and every other package read them from here (labels live in marketplace/vocab.py)."""

CARE_LEVELS = ("self_care", "partial", "full", "dementia")
FEATURES = ("medical_insurance", "ltci", "cross_province_settlement", "integrated_medical", "dementia_unit")
OWNERSHIPS = ("private", "public", "public_private")
# how often a saved search's new matches are sent: each match at once, or a digest (08:00 business time)
SAVED_SEARCH_FREQUENCIES = ("immediately", "daily", "weekly")
