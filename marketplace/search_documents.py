"""One home -> one search document. The only place that decides what search sees of a home.

It lives beside the models it indexes; `register_search(app)` tells search (search/sources.py) which table
holds the documents, which models' writes change them, and how to build them.
"""

import math
import multiprocessing as mp
import os
from collections import defaultdict, deque
from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from core.vocab import CARE_LEVELS, FEATURES
from geo.gazetteer import gazetteer
from marketplace import freshness, pricing
from marketplace.models import FeeItem, Home, Vacancy
from search import analysis, sources

# Search keywords (zh + en + common synonyms) for coded attributes; these feed the index, not the UI.
KEYWORDS = {
    "medical_insurance": "医保定点 医保 medical insurance designated clinic",
    "ltci": "长护险 长期护理保险 long-term care insurance ltci",
    "cross_province_settlement": "异地就医直接结算 异地医保 cross-province direct settlement",
    "integrated_medical": "医养结合 医疗 integrated medical care nursing",
    "dementia_unit": "认知症 认知障碍 失智 阿尔茨海默 dementia unit memory care alzheimer",
    "self_care": "自理 self-care independent living",
    "partial": "半失能 介助 partly dependent assisted",
    "full": "失能 全护理 护理 fully dependent nursing",
    "dementia": "认知症照护 失智照护 dementia care",
    "private": "民营 私立 private",
    "public": "公办 公立 public",
    "public_private": "公建民营 public-built privately run",
    "rehabilitation": "康复 rehabilitation",
    "nursing": "护理 24小时护理 nursing",
    "hospice": "安宁疗护 临终关怀 hospice",
    "respite": "喘息服务 短期托养 respite",
    "day_care": "日间照料 day care",
    "tcm": "中医 traditional chinese medicine tcm",
    "psychological": "心理慰藉 psychological support",
    "activities": "文娱活动 activities",
    "escort_to_hospital": "陪同就医 hospital escort",
    "dental": "口腔 牙科 dental",
}


def rank_boost(grade, rating, beds_free):
    """Return the quality part of relevance, a multiple of 1/64 in [0, 1) (exact in every backend's floats)."""
    value = 0.5 * (grade or 0) / 5 + (0.3 * (rating - 1) / 4 if rating else 0.0) + (0.15 if beds_free else 0.0)
    return math.floor(min(value, 63 / 64) * 64) / 64


def _place_texts(home):
    gz = gazetteer()
    regions = [gz.province(home.province_code), gz.city(home.city_code), gz.district(home.district_code)]
    texts = [home.address, home.address_en]
    for region in filter(None, regions):
        texts += [region.name, region.pinyin]
    return texts


def _body_texts(home, features, care_levels):
    codes = list(features) + list(care_levels) + [home.ownership] + list(home.services or [])
    return [home.description, home.description_en] + [KEYWORDS.get(code, "") for code in codes]


def home_document(home, fee_items=None, vacancies=None):
    """Return the search document of HOME (a Home, or a row with its fee-item and vacancy rows)."""
    fee_items = home.fee_items if fee_items is None else fee_items
    vacancies = home.vacancies if vacancies is None else vacancies
    prices = pricing.monthly_prices(fee_items)
    free = {v.care_level: v.beds_free for v in vacancies}
    beds_free = sum(free.values())
    confirmed = freshness.confirmed_at(fee_items, vacancies)
    confirmed_by_level = freshness.confirmed_by_level(vacancies)
    features = [f for f in FEATURES if getattr(home, f)]
    doc = {
        "id": home.id,
        "version": home.version,
        "name": home.name,
        "name_en": home.name_en,
        "province_code": home.province_code,
        "city_code": home.city_code,
        "district_code": home.district_code,
        "address": home.address,
        "location": {"lat": home.lat, "lon": home.lon},
        "ownership": home.ownership,
        "grade": home.grade,
        "beds_total": home.beds_total,
        "beds_free": beds_free,
        "care_levels": [level for level in CARE_LEVELS if level in prices],
        "features": features,
        "price_min": min(prices.values()) if prices else None,
        "rating": home.review_score,
        "review_count": home.review_count,
        "quality_stars": home.quality_stars,
        "quality_warning": bool(home.quality_warning),
        "rank_boost": rank_boost(home.grade, home.review_score, beds_free),
        "vacancy_confirmed_at": confirmed.isoformat() if confirmed else None,
        "is_demo": home.is_demo,
    }
    for level in CARE_LEVELS:
        doc[f"price_{level}"] = prices.get(level)
        doc[f"free_{level}"] = free.get(level, 0)
        stamp = confirmed_by_level.get(level)
        doc[freshness.confirmed_field(level)] = stamp.isoformat() if stamp else None
    doc.update(analysis.analyze_fields([home.name, home.name_en], _place_texts(home),
                                       _body_texts(home, features, doc["care_levels"])))
    return doc


def _documents(run, home_ids):
    """Build documents for HOME_IDS with three plain queries (Core rows, no ORM objects: 1.6M at 100k homes)."""
    homes, fees, vacancies = Home.__table__, FeeItem.__table__, Vacancy.__table__
    fee_rows, vacancy_rows = defaultdict(list), defaultdict(list)
    for row in run(sa.select(fees).where(fees.c.home_id.in_(home_ids))):
        fee_rows[row.home_id].append(row)
    for row in run(sa.select(vacancies).where(vacancies.c.home_id.in_(home_ids))):
        vacancy_rows[row.home_id].append(row)
    rows = run(sa.select(homes).where(homes.c.id.in_(home_ids)).order_by(homes.c.id))
    return [home_document(h, fee_rows[h.id], vacancy_rows[h.id]) for h in rows]


def documents_for(home_ids):
    """Return {home id: document} for the homes that exist among HOME_IDS (missing ids are absent)."""
    ids = list(home_ids)
    return {doc["id"]: doc for doc in _documents(lambda stmt: db.session.execute(stmt).all(), ids)} if ids else {}


PARALLEL_FROM = 20_000  # below this many homes one process builds faster than a pool starts


def _id_batches(conn, batch_size):
    ids = conn.execute(sa.select(Home.__table__.c.id).order_by(Home.__table__.c.id)).scalars().all()
    return [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]


_pool_engine = None  # the engine a forked worker connects through (set just before the pool forks)


def _pool_init():
    _pool_engine.dispose(close=False)  # never share the parent's pooled connections across processes


def _pool_documents(ids):
    with _pool_engine.connect() as conn:
        return _documents(lambda stmt: conn.execute(stmt).all(), ids)


def _workers(requested, batches, engine):
    if requested is not None:
        return requested
    in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")
    if in_memory or sum(map(len, batches)) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        return 1
    return min(4, os.cpu_count() or 1)


def iter_all_documents(batch_size=1000, workers=None):
    """Yield every home's document, in id order, in batches that bound memory.

    Large catalogues are built by a pool of forked processes (documents are CPU-bound: text analysis),
    WORKERS of them (default: one per core, up to 4, from PARALLEL_FROM homes on a file or server database).
    """
    global _pool_engine
    engine = db.engine
    with engine.connect() as conn:  # its own connection: the caller's session is left alone
        batches = _id_batches(conn, batch_size)
        workers = _workers(workers, batches, engine)
        if workers <= 1:
            for ids in batches:
                yield from _documents(lambda stmt: conn.execute(stmt).all(), ids)
            return
    _pool_engine = engine
    with mp.get_context("fork").Pool(workers, initializer=_pool_init) as pool:
        # at most 2 batches per worker in flight: imap would run ahead of a slower consumer (the index
        # writer) and hold every finished batch in memory
        pending = deque()
        for ids in batches:
            pending.append(pool.apply_async(_pool_documents, (ids,)))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def price_changes_due(on, days_back):
    """Return the ids of homes with a fee item taking effect within DAYS_BACK days up to ON (their documents
    hold the prices in effect when they were built, so they change with the date)."""
    return set(db.session.scalars(sa.select(FeeItem.home_id).distinct().where(
        FeeItem.effective_from <= on, FeeItem.effective_from > on - timedelta(days=days_back))))


def register_search(app):
    """Tell search that homes are its documents: writes to homes, fees and free beds change them."""
    sources.register(app, table=Home.__table__, documents_for=documents_for, iter_all_documents=iter_all_documents,
                     watch={Home: "id", FeeItem: "home_id", Vacancy: "home_id"}, due_ids=price_changes_due)
