"""Province, city and district from free text (an address, a home's name), as today's GB/T 2260 codes.

The place names are found by `cpca` (a maintained Aho-Corasick matcher over the national division table;
chosen by measurement, see docs/data-sources.md) and then resolved against our own gazetteer by name, so its
older code table does not leak stale codes. Names that changed since are rewritten first from
geo/data/yrd_district_changes.csv: a renamed or merged district resolves to its successor with the old name
kept (闸北区 -> 静安区); a split one (江干区) goes to the successor its street names, else to the city level,
marked approximate.
"""

import csv
import functools
import re
from dataclasses import dataclass

from geo.gazetteer import DATA, gazetteer

YRD_PROVINCES = ("310000", "320000", "330000", "340000")


@dataclass(frozen=True)
class Place:
    province_code: str | None = None  # any province, inside the YRD or not
    city_code: str | None = None  # a YRD city
    district_code: str | None = None  # a YRD district, today's code
    former_name: str | None = None  # the district's old name the text used (闸北区)
    approximate: bool = False  # a split district without a street that says which successor

    @property
    def in_region(self):
        """Say whether the place lies in the Yangtze River Delta."""
        return self.province_code in YRD_PROVINCES

    @property
    def level(self):
        """Return 'district', 'city', 'province' or None: how far the text located the place."""
        if self.district_code:
            return "district"
        return "city" if self.city_code else ("province" if self.province_code else None)


@dataclass(frozen=True)
class _Change:
    old_name: str
    city_code: str
    new_code: str | None
    successors: tuple  # ((code, (street, ...)), ...)


@functools.cache
def _changes():
    with open(DATA / "yrd_district_changes.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(_Change(r["old_name"], r["city_code"], r["new_code"] or None, _successors(r["successors"]))
                 for r in rows)


def _successors(text):
    pairs = [part.split(":", 1) for part in text.split(";") if part]
    return tuple((code, tuple(streets.split("|"))) for code, streets in pairs)


def _rewrite(text):
    """Replace a changed district name in TEXT by its successor's; return (text, change or None, successor)."""
    gz = gazetteer()
    for change in _changes():
        if change.old_name not in text:
            continue
        successor = change.new_code or next((code for code, streets in change.successors
                                             if any(s in text for s in streets)), None)
        city = gz.city(change.city_code)
        new_name = gz.district(successor).name if successor else ""
        return text.replace(change.old_name, f"{city.name}{new_name}", 1), change, successor
    return text, None, None


def parse_places(texts):
    """Return a Place for each text of TEXTS."""
    return [parse_place(t) for t in texts]


_HOUSE_NUMBER = re.compile(r"[0-9０-９][0-9０-９\-－—之]*号.*$")


def parse_place(text):
    """Return the Place of one text (an address, a name, region columns run together).

    Cached by the text without its house number and what follows (…幸福路12号3幢 → …幸福路): no region or street
    name the parser or the change table knows is in that tail, and the addresses of one street share the entry.
    """
    return _parse_place(_HOUSE_NUMBER.sub("", text or "") or (text or ""))


@functools.lru_cache(maxsize=4096)
def _parse_place(text):
    rewritten, change, successor = _rewrite(text or "")
    province, city, county, adcode = _match(rewritten)
    place = _resolve(_name(province), _name(city), _name(county), _name(adcode))
    if place.city_code and not place.district_code:
        place = _newer_district(place, rewritten)
    return _with_change(place, change, successor) if change is not None else place


def _match(text):
    """Return (province, city, county, adcode) names as cpca finds them in TEXT.

    cpca's public transform() builds a pandas DataFrame per call (about 1 ms); one row at a time the import
    would spend most of its time there, so the row-level matcher of the pinned version is used directly.
    """
    import cpca

    if hasattr(cpca, "_get_one_addr"):
        found = cpca._get_one_addr(text, False, {})
        return found["省"], found["市"], found["区"], found["adcode"]
    row = next(cpca.transform([text]).itertuples(index=False))  # pragma: no cover  (another cpca version)
    return row[0], row[1], row[2], row[4]


def _name(value):
    return value if isinstance(value, str) and value else None


def _resolve(province, city, county, adcode):
    province_code = adcode[:2] + "0000" if adcode else None
    if province_code not in YRD_PROVINCES:
        return Place(province_code=province_code)
    city_region = _city(province_code, city, adcode)
    if city_region is None:
        return Place(province_code=province_code)
    district = _district(city_region.code, county) if county else None
    return Place(province_code, city_region.code, district.code if district else None)


def _city(province_code, name, adcode):
    gz = gazetteer()
    if province_code == "310000":
        return gz.city("310000")
    if name and name != "市辖区":
        hit = next((c for c in gz.cities_of(province_code) if name in (c.name, c.short_name)), None)
        if hit:
            return hit
    return gz.city(adcode[:4] + "00") if adcode and len(adcode) >= 4 else None


def _district(city_code, name):
    districts = gazetteer().districts_of(city_code)
    hit = next((d for d in districts if d.name == name), None)
    if hit is None:  # 奉化市 -> 奉化区, 海安县 -> 海安市: the same place under a newer suffix
        short = name[:-1] if len(name) > 2 else name
        hit = next((d for d in districts if d.short_name == short), None)
    return hit


def _newer_district(place, text):
    """A district created after the matcher's table (临平区, 钱塘区, 龙港市 ...): our gazetteer's names, in TEXT."""
    for district in gazetteer().districts_of(place.city_code):
        if district.name in text:
            return Place(place.province_code, place.city_code, district.code)
    return place


def _with_change(place, change, successor):
    gz = gazetteer()
    city = gz.city(change.city_code)
    if successor:
        return Place(city.province_code, city.code, successor, former_name=change.old_name)
    return Place(city.province_code, city.code, None, former_name=change.old_name, approximate=True)
