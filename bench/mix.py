"""The fixed mix of family queries the benchmark runs, in process and over HTTP."""

import random
from urllib.parse import urlencode

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


__all__ = ["FAMILIES", "SearchQuery", "params_for", "to_path", "to_query"]
