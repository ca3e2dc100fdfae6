"""Personal data in a review's text: phone numbers, resident ids, e-mail and IM ids, street addresses."""

import re

from reviews.screening.base import PERSONAL_DATA, Signal, _fold, _Folded, _mask, _match

_MOBILE = re.compile(r"(?<![\d+])(?:\(?(?:\+|00)?86\)?[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d+])(?:\((0(?:10|2\d|[3-9]\d{2}))\)|(0(?:10|2\d|[3-9]\d{2})))[\s-]?"
                       r"([2-8]\d{2,3})[\s-]?(\d{4})(?!\d)")
_RESIDENT_ID = re.compile(r"(?<![0-9a-z])([1-9]\d{5})\s?((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
                          r"\s?(\d{3}[0-9x])(?![0-9a-z])")
_EMAIL = re.compile(r"(?<![a-z0-9._%+-])([a-z0-9][a-z0-9._%+-]*)@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
                    r"(?![a-z0-9-])")
_IM = re.compile(r"(?<![a-z])(微信|威信|薇信|v信|vx|wx|wechat|weixin|qq|扣扣|企鹅)\s*(号|id)?\s*([:是为])?\s*"
                 r"([a-z][-_a-z0-9]{5,19}|[1-9]\d{4,10})(?![-_a-z0-9])")
_ZH_NUM = "[0-9一二三四五六七八九十百零〇两]+"
_ADDRESS_ZH = re.compile(
    rf"(?<![0-9一二三四五六七八九十百零〇两月日])(?P<lane>{_ZH_NUM}\s*弄\s*)?(?P<no>{_ZH_NUM}\s*号(?!楼)\s*)?"
    rf"(?P<building>{_ZH_NUM}\s*(?:号楼|栋|幢|座)\s*)?(?P<unit>{_ZH_NUM}\s*单元\s*)?"
    rf"(?P<room>{_ZH_NUM}\s*(?:室|房间|房)|(?<=单元)\d{{3,4}}(?!\d))?")
_ADDRESS_EN = re.compile(
    r"(?<![a-z])(?:room|rm|flat|apt|apartment|unit)\.?\s*#?\d+[a-z]?(?![a-z0-9])[^.\n]{0,20}?(?<![a-z])"
    r"(?:no\.?\s*)?\d+\s*,?\s*(?:lane\s*\d+\s*,?\s*)?[a-z]+(?:\s[a-z]+){0,2}\s+"
    r"(?:road|rd|street|st|lane|ln|avenue|ave)(?![a-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id_valid(number):
    """Say whether an 18-character resident ID number carries the right GB 11643 check digit."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


def _mobiles(folded):
    for m in _MOBILE.finditer(folded.text):
        yield _match("mobile", folded.span(*m.span()), f"{m[1]}****{m[3]}")


def _landlines(folded):
    for m in _LANDLINE.finditer(folded.text):
        yield _match("landline", folded.span(*m.span()), f"{m[1] or m[2]}-****{m[4]}")


def _resident_ids(folded):
    for m in _RESIDENT_ID.finditer(folded.text):
        number = (m[1] + m[2] + m[3]).upper()
        if resident_id_valid(number):
            yield _match("resident_id", folded.span(*m.span()), _mask(number))


def _emails(folded):
    for m in _EMAIL.finditer(folded.text):
        yield _match("email", folded.span(*m.span()), f"{m[1][:1]}***@{m[2]}")


def _im_ids(folded):
    for m in _IM.finditer(folded.text):
        has_marker = bool(m[2] or m[3])
        if not has_marker and m[4].isalpha():  # "wechat account", "QQ group": words, not ids
            continue
        yield _match(_im_kind(m[1]), folded.span(*m.span()), f"{m[1]} {m[4][:2]}****{m[4][-2:]}")


def _im_kind(label):
    return "qq" if label in ("qq", "扣扣", "企鹅") else "wechat"


def _addresses(folded):
    for m in _ADDRESS_ZH.finditer(folded.text):
        parts = [name for name in ("lane", "no", "building", "unit", "room") if m[name]]
        if len(parts) >= 2:  # one part ("3号楼", "88号") names a building of the home, not where someone lives
            shown = re.sub(r"\s+", "", re.sub(_ZH_NUM, "*", m[0]))
            yield _match("address", folded.span(*m.span()), shown)
    for m in _ADDRESS_EN.finditer(folded.text):
        yield _match("address", folded.span(*m.span()), re.sub(r"\d", "*", m[0]))


_SPOKEN_DIGITS = str.maketrans("零〇幺一二三四五六七八九", "001123456789")


def _spoken_digits(folded):
    """Read digits written as Chinese numerals one by one (一三八…, 幺 for 1), as people dodge filters."""
    return _Folded(folded.text.translate(_SPOKEN_DIGITS), folded.origin)


def _contacts(folded):
    """Yield phone numbers and messenger ids found in FOLDED (what an advert leaves to be reached)."""
    yield from _mobiles(_spoken_digits(folded))
    yield from _landlines(_spoken_digits(folded))
    yield from _im_ids(folded)


def find_personal_data(text):
    """Return the personal data in TEXT as matches {kind, text (masked), start, end}, in text order."""
    folded = _fold(text or "")
    found = [*_contacts(folded), *_resident_ids(folded), *_emails(folded), *_addresses(folded)]
    return _without_overlaps(found)


def _without_overlaps(matches):
    """Keep the longest of overlapping matches (a mobile inside "微信 13800138000" is reported once)."""
    kept = []
    for m in sorted(matches, key=lambda m: (m["start"], -(m["end"] - m["start"]))):
        if not kept or m["start"] >= kept[-1]["end"]:
            kept.append(m)
    return kept


_PERSONAL_RISK = {"resident_id": 60, "mobile": 50, "wechat": 50, "qq": 50, "email": 40, "landline": 30,
                  "address": 40}


def detect_personal_data(text):
    """Return a personal_data Signal for TEXT, or None."""
    matches = find_personal_data(text)
    if not matches:
        return None
    kinds = sorted({m["kind"] for m in matches})
    risk = min(max(_PERSONAL_RISK[k] for k in kinds) + 10 * (len(kinds) - 1), 80)
    return Signal(PERSONAL_DATA, risk, {"matches": matches, "kinds": kinds})
