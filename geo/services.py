"""Writes for geo: load the regions table from the gazetteer."""

from core.extensions import db
from geo.gazetteer import gazetteer
from geo.models import Region


def load_regions():
    """Upsert every gazetteer region into the regions table; return how many rows were written."""
    gz = gazetteer()
    existing = {(r.code, r.level): r for r in db.session.scalars(db.select(Region))}
    count = 0
    for src in gz.provinces + gz.cities + gz.districts:
        row = existing.get((src.code, src.level)) or Region(code=src.code, level=src.level)
        row.name, row.pinyin, row.parent_code = src.name, src.pinyin, src.parent_code
        row.province_code, row.city_code, row.lat, row.lon = src.province_code, src.city_code, src.lat, src.lon
        db.session.add(row)
        count += 1
    db.session.commit()
    return count
