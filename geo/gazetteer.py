"""The region gazetteer: 4 provinces, 41 cities and 305 districts of the YRD, from geo/data (see SOURCES.md).

Reference data ships with the code and is read once per process; the `regions` table is loaded from it.
"""

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
_SUFFIXES = ("自治县", "市", "区", "县", "省")


@dataclass(frozen=True)
class Region:
    code: str
    level: str  # province | city | district
    name: str
    pinyin: str
    province_code: str
    city_code: str | None
    lat: float
    lon: float
    lat_gcj02: float
    lon_gcj02: float
    district_type: str | None = None

    @property
    def short_name(self):
        """The name without its administrative suffix (苏州市 -> 苏州), when two characters or more remain."""
        for suffix in _SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) - len(suffix) >= 2:
                return self.name[: -len(suffix)]
        return self.name

    @property
    def parent_code(self):
        """The enclosing region's code (None for a province)."""
        return {"province": None, "city": self.province_code, "district": self.city_code}[self.level]


def _read(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _point(row):
    return dict(lat=float(row["lat"]), lon=float(row["lon"]),
                lat_gcj02=float(row["lat_gcj02"]), lon_gcj02=float(row["lon_gcj02"]))


class Gazetteer:
    """Lookups over the YRD regions by code, name and pinyin."""

    def __init__(self):
        cities = _read("yrd_cities.csv")
        districts = _read("yrd_districts.csv")
        self.cities = [Region(r["city_code"], "city", r["city"], r["pinyin"], r["province_code"],
                              r["city_code"], **_point(r)) for r in cities]
        self.districts = [Region(r["district_code"], "district", r["district"], r["pinyin"],
                                 r["province_code"], r["city_code"], district_type=r["district_type"],
                                 **_point(r)) for r in districts]
        self.provinces = self._provinces(cities)
        self.by_code = {r.code: r for r in self.provinces + self.cities + self.districts}
        # Shanghai is both a province-level and a city-level unit with the same code: keep the city for
        # code lookups of cities, the province for provinces.
        self.province_by_code = {r.code: r for r in self.provinces}
        self.city_by_code = {r.code: r for r in self.cities}
        self.distances = self._distances()

    def _provinces(self, cities):
        seen = {}
        for row in cities:
            if row["province_code"] in seen:
                continue
            members = [c for c in cities if c["province_code"] == row["province_code"]]
            capital = next((c for c in members if c["city_code"] == row["province_code"]), members[0])
            seen[row["province_code"]] = Region(row["province_code"], "province", row["province"],
                                                row["province_pinyin"], row["province_code"], None,
                                                **_point(capital))
        return list(seen.values())

    def _distances(self):
        table = {}
        for row in _read("yrd_city_distances.csv"):
            km = float(row["geodesic_km"])
            table[(row["from_city_code"], row["to_city_code"])] = km
            table[(row["to_city_code"], row["from_city_code"])] = km
        return table

    def region(self, code):
        """Return the region with CODE (a city for 310000), or None."""
        return self.city_by_code.get(code) or self.by_code.get(code)

    def province(self, code):
        """Return the province with CODE, or None."""
        return self.province_by_code.get(code)

    def city(self, code):
        """Return the city with CODE, or None."""
        return self.city_by_code.get(code)

    def district(self, code):
        """Return the district with CODE, or None."""
        region = self.by_code.get(code)
        return region if region is not None and region.level == "district" else None

    def districts_of(self, city_code):
        """Return the districts of a city."""
        return [d for d in self.districts if d.city_code == city_code]

    def cities_of(self, province_code):
        """Return the cities of a province."""
        return [c for c in self.cities if c.province_code == province_code]

    def find(self, text):
        """Return the regions whose name, short name or pinyin is TEXT (cities first, then districts)."""
        needle = _normalise(text)
        if not needle:
            return []
        hits = [r for r in self.cities + self.districts + self.provinces
                if needle in (r.name, r.short_name) or needle == _normalise(r.pinyin)]
        return list({r.code + r.level: r for r in hits}.values())


def _normalise(text):
    return (text or "").strip().lower().replace("'", "").replace(" ", "")


@functools.cache
def gazetteer():
    """Return the process-wide gazetteer."""
    return Gazetteer()
