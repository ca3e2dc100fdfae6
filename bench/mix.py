"""The fixed mix of family queries the benchmark runs, in process and over HTTP."""

import random
from urllib.parse import urlencode

from core.vocab import CARE_LEVELS
from geo.gazetteer import gazetteer
from search.query import SearchQuery

TEXTS = ("护理", "养老院", "认知症", "suzhou", "shyl", "Hangzhou dementia", "医养结合", "康复")
BIG_CITIES = ("310000", "320500", "330100", "320100", "340100", "330200", "320200", "320400")


def _text_only(rng):
    return {"q": rng.choice(TEXTS)}


def _text_city_level_price(rng):
    return {"q": rng.choice(("护理", "养老", "康复")), "city": rng.choice(BIG_CITIES), "care_level": "full",
            "max_price": rng.choice((8000, 10000, 15000))}


def _near_30km(rng):
    city = rng.choice(gazetteer().cities)
    return {"near": f"{city.lat:.4f},{city.lon:.4f}", "radius_km": 30, "sort": "distance"}


def _facets_on(rng):
    return {"province": rng.choice(gazetteer().provinces).code, "care_level": rng.choice(("partial", "dementia")),
            "has_vacancy": "true"}


def _deep_page(rng):
    return {"sort": "price", "page": rng.choice((300, 350, 399)), "per_page": 25}


FAMILIES = {
    "text_only": _text_only,
    "text_city_level_price": _text_city_level_price,
    "near_30km_by_distance": _near_30km,
    "facets_on_broad": _facets_on,
    "deep_page": _deep_page,
}


# The HTTP mix (issue 17): the same five families, drawn wide (every city, care level, price step, a point anywhere
# around a city, any radius, any deep page), so that at least 10,000 distinct queries reach the server and no
# result or facet cache can stand in for the engine.
WIDE_TEXTS = TEXTS + ("养老", "护理院", "老年公寓", "康养", "nanjing", "wuxi", "ningbo", "hefei", "yanglaoyuan",
                      "kangfu")


def _wide_text_only(rng):
    place = rng.choice(gazetteer().districts)  # what a family types: 南京鼓楼, 鼓楼区养老院, Gulou
    city = gazetteer().by_code[place.city_code]
    short_city, short_place = city.name.removesuffix("市"), place.name[:-1] if len(place.name) > 2 else place.name
    q = rng.choice(WIDE_TEXTS + (f"{short_city}{short_place}", f"{place.name}养老院", place.pinyin,
                                 f"{short_city}护理"))
    return {"q": q, "page": rng.randint(1, 4)}


def _wide_text_city_level_price(rng):
    return {"q": rng.choice(("护理", "养老", "康复")), "city": rng.choice(gazetteer().cities).code,
            "care_level": rng.choice(CARE_LEVELS), "max_price": rng.randrange(3000, 20001, 500)}


def _wide_near(rng):
    city = rng.choice(gazetteer().cities)
    return {"near": f"{city.lat + rng.uniform(-0.2, 0.2):.3f},{city.lon + rng.uniform(-0.2, 0.2):.3f}",
            "radius_km": rng.choice((5, 10, 20, 30, 50)), "sort": "distance"}


def _wide_facets_on(rng):
    level, regions = rng.choice((("province", gazetteer().provinces), ("city", gazetteer().cities),
                                 ("district", gazetteer().districts)))
    where = {level: rng.choice(regions).code}
    return {**where, "care_level": rng.choice(CARE_LEVELS), "has_vacancy": rng.choice(("true", "false"))}


def _wide_deep_page(rng):
    return {"sort": rng.choice(("price", "rating")), "page": rng.randint(50, 399), "per_page": rng.choice((20, 25))}


WIDE_FAMILIES = {
    "text_only": _wide_text_only,
    "text_city_level_price": _wide_text_city_level_price,
    "near_30km_by_distance": _wide_near,
    "facets_on_broad": _wide_facets_on,
    "deep_page": _wide_deep_page,
}


def wide_params(n_per_family, seed=7):
    """Return the HTTP mix: N_PER_FAMILY parameter dicts of each family, drawn wide, interleaved (deterministic)."""
    rng = random.Random(f"wide-{seed}")
    return [WIDE_FAMILIES[family](rng) for _ in range(n_per_family) for family in WIDE_FAMILIES]


def params_for(family, n, seed=7):
    """Return N parameter dicts of a query family (deterministic for SEED)."""
    rng = random.Random(f"{family}-{seed}")
    return [FAMILIES[family](rng) for _ in range(n)]


def to_query(params):
    """Turn API parameters into the SearchQuery the API would build (through the same schema)."""
    from marketplace.schemas import HomeSearchArgs

    return HomeSearchArgs().load({k: str(v) for k, v in params.items()})


def to_path(params):
    """Return the API path for PARAMS."""
    return "/api/v1/homes?" + urlencode(params)


__all__ = ["FAMILIES", "SearchQuery", "WIDE_FAMILIES", "params_for", "to_path", "to_query", "wide_params"]
