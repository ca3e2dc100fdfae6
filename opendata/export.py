"""The bulk export: public home data with today's prices, and every fee item, as rows from SQL."""

import csv
import io
import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from costs.facts import current_facts
from marketplace.models import FeeItem, Home
from opendata.dictionary import CARE_LEVEL_COLUMNS, FACT_FIELDS, HOME_FIELDS, PRICE_FIELDS


def _value(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def home_row(home, on=None):
    """Return one home's export row (the columns of HOME_FIELDS)."""
    prices = home.monthly_prices(on)
    row = {name: _value(getattr(home, name, None)) for name, _t, _d in HOME_FIELDS
           if not name.startswith("price_") and name not in ("beds_free", "vacancy_confirmed_at")}
    row["beds_free"] = home.beds_free
    row["vacancy_confirmed_at"] = _value(home.vacancy_confirmed_at)
    row.update({f"price_{level}_fen": prices.get(level) for level in CARE_LEVEL_COLUMNS})
    return {name: row[name] for name, _t, _d in HOME_FIELDS}


def home_rows(on=None):
    """Return every home's export row, by id."""
    homes = db.session.scalars(sa.select(Home).order_by(Home.id)
                               .options(selectinload(Home.fee_items), selectinload(Home.vacancies)))
    return [home_row(home, on) for home in homes]


def price_rows():
    """Return every fee item (history and announced changes), by home, care level, kind and date."""
    items = db.session.scalars(sa.select(FeeItem).order_by(FeeItem.home_id, FeeItem.care_level, FeeItem.kind,
                                                           FeeItem.effective_from))
    return [{name: _value(getattr(item, name)) for name, _t, _d in PRICE_FIELDS} for item in items]


def fact_rows():
    """Return every policy fact of the current version with its source, scope, dates and status."""
    facts = current_facts()
    rows = []
    for fact in sorted(facts.facts, key=lambda f: f.code):
        data = fact.to_dict()
        flat = {**data["scope"], **{f"doc_{k}": v for k, v in data["source"].items()}, **data}
        flat.update(facts_version=facts.number, value=json.dumps(fact.value, ensure_ascii=False))
        rows.append({name: flat.get(name) for name, _t, _d in FACT_FIELDS})
    return rows


def to_csv(rows, fields):
    """Return ROWS as CSV text with a header of FIELDS' names (booleans as true/false, None as empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[name for name, _t, _d in fields], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else "" if v is None else v)
                         for k, v in row.items()})
    return out.getvalue()
