"""Phone numbers as other people see them: masked (138****5678), the one helper every page, API and export uses.

Only the number's owner sees it whole, and the few places docs/privacy.md names (the home's staff on an inquiry
sent to their home, a recorded reveal); they pass reveal=True. Homes' public phones are an organisation's, not a
person's, and are shown as published.
"""

import re

from markupsafe import Markup

# a mainland mobile (+86 / 0086 / 86 prefix, spaces or dashes allowed) or a landline with its area code
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(0(?:10|2\d|[3-9]\d{2}))[\s-]?(\d{3,4})[\s-]?(\d{4})(?!\d)")


def mask_phone(value, reveal=False):
    """Return VALUE with every phone number in it masked (138****5678, 021-****5678), or as is when REVEAL.

    None stays None, so "not given" stays unknown; anything not a string is returned unchanged.
    """
    if reveal or not isinstance(value, str) or not value:
        return value
    masked = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", value)
    return _LANDLINE.sub(lambda m: f"{m[1]}-****{m[3]}", masked)


def mask_phone_filter(value, reveal=False):
    """The Jinja filter `mask_phone`: as mask_phone, keeping text already marked safe safe (digits only change)."""
    if isinstance(value, Markup):
        return Markup(mask_phone(str(value), reveal))
    return mask_phone(value, reveal)
