"""The regions table: GB/T 2260 codes of the YRD, loaded from the gazetteer."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # 310000 is both province and city
    name: Mapped[str] = mapped_column(sa.String(40))
    pinyin: Mapped[str] = mapped_column(sa.String(60))
    parent_code: Mapped[str | None] = mapped_column(sa.String(6))
    province_code: Mapped[str] = mapped_column(sa.String(6), index=True)
    city_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
