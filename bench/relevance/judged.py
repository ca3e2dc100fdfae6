"""The judged set: realistic family queries, each with what a right answer must satisfy.

Built from the gazetteer (the places, as families write them: together, apart, with or without suffix, pinyin
with or without tones, English, typos) and the demo generator's known truth (which districts have homes, the
kinds of home in names, care levels, designations, ownership). A judgement is data:

    {"q": "南京鼓楼 失智", "kind": "answerable" | "nonsense",
     "district": code | None, "city": [codes] | None, "province": code | None,   # where the answer must be
     "needs": [[[field, value], ...], ...],                                        # every need, any clause
     "family": "name_typo" | "place_initials"}                                    # only on those families

Grades of a home: 2 when it satisfies every need and lies in the named district (or city / province when
no district was named), 1 when it satisfies every need and lies in a named district's city ("just outside"),
else 0. A nonsense query's right answer is no home at all.

`python -m bench.relevance.judged` rewrites queries.json from a seeded demo database (deterministic).
"""

import csv
import json
import random
from pathlib import Path

from geo.gazetteer import DATA, gazetteer

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "queries.json"
DEMENTIA = [["care_levels", "dementia"], ["features", "dementia_unit"]]
NEEDS = {
    "失智": [DEMENTIA], "认知症": [DEMENTIA], "老年痴呆": [DEMENTIA], "dementia": [DEMENTIA],
    "医保": [[["features", "medical_insurance"]]], "医保定点": [[["features", "medical_insurance"]]],
    "长护险": [[["features", "ltci"]]], "医养结合": [[["features", "integrated_medical"]]],
    "公办": [[["ownership", "public"], ["ownership", "public_private"]]],
    "民营": [[["ownership", "private"]]],
    "自理": [[["care_levels", "self_care"]]], "半失能": [[["care_levels", "partial"]]],
    "失能": [[["care_levels", "full"]]],
    "护理院": [[["name", "护理院"]]], "老年公寓": [[["name", "公寓"]]], "康养中心": [[["name", "康养"]]],
    "福利院": [[["name", "福利"]]], "颐养院": [[["name", "颐养院"]]],
    "敬老院": [[["name", "敬老院"], ["name", "福利"]]], "养老院": [],
    "nursing home": [[["name", "护理院"]]], "medical insurance": [[["features", "medical_insurance"]]],
}
NONSENSE = ["xyzzy", "zzzz", "qqqq", "asdfgh", "xx yy", "zzzz qqqq", "bnmbnm", "kkkkk", "wxyz",
            "jjjj", "hhhhh"]
TYPOS = {"hangzou": "330100", "nanjng": "320100", "suzhoou": None, "ningbbo": "330200", "wuxxi": "320200",
         "shanghia": "310000", "changzou": "320400", "hefie": "340100"}


def _tone_pinyin():
    """Return {city code: pinyin with tones} (the gazetteer keeps tones for cities only)."""
    with open(DATA / "yrd_cities.csv", encoding="utf-8") as fh:
        return {r["city_code"]: r["pinyin_tone"] for r in csv.DictReader(fh)}


def _judgement(q, district=None, city=None, province=None, needs=(), kind="answerable", family=None):
    judgement = {"q": q, "kind": kind, "district": district, "city": city, "province": province,
                 "needs": list(needs)}
    return judgement | ({"family": family} if family else {})


def _place_queries(rng, districts, gz):
    out = []
    for d in districts[:40]:
        c = gz.city(d.city_code)
        together = f"{c.short_name}{d.short_name}"
        style = len(out) % 4
        q = [together, f"{c.name} {d.name}", f"{c.short_name} {d.short_name}", f"{c.name}{d.name}"][style]
        out.append(_judgement(q, district=d.code, city=[c.code]))
    return out


def _latin_queries(rng, districts, gz):
    tones_c = _tone_pinyin()
    out = []
    for i, d in enumerate(districts[40:70]):
        c = gz.city(d.city_code)
        q = [f"{c.pinyin} {d.pinyin}", f"{c.pinyin.lower()}{d.pinyin.lower()}", f"{d.pinyin} District, {c.pinyin}",
             f"{tones_c.get(c.code, c.pinyin)} {d.pinyin}"][i % 4]
        out.append(_judgement(q, district=d.code, city=[c.code]))
    return out


def _need_queries(rng, districts, cities, gz, has):
    out = []
    words = [w for w in NEEDS if NEEDS[w]]
    for i, word in enumerate(words * 3):
        c = cities[i % len(cities)]
        needs = NEEDS[word]
        if not has(needs, city=c.code):
            continue
        latin = word.isascii()
        q = f"{c.pinyin} {word}" if latin else [f"{c.short_name}{word}", f"{c.short_name} {word}"][i % 2]
        out.append(_judgement(q, city=[c.code], needs=needs))
    for i, word in enumerate(["失智", "医保", "护理院", "公办"]):
        d = districts[i * 7]
        c = gz.city(d.city_code)
        if has(NEEDS[word], district=d.code):
            out.append(_judgement(f"{c.short_name}{d.short_name}{word}", district=d.code, city=[c.code],
                                  needs=NEEDS[word]))
    for word in words:
        out.append(_judgement(word, needs=NEEDS[word]))
    return out


def _city_queries(cities, gz):
    out = [_judgement(c.name if i % 2 else c.short_name, city=[c.code]) for i, c in enumerate(cities[:12])]
    out += [_judgement(p.short_name, province=p.code) for p in gz.provinces]
    out.append(_judgement("suzhou", city=["320500", "341300"]))
    out.append(_judgement("鼓楼", city=["320100", "320300"], district=["320106", "320302"]))
    out.append(_judgement("gulou", city=["320100", "320300"], district=["320106", "320302"]))
    return out


def _typo_and_stray_queries(gz):
    out = [_judgement(q, city=[code]) for q, code in TYPOS.items() if code]
    out += [_judgement("失智 老人", needs=NEEDS["失智"]), _judgement("杭州 失智 老人家", city=["330100"],
                                                                  needs=NEEDS["失智"]),
            _judgement("南京 护理院 附近", city=["320100"], needs=NEEDS["护理院"]),
            _judgement("dementa hangzhou", city=["330100"], needs=NEEDS["dementia"])]
    return out


def _name_queries(rng, docs, gz):
    """A home by its name, as a family copies it from a leaflet (Chinese) or an English page; a district alone."""
    picked = rng.sample(sorted(docs, key=lambda d: d["id"]), 24)
    out = [_judgement(d["name"], needs=[[["name", d["name"]]]]) for d in picked[:12]]
    out += [_judgement(d["name_en"].split(",")[0], needs=[[["name_en", d["name_en"].split(",")[0]]]])
            for d in picked[12:] if d.get("name_en")]
    unambiguous = [r for r in gz.districts if len(gz.find(r.short_name)) == 1]
    with_homes = {d["district_code"] for d in docs}
    for r in rng.sample([r for r in unambiguous if r.code in with_homes], 10):
        out.append(_judgement(r.short_name, district=r.code, city=[r.city_code]))
    return out


def _initials(region):
    """The initials of a region's full name, from the gazetteer's pinyin (南京市: njs)."""
    from search.analysis import han_pinyin

    return "".join(syllable[0] for syllable in han_pinyin(region.name))


def _place_initials_queries(rng, districts, cities, gz):
    """Place initials: a city's (nj), a city's then a district's run together (njgl), as a family abbreviates."""
    out = []
    for c in cities[:10]:
        typed = _initials(c)[: len(c.short_name)]
        readings = [r.code for r in gz.cities if _initials(r).startswith(typed)]
        out.append(_judgement(typed, city=readings, family="place_initials"))
    for d in districts[:12]:
        c = gz.city(d.city_code)
        typed = _initials(c)[: len(c.short_name)] + _initials(d)[: len(d.short_name)]
        frames = [r for r in gz.cities if _initials(r).startswith(typed[: len(c.short_name)])]
        inside = [r.code for r in gz.districts if r.city_code in {f.code for f in frames}
                  and _initials(r).startswith(typed[len(c.short_name):])]
        out.append(_judgement(typed, district=inside, city=[f.code for f in frames], family="place_initials"))
    return out


def _one_edit(rng, word):
    """WORD with one random edit: a letter left out, doubled, replaced or swapped with its neighbour."""
    i = rng.randrange(1, len(word) - 1)  # a first letter is seldom mistyped
    kind = rng.choice(("leave_out", "double", "replace", "swap"))
    if kind == "leave_out":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "replace":
        return word[:i] + rng.choice([c for c in "aeinoughz" if c != word[i]]) + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:] if word[i] != word[i + 1] else word[:i] + word[i + 1:]


def _name_typo_queries(rng, docs, gz):
    """A home's brand word (its name's pinyin, the first word of its English name) with one typo.

    Unambiguous typos only: not a word of any home's name as it is, not one edit from a place's pinyin (the
    place reading would win, rightly: hangzou is Hangzhou).
    """
    from search.analysis import name_typo_keys
    from search.understanding import latin_form, one_edit_apart

    name_words = set().union(*(name_typo_keys(d["name"]) | name_typo_keys(d["name_en"] or "") for d in docs))
    places = {latin_form(r.pinyin) for r in gz.provinces + gz.cities + gz.districts}
    brands = sorted({d["name_en"].split()[0] for d in docs if d.get("name_en")})
    out = []
    for brand in rng.sample([b for b in brands if len(b) >= 6 and b.isalpha()], 14):
        typo = _one_edit(rng, brand.lower())
        if "t:" + typo in name_words or any(one_edit_apart(typo, p) or typo == p for p in places):
            continue
        kind = next(d["name_en"] for d in docs if (d["name_en"] or "").startswith(brand + " "))
        kind = kind.split(",")[0].split(" (")[0].split(" ", 1)[1]  # Care Home, as the name queries above
        q, need = (typo, brand) if len(out) % 2 == 0 else (f"{typo.capitalize()} {kind}", f"{brand} {kind}")
        out.append(_judgement(q, needs=[[["name_en", need]]], family="name_typo"))
    return out


def build(docs):
    """Return the judged set for the documents DOCS of a seeded demo market."""
    gz = gazetteer()
    rng = random.Random(14)
    per_district = {}
    for doc in docs:
        per_district.setdefault(doc["district_code"], []).append(doc)
    districts = [d for d in gz.districts if len(per_district.get(d.code, ())) >= 3]
    rng.shuffle(districts)
    cities = [c for c in gz.cities if any(d["city_code"] == c.code for d in docs)]
    rng.shuffle(cities)

    def has(needs, district=None, city=None):
        return any(satisfies(doc, needs) for doc in docs if (district is None or doc["district_code"] == district)
                   and (city is None or doc["city_code"] == city))

    queries = (_place_queries(rng, districts, gz) + _latin_queries(rng, districts, gz)
               + _need_queries(rng, districts, cities, gz, has) + _city_queries(cities, gz)
               + _typo_and_stray_queries(gz) + _name_queries(rng, docs, gz)
               + _place_initials_queries(rng, districts, cities, gz) + _name_typo_queries(rng, docs, gz)
               + [_judgement(q, kind="nonsense") for q in NONSENSE])
    return list({q["q"]: q for q in queries}.values())


def satisfies(doc, needs):
    """Say whether DOC satisfies every need (any of its clauses)."""
    return all(any(_holds(doc, field, value) for field, value in need) for need in needs)


def _holds(doc, field, value):
    if field in ("name", "name_en"):
        return value in (doc[field] or "")
    if field == "ownership":
        return doc["ownership"] == value
    return value in doc[field]


def grade(doc, judgement):
    """Return the grade (0, 1, 2) of DOC for JUDGEMENT (see the module docstring)."""
    if judgement["kind"] == "nonsense" or not satisfies(doc, judgement["needs"]):
        return 0
    districts = _as_list(judgement["district"])
    cities, province = _as_list(judgement["city"]), judgement["province"]
    if districts:
        return 2 if doc["district_code"] in districts else 1 if doc["city_code"] in cities else 0
    if cities:
        return 2 if doc["city_code"] in cities else 0
    if province:
        return 2 if doc["province_code"] == province else 0
    return 2


def _as_list(value):
    return [] if value is None else value if isinstance(value, list) else [value]


def main():
    from bench.relevance.run import demo_documents

    docs = demo_documents()
    queries = build(docs)
    QUERIES.write_text(json.dumps(queries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(queries)} judged queries -> {QUERIES}")


if __name__ == "__main__":
    main()
