"""The marketplace's vocabulary: care levels, features, ownership, fee kinds, services, with their labels.

Codes are stable API values; labels go through Flask-Babel (zh-CN first, English second).
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from core.vocab import CARE_LEVELS, FEATURES, OWNERSHIPS  # noqa: F401  (re-exported: one source of codes)

CARE_LEVEL_LABELS = {
    "self_care": _l("Self-care"),
    "partial": _l("Partly dependent"),
    "full": _l("Fully dependent"),
    "dementia": _l("Dementia care"),
}
# GB/T 42195-2022 老年人能力评估规范: ability levels 0 (intact) to 4 (complete loss).
CARE_LEVEL_NATIONAL = {
    "self_care": (0,),
    "partial": (1, 2),
    "full": (3, 4),
    "dementia": (2, 3, 4),
}
NATIONAL_LEVEL_LABELS = {
    0: _l("Level 0: ability intact"),
    1: _l("Level 1: mildly impaired"),
    2: _l("Level 2: moderately impaired"),
    3: _l("Level 3: severely impaired"),
    4: _l("Level 4: ability lost"),
}
FEATURE_LABELS = {
    "medical_insurance": _l("Medical-insurance designated clinic"),
    "ltci": _l("Long-term care insurance designated"),
    "cross_province_settlement": _l("Cross-province direct medical settlement"),
    "integrated_medical": _l("Integrated medical and elderly care"),
    "dementia_unit": _l("Dementia unit"),
}
OWNERSHIP_LABELS = {
    "private": _l("Private"),
    "public": _l("Public"),
    "public_private": _l("Public-built, privately run"),
}
from marketplace.pricing import EXTRA_KINDS, MONTHLY_FEE_KINDS  # noqa: E402,F401  (one definition)

FEE_KINDS = ("bed", "care", "meals", "deposit", *EXTRA_KINDS)
# Optional monthly extras a family may choose; never part of the all-in monthly price (marketplace/pricing.py).
EXTRA_KIND_LABELS = {
    "extra_single_room": _l("Single-room supplement"),  # 单人间差价
    "extra_incontinence": _l("Incontinence supplies"),  # 失禁护理用品
    "extra_rehab": _l("Rehabilitation training"),  # 康复训练
    "extra_special_diet": _l("Special diet"),  # 特殊膳食
    "extra_laundry": _l("Personal laundry"),  # 洗衣
}
FEE_KIND_LABELS = {
    "bed": _l("Bed"),
    "care": _l("Care"),
    "meals": _l("Meals"),
    "deposit": _l("One-off deposit"),
    **EXTRA_KIND_LABELS,
}
SERVICES = ("rehabilitation", "nursing", "hospice", "respite", "day_care", "tcm", "psychological",
            "activities", "escort_to_hospital", "dental")
SERVICE_LABELS = {
    "rehabilitation": _l("Rehabilitation"),
    "nursing": _l("24-hour nursing"),
    "hospice": _l("Hospice care"),
    "respite": _l("Respite stays"),
    "day_care": _l("Day care"),
    "tcm": _l("Traditional Chinese medicine"),
    "psychological": _l("Psychological support"),
    "activities": _l("Social activities"),
    "escort_to_hospital": _l("Hospital escort"),
    "dental": _l("Dental care"),
}
INCLUDED = ("three_meals", "laundry", "room_cleaning", "basic_medical_checks", "activities", "utilities")
INCLUDED_LABELS = {
    "three_meals": _l("Three meals a day"),
    "laundry": _l("Laundry"),
    "room_cleaning": _l("Room cleaning"),
    "basic_medical_checks": _l("Basic health checks"),
    "activities": _l("Group activities"),
    "utilities": _l("Water, power and heating"),
}


_TRANSLATED = {}  # {(locale, gettext function, msgid): label}: a page or a home's JSON shows dozens of labels


def label(mapping, code):
    """Return the label of CODE in MAPPING as a string in the current locale (the code if unknown)."""
    value = mapping.get(code)
    if value is None:
        return code
    if not isinstance(value, LazyString) or value._kwargs:  # interpolated: translate each time
        return str(value)
    # the catalogues are fixed while the app runs; translating anew costs more than the look-up of the locale
    key = (str(get_locale()), value._func, value._args)
    text = _TRANSLATED.get(key)
    if text is None:
        text = _TRANSLATED[key] = str(value)
    return text
