"""The deterministic demo market: generated care homes, clearly labelled as demo data (示例数据).

No real care-home list can be shipped, so `seed_demo` generates one from a seed: the same (homes, seed, now)
always gives identical rows. Every row is flagged `is_demo`, every home's source, description and grade
source say it is demo data, and operators carry "（示例）" in their names. Rows are written with Core bulk
inserts (ids assigned here) for speed; those bypass the ORM outbox hook, so callers rebuild the search
index afterwards (`flask demo seed` does).
"""

import functools
import math
import random
from datetime import timedelta

import sqlalchemy as sa
from pypinyin import lazy_pinyin

from core import time
from core.db import utcnow
from core.extensions import db
from demo.quality_records import seed_demo_quality
from geo.gazetteer import gazetteer
from marketplace.models import FeeItem, Home, Provider, Vacancy

CHUNK_SIZE = 4000
STALE_SHARE = 0.15  # of homes whose free beds were last confirmed more than 14 days ago

# Relative market size per city: roughly the older population and the number of private homes.
CITY_WEIGHTS = {
    "310000": 18.0, "320500": 8.0, "330100": 7.5, "320100": 7.0, "340100": 5.0, "330200": 4.5,
    "320200": 4.0, "320600": 3.5, "330300": 3.5, "320400": 3.0, "320300": 3.0, "330600": 2.5,
    "330700": 2.5, "331000": 2.5, "320900": 2.3, "330400": 2.2, "321000": 2.0, "321200": 1.8,
    "340200": 1.8, "320800": 1.6, "330500": 1.5, "321100": 1.5, "341200": 1.5, "320700": 1.4,
    "340800": 1.3, "321300": 1.2, "340300": 1.2, "341500": 1.1, "341100": 1.1, "341300": 1.0,
    "340400": 0.9, "340500": 0.9, "341600": 0.9, "330800": 0.8, "331100": 0.8, "340600": 0.7,
    "341800": 0.7, "330900": 0.6, "340700": 0.5, "341000": 0.5, "341700": 0.4,
}
# Full-care all-in monthly price range in yuan (bed + care + meals) by city tier.
PRICE_TIERS = {"shanghai": (8000, 15000), "major": (5500, 11000), "jszj": (4000, 8000), "anhui": (2500, 6000)}
MAJOR_CITIES = {"320500", "330100", "320100"}  # Suzhou, Hangzhou, Nanjing
# National LTCI pilots (Shanghai, Suzhou, Nantong, Ningbo, Anqing) and early local schemes (Jiaxing, Xuzhou).
LTCI_PILOT_CITIES = {"310000", "320500", "320600", "330200", "340800", "330400", "320300"}
AREA_CODES = {
    "310000": "021", "320100": "025", "320200": "0510", "320300": "0516", "320400": "0519",
    "320500": "0512", "320600": "0513", "320700": "0518", "320800": "0517", "320900": "0515",
    "321000": "0514", "321100": "0511", "321200": "0523", "321300": "0527", "330100": "0571",
    "330200": "0574", "330300": "0577", "330400": "0573", "330500": "0572", "330600": "0575",
    "330700": "0579", "330800": "0570", "330900": "0580", "331000": "0576", "331100": "0578",
    "340100": "0551", "340200": "0553", "340300": "0552", "340400": "0554", "340500": "0555",
    "340600": "0561", "340700": "0562", "340800": "0556", "341000": "0559", "341100": "0550",
    "341200": "0558", "341300": "0557", "341500": "0564", "341600": "0558", "341700": "0566",
    "341800": "0563",
}
BRANDS = ("福寿", "康乐", "颐和", "松鹤", "夕阳红", "仁爱", "慈孝", "安康", "福康", "康宁", "颐康", "寿康",
          "乐龄", "怡园", "和煦", "椿萱", "长青", "金色年华", "悦享", "康馨", "颐年", "孝心", "百岁", "鹤年",
          "福星", "乐寿", "永寿", "康泰", "和颐", "瑞康", "嘉年", "祥和", "春晖", "晚晴", "暖阳", "馨园",
          "安居", "颐心", "福缘", "善德")
CHAIN_SUFFIXES = ("养老集团", "康养集团", "健康产业有限公司", "养老服务连锁有限公司")
MAX_CHAINS_PER_PROVINCE = len(BRANDS) * len(CHAIN_SUFFIXES)
KINDS_EN = {"养老院": "Care Home", "护理院": "Nursing Home", "颐养院": "Retirement Home",
            "康养中心": "Care and Wellness Centre", "老年公寓": "Senior Apartments",
            "福利院": "Social Welfare Home"}
KINDS_BY_PROFILE = {
    "self_only": ("老年公寓", "颐养院"),
    "mostly_self": ("老年公寓", "颐养院", "养老院"),
    "nursing": ("护理院", "康养中心", "养老院"),
    "all": ("养老院", "养老院", "颐养院", "康养中心"),
}
LEVELS_BY_PROFILE = {
    "self_only": ("self_care",),
    "mostly_self": ("self_care", "partial"),
    "nursing": ("partial", "full"),
    "all": ("self_care", "partial", "full"),
}
PROFILE_WEIGHTS = {"self_only": 6, "mostly_self": 5, "nursing": 17, "all": 72}
BRANCHES = (("二院", "No. 2"), ("三院", "No. 3"), ("东院", "East"), ("西院", "West"), ("南院", "South"),
            ("北院", "North"), ("分院", "Branch"))
ROADS = ("人民", "建设", "解放", "中山", "和平", "长江", "新华", "文化", "健康", "振兴", "幸福", "学府",
         "青年", "光明", "东风", "园林", "湖滨", "春晖", "松柏", "康宁", "福安", "丰收", "南湖", "环城",
         "世纪", "友谊", "迎宾", "锦绣", "金桥", "景观", "滨河", "公园")
DISTRICT_SUFFIX_EN = {"district": " District", "county": " County", "county-level city": ""}
GRADE_WEIGHTS = {None: 35, 1: 5, 2: 13, 3: 23, 4: 16, 5: 8}  # ~35% not graded under GB/T 37276
GRADE_MEDIAN_BEDS = {None: 100, 1: 70, 2: 110, 3: 180, 4: 280, 5: 400}
GRADE_PRICE_POSITION = {None: 0.35, 1: 0.2, 2: 0.3, 3: 0.45, 4: 0.6, 5: 0.75}
# optional monthly extras: (share of homes offering it, lowest and highest yuan a month)
DEMO_EXTRAS = {"extra_single_room": (0.3, 500, 2000), "extra_incontinence": (0.4, 200, 600),
               "extra_rehab": (0.25, 300, 1200), "extra_special_diet": (0.2, 150, 500),
               "extra_laundry": (0.3, 80, 200)}
CARE_SHARE = {"self_care": 0.12, "partial": 0.5, "full": 1.0, "dementia": 1.3}  # of the full-care fee
VISITING_HOURS = ("每日 9:00-11:00，14:00-17:00", "每日 8:30-20:00", "周一至周日 9:00-17:00（12:00-14:00 午休）",
                  "预约探视：每日 10:00-16:00", "每日 9:00-19:00，节假日照常")
FEATURE_ZH = {"integrated_medical": "医养结合，院内设医务室", "dementia_unit": "设认知症照护专区",
              "medical_insurance": "医保定点", "ltci": "长护险定点机构",
              "cross_province_settlement": "支持异地就医直接结算"}
FEATURE_EN = {"integrated_medical": "integrated medical and elderly care with an on-site clinic",
              "dementia_unit": "a dedicated dementia unit",
              "medical_insurance": "a medical-insurance designated clinic",
              "ltci": "long-term care insurance designation", "cross_province_settlement":
              "cross-province direct medical settlement"}
OWNERSHIP_ZH = {"private": "民营", "public": "公办", "public_private": "公建民营"}
OWNERSHIP_EN = {"private": "privately run", "public": "public", "public_private": "public-built, privately run"}
DEMO_NOTE_ZH = "【示例数据】本机构为演示自动生成，并非真实机构，信息仅供试用。"
DEMO_NOTE_EN = "Demo data: generated for demonstration; not a real care home."


@functools.cache
def pinyin_of(text):
    """Return TEXT in toneless pinyin, capitalised, with an apostrophe before a vowel-initial syllable."""
    syllables = lazy_pinyin(text)
    joined = syllables[0] + "".join(("'" + s) if s[0] in "aeo" else s for s in syllables[1:])
    return joined.capitalize()


def local_date(moment):
    """Return the Asia/Shanghai calendar date of MOMENT (the demo market's reference date)."""
    return time.business_date(moment)


def _round10_fen(yuan):
    return round(yuan / 10.0) * 1000


def allocate(total, weights):
    """Split TOTAL into integer shares proportional to WEIGHTS (largest remainder), at least 1 each if possible."""
    keys = list(weights)
    floor = 1 if total >= len(keys) else 0
    spare, weight_sum = total - floor * len(keys), sum(weights.values())
    exact = {k: spare * weights[k] / weight_sum for k in keys}
    shares = {k: floor + int(exact[k]) for k in keys}
    leftover = total - sum(shares.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - int(exact[k])), k))[:leftover]:
        shares[k] += 1
    return shares


def _city_tier(city):
    if city.code == "310000":
        return "shanghai"
    if city.code in MAJOR_CITIES:
        return "major"
    return "anhui" if city.province_code == "340000" else "jszj"


DISTRICT_EN = {"310115": ("Pudong", "Pudong New Area"), "320803": ("Huai'an", "Huai'an District")}


def _place_prefix(city, district):
    if district.name == "郊区":  # 铜陵郊区: "suburbs" alone names no place
        return city.short_name + district.name
    # 浦东新区 -> 浦东, 景宁畲族自治县 -> 景宁: how people name the place
    return district.short_name.removesuffix("新").replace("畲族", "")


def district_en(district):
    """Return (short, full) English names of DISTRICT: ("Gusu", "Gusu District"), ("Fengxian", "Fengxian")."""
    if district.code in DISTRICT_EN:
        return DISTRICT_EN[district.code]
    if district.short_name == district.name:  # 丰县 Fengxian, 郊区 Jiaoqu: the pinyin already says it
        return district.pinyin, district.pinyin
    return district.pinyin, district.pinyin + DISTRICT_SUFFIX_EN.get(district.district_type, "")


class _Market:
    """The generator's state: one Random, id counters, names taken, operators created so far."""

    def __init__(self, rng, seed, now, reference_date, first_ids):
        self.rng, self.seed, self.now, self.ref = rng, seed, now, reference_date
        # extras and prepayments draw from their own stream, so the rest of a seed's market stays as it was
        self.extras_rng = random.Random(f"{seed}:extras")
        self.ids = dict(first_ids)
        self.source = f"demo:generator seed={seed}"
        self.names = set()
        self.licence_seq = {}
        self.chains, self.public_operators = {}, {}
        self.rows = {"providers": [], "homes": [], "fee_items": [], "vacancies": []}
        self.counts = {"providers": 0, "homes": 0, "fee_items": 0, "vacancies": 0}

    def _next_id(self, table):
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def take_rows(self):
        """Return the rows generated since the last call, per table, and forget them."""
        rows, self.rows = self.rows, {k: [] for k in self.rows}
        for table, batch in rows.items():
            self.counts[table] += len(batch)
        return rows

    # --- operators -------------------------------------------------------------------------------

    def _new_provider(self, name):
        provider_id = self._next_id("providers")
        self.rows["providers"].append({"id": provider_id, "name": name, "is_demo": True, "created_at": self.now})
        return provider_id

    def _chain(self, province, chain_count):
        slot = self.rng.choices(range(chain_count), weights=_chain_weights(chain_count))[0]
        key = (province.code, slot)
        if key not in self.chains:
            # distinct (brand, suffix) for every slot below MAX_CHAINS_PER_PROVINCE
            brand = BRANDS[(int(province.code[:2]) * 7 + slot) % len(BRANDS)]
            suffix = CHAIN_SUFFIXES[(slot // len(BRANDS) + int(province.code[:2])) % len(CHAIN_SUFFIXES)]
            self.chains[key] = (self._new_provider(f"{province.short_name}{brand}{suffix}（示例）"), brand)
        return self.chains[key]

    def _public_operator(self, district):
        if district.code not in self.public_operators:
            self.public_operators[district.code] = self._new_provider(f"{district.name}社会福利中心（示例）")
        return self.public_operators[district.code]

    def operator_and_brand(self, ownership, city, district, chain_count):
        """Pick the home's operator (a chain, a district welfare centre or a one-home company) and brand."""
        rng = self.rng
        if ownership == "public":
            return self._public_operator(district), rng.choice(BRANDS)
        if rng.random() < (0.45 if ownership == "private" else 0.5):
            return self._chain(gazetteer().province(city.province_code), chain_count)
        brand = rng.choice(BRANDS)
        return self._new_provider(f"{city.short_name}{brand}养老服务有限公司（示例）"), brand

    # --- one home --------------------------------------------------------------------------------

    def _unique_name(self, base, base_en):
        name, name_en = base, base_en
        for branch, branch_en in BRANCHES:
            if name not in self.names:
                break
            name, name_en = base + branch, f"{base_en} ({branch_en})"
        n = 2
        while name in self.names:  # all named branches taken: number the rest
            n += 1
            name, name_en = f"{base}第{n}分院", f"{base_en} (Branch {n})"
        self.names.add(name)
        return name, name_en

    def _names(self, city, district, brand, kind):
        prefix = _place_prefix(city, district)
        base_en = f"{pinyin_of(brand)} {KINDS_EN[kind]}, {district_en(district)[0]}"
        return self._unique_name(f"{prefix}{brand}{kind}", base_en)

    def _address(self, city, district):
        road, number = self.rng.choice(ROADS), self.rng.randint(1, 988)
        suffix = self.rng.choice(("路", "路", "街", "大道"))
        road_en = {"路": "Road", "街": "Street", "大道": "Avenue"}[suffix]
        address = f"{city.name}{district.name}{road}{suffix}{number}号"
        address_en = (f"No. {number} {pinyin_of(road)} {road_en}, "
                      f"{district_en(district)[1]}, {city.pinyin}")
        return address, address_en

    def _phone(self, city):
        # The local part starts with 0, which no Chinese landline number does: it looks right but can
        # never ring a real subscriber. Always 11 digits: 3-digit area codes get 8 digits, 4-digit ones 7.
        area = AREA_CODES[city.code]
        local = "0" + "".join(str(self.rng.randrange(10)) for _ in range(10 - len(area)))
        return f"{area}-{local}"

    def _licence(self, district):
        seq = self.licence_seq.get(district.code, 0) + 1
        self.licence_seq[district.code] = seq
        return f"示例{district.code}{seq:05d}"  # 备案号: 示例 marks it as not a real filing number

    def _location(self, district):
        # urban districts are small, counties and county-level cities large: scatter accordingly
        sigma_km = 2.5 if district.district_type == "district" else 5.0
        while True:
            dy, dx = self.rng.gauss(0, sigma_km), self.rng.gauss(0, sigma_km)
            if math.hypot(dx, dy) <= min(3 * sigma_km, 15.0):
                break
        lat = district.lat + dy / 111.32
        lon = district.lon + dx / (111.32 * math.cos(math.radians(district.lat)))
        return round(lat, 6), round(lon, 6)

    def _grade(self, city):
        grade = self.rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
        if grade is None:
            return {"grade": None, "grade_valid_until": None, "grade_source": ""}
        # ratings are typically valid for three years; ~15% of the graded have lapsed
        valid_until = self.ref + timedelta(days=self.rng.randint(-200, 1095))
        source = f"示例数据：{city.name}民政局养老机构等级评定结果（{valid_until.year - 3}年，虚构）"
        return {"grade": grade, "grade_valid_until": valid_until, "grade_source": source}

    def _beds(self, grade, ownership):
        median = GRADE_MEDIAN_BEDS[grade] * (1.2 if ownership == "public" else 1.0)
        return max(30, min(800, int(median * math.exp(self.rng.gauss(0, 0.45)))))

    def _features(self, city, profile, grade):
        rng = self.rng
        integrated = rng.random() < 0.37 + 0.04 * ((grade or 2) - 2)
        insured = rng.random() < (0.8 if integrated else 0.22)
        dementia_ok = profile in ("nursing", "all")
        return {
            "integrated_medical": integrated,
            "medical_insurance": insured,
            "cross_province_settlement": insured and rng.random() < 0.65,
            "ltci": rng.random() < (0.62 if city.code in LTCI_PILOT_CITIES else 0.22),
            "dementia_unit": dementia_ok and rng.random() < 0.16 + 0.025 * (grade or 1),
        }

    def _services(self, levels, features):
        rng = self.rng
        chances = {"rehabilitation": 0.85 if features["integrated_medical"] else 0.4,
                   "nursing": 1.0 if "full" in levels else 0.3,
                   "hospice": 0.35 if features["integrated_medical"] else 0.03, "respite": 0.45,
                   "day_care": 0.3, "tcm": 0.3, "psychological": 0.35, "activities": 0.9,
                   "escort_to_hospital": 0.6, "dental": 0.08}
        return [s for s, p in chances.items() if rng.random() < p]

    def _included(self):
        chances = {"three_meals": 0.95, "laundry": 0.7, "room_cleaning": 0.85, "basic_medical_checks": 0.6,
                   "activities": 0.8, "utilities": 0.55}
        return [code for code, p in chances.items() if self.rng.random() < p]

    def _full_care_yuan(self, city, grade, ownership):
        low, high = PRICE_TIERS[_city_tier(city)]
        position = GRADE_PRICE_POSITION[grade] + self.rng.gauss(0, 0.15)
        position -= 0.15 if ownership == "public" else 0.0  # public homes are subsidised
        # squash instead of clamping, so no prices pile up at the ends of the range
        return low + (high - low) / (1 + math.exp(-4.5 * (position - 0.5)))

    def _fee_row(self, home_id, level, kind, fen, effective_from):
        return {"id": self._next_id("fee_items"), "home_id": home_id, "care_level": level, "kind": kind,
                "amount_fen": fen, "effective_from": effective_from, "source": self.source,
                "recorded_at": self.now}

    def _monthly_fees(self, full_yuan, levels):
        bed = full_yuan * self.rng.uniform(0.34, 0.42)
        meals = full_yuan * self.rng.uniform(0.12, 0.16)
        care_full = full_yuan - _round10_fen(bed) / 100 - _round10_fen(meals) / 100
        return {level: {"bed": _round10_fen(bed * (1.1 if level == "dementia" else 1.0)),
                        "care": max(_round10_fen(100), _round10_fen(care_full * CARE_SHARE[level])),
                        "meals": _round10_fen(meals)} for level in levels}

    def _deposit(self, fees):
        base_bed = min(level_fees["bed"] for level_fees in fees.values())
        if self.rng.random() < 0.15:  # some homes ask a round sum instead of months of bed fee
            return min(self.rng.choice((5000, 10000, 20000, 30000)) * 100, 12 * base_bed)
        return self.rng.choice((1, 2, 3, 3, 3, 6)) * base_bed

    def _price_change(self, home_id, fees):
        # ~5% of homes announce a rise 30-60 days ahead, so price-change notices have something to show
        when = self.ref + timedelta(days=self.rng.randint(30, 60))
        rise = 1 + self.rng.uniform(0.03, 0.08)
        for level, level_fees in fees.items():
            for kind in ("bed", "care"):
                fen = _round10_fen(level_fees[kind] / 100 * rise)
                self.rows["fee_items"].append(self._fee_row(home_id, level, kind, fen, when))

    def _extras(self, levels):
        """Return {level: {extra kind: fen}}: each extra is offered by a share of homes, at one price per home."""
        rng, offered = self.extras_rng, {}
        for kind, (share, low, high) in DEMO_EXTRAS.items():
            if rng.random() < share:
                offered[kind] = _round10_fen(rng.uniform(low, high))
        return {level: {kind: fen for kind, fen in offered.items()
                        if not (kind == "extra_incontinence" and level == "self_care")} for level in levels}

    def prepayment_months(self):
        """Return the months a demo home asks paid in advance (None: not stated; a few ask over the limit)."""
        rng = self.extras_rng
        if rng.random() < 0.5:
            return None
        return rng.choice((1, 1, 3, 3, 3, 6, 6, 12)) if rng.random() > 0.04 else rng.choice((18, 24))

    def add_fees(self, home_id, full_yuan, levels):
        """Generate the home's fee items: monthly bed, care and meals per level, a deposit, maybe a rise."""
        fees = self._monthly_fees(full_yuan, levels)
        since = self.ref - timedelta(days=self.rng.randint(30, 900))
        deposit = self._deposit(fees)
        for level, level_fees in fees.items():
            for kind, fen in level_fees.items():
                self.rows["fee_items"].append(self._fee_row(home_id, level, kind, fen, since))
            self.rows["fee_items"].append(self._fee_row(home_id, level, "deposit", deposit, since))
        for level, extras in self._extras(levels).items():
            self.rows["fee_items"].extend(self._fee_row(home_id, level, kind, fen, since)
                                          for kind, fen in extras.items())
        if self.rng.random() < 0.05:
            self._price_change(home_id, fees)

    def add_vacancies(self, home_id, levels, beds_total):
        """Generate free beds per level; ~15% of homes were last confirmed more than 14 days ago."""
        stale = self.rng.random() < STALE_SHARE
        for level in levels:
            free = 0 if self.rng.random() < 0.5 else self.rng.randint(1, max(1, min(25, beds_total // 15)))
            age_s = self.rng.randint(15 * 86400, 120 * 86400) if stale else self.rng.randint(600, 13 * 86400)
            self.rows["vacancies"].append({"id": self._next_id("vacancies"), "home_id": home_id,
                                           "care_level": level, "beds_free": free, "source": self.source,
                                           "confirmed_at": self.now - timedelta(seconds=age_s)})

    def _descriptions(self, home, city, district, levels):
        features = [f for f in FEATURE_ZH if home[f]]
        grade_zh = f"，养老机构等级{home['grade']}星" if home["grade"] else ""
        grade_en = f", rated {home['grade']} stars under GB/T 37276" if home["grade"] else ""
        nursing_zh = "提供24小时专业护理，" if "full" in levels else ""
        nursing_en = " 24-hour professional nursing." if "full" in levels else ""
        zh = (f"{home['name']}位于{city.name}{district.name}，是一家{OWNERSHIP_ZH[home['ownership']]}养老机构，"
              f"核定床位{home['beds_total']}张{grade_zh}。{nursing_zh}"
              f"{'、'.join(FEATURE_ZH[f] for f in features) or '环境安静，生活便利'}。{DEMO_NOTE_ZH}")
        en = (f"{home['name_en']} is a {OWNERSHIP_EN[home['ownership']]} care home in {district_en(district)[0]}, "
              f"{city.pinyin}, with {home['beds_total']} beds{grade_en}."
              f"{nursing_en}{' Offers ' + '; '.join(FEATURE_EN[f] for f in features) + '.' if features else ''}"
              f" {DEMO_NOTE_EN}")
        return zh, en

    def _profile_and_levels(self):
        profile = self.rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()))[0]
        return profile, list(LEVELS_BY_PROFILE[profile])

    def _ownership(self):
        return self.rng.choices(("private", "public_private", "public"), weights=(70, 15, 15))[0]

    def _kind(self, profile, ownership):
        if ownership == "public" and profile != "self_only" and self.rng.random() < 0.5:
            return "福利院"  # only public homes are called welfare homes
        return self.rng.choice(KINDS_BY_PROFILE[profile])

    def add_home(self, city, district, chain_count):
        """Generate one home with its operator, fees and vacancies."""
        home_id, ownership = self._next_id("homes"), self._ownership()
        provider_id, brand = self.operator_and_brand(ownership, city, district, chain_count)
        profile, levels = self._profile_and_levels()
        grading = self._grade(city)
        features = self._features(city, profile, grading["grade"])
        levels += ["dementia"] if features["dementia_unit"] else []
        home = self._home_row(home_id, provider_id, city, district, ownership, brand, profile)
        home.update(grading, **features, beds_total=self._beds(grading["grade"], ownership),
                    services=self._services(levels, features), included=self._included())
        home["description"], home["description_en"] = self._descriptions(home, city, district, levels)
        home["prepayment_months"] = self.prepayment_months()
        self.rows["homes"].append(home)
        self.add_fees(home_id, self._full_care_yuan(city, grading["grade"], ownership), levels)
        self.add_vacancies(home_id, levels, home["beds_total"])

    def _home_row(self, home_id, provider_id, city, district, ownership, brand, profile):
        name, name_en = self._names(city, district, brand, self._kind(profile, ownership))
        address, address_en = self._address(city, district)
        lat, lon = self._location(district)
        return {"id": home_id, "provider_id": provider_id, "licence_no": self._licence(district),
                "name": name, "name_en": name_en, "province_code": city.province_code,
                "city_code": city.code, "district_code": district.code, "address": address,
                "address_en": address_en, "lat": lat, "lon": lon, "location_approximate": False,
                "ownership": ownership, "phone": self._phone(city), "website": "",
                "visiting_hours": self.rng.choice(VISITING_HOURS), "review_score": None, "review_count": 0,
                "is_demo": True, "source": self.source, "version": 1, "created_at": self.now,
                "updated_at": self.now}


def _district_weight(district):
    # the urban core holds more homes than a rural county
    return {"district": 3.0, "county-level city": 2.0}.get(district.district_type, 1.0)


def home_plan(homes):
    """Return [(city, count)] for HOMES homes: every city gets some, in proportion to CITY_WEIGHTS."""
    gz = gazetteer()
    shares = allocate(homes, {c.code: CITY_WEIGHTS[c.code] for c in gz.cities})
    return [(gz.city(code), count) for code, count in shares.items()]


def _chain_counts(plan):
    per_province = {}
    for city, count in plan:
        per_province[city.province_code] = per_province.get(city.province_code, 0) + count
    return {code: max(2, min(MAX_CHAINS_PER_PROVINCE, round(n / 40))) for code, n in per_province.items()}


@functools.cache
def _chain_weights(chain_count):
    # a few large chains and a long tail of small ones
    return [1 / math.sqrt(i + 1) for i in range(chain_count)]


def _generate(market, plan, chunk_size):
    chain_counts = _chain_counts(plan)
    made = 0
    for city, count in plan:
        districts = gazetteer().districts_of(city.code)
        weights = [_district_weight(d) for d in districts]
        for district in market.rng.choices(districts, weights=weights, k=count):
            market.add_home(city, district, chain_counts[city.province_code])
            made += 1
            if made % chunk_size == 0:
                yield market.take_rows()
    yield market.take_rows()


TABLES = {"providers": Provider.__table__, "homes": Home.__table__, "fee_items": FeeItem.__table__,
          "vacancies": Vacancy.__table__}


def _first_ids():
    return {name: (db.session.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1 for name, t in TABLES.items()}


def _insert(rows):
    for name, table in TABLES.items():  # parents first: PostgreSQL checks foreign keys per statement
        batch = rows[name]
        for start in range(0, len(batch), CHUNK_SIZE):
            db.session.execute(sa.insert(table), batch[start:start + CHUNK_SIZE])


def _reset_sequences():
    # ids were given explicitly, so PostgreSQL's sequences never advanced: move them past the max
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in TABLES:
        db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                   f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))


def seed_demo(homes, seed, now=None, reference_date=None, chunk_size=CHUNK_SIZE):
    """Generate HOMES demo homes from SEED, insert them in bulk, commit, and return row counts per table.

    Fee dates are anchored to REFERENCE_DATE (default: NOW's date in Asia/Shanghai) and vacancy
    confirmations to NOW (default: the current time), so the same (homes, seed, now) gives identical rows.
    """
    now = (now or utcnow()).replace(microsecond=0)
    market = _Market(random.Random(seed), seed, now, reference_date or local_date(now), _first_ids())
    for rows in _generate(market, home_plan(homes), chunk_size):
        _insert(rows)
    seed_demo_quality(seed, now, market.ref)  # demo inspections, grades, staffing and their ratings
    _reset_sequences()
    db.session.commit()
    return dict(market.counts)


def _referencing(table):
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and other is not table:
                yield other, fk


def _delete_where(table, condition):
    for child, fk in list(_referencing(table)):  # children first, whatever depends on a demo home
        _delete_where(child, fk.parent.in_(sa.select(fk.column).where(condition)))
    return db.session.execute(sa.delete(table).where(condition)).rowcount


def _unreferenced(table):
    # an operator still named by a real home, a user account or anything else is kept
    checks = [~sa.exists().where(fk.parent == fk.column) for _child, fk in _referencing(table)]
    return sa.and_(sa.true(), *checks)


def delete_demo():
    """Delete demo homes (with everything that refers to them) and unused demo operators; return counts."""
    homes = Home.__table__
    deleted = {"homes": _delete_where(homes, homes.c.is_demo.is_(True))}
    providers = Provider.__table__
    deleted["providers"] = db.session.execute(
        sa.delete(providers).where(providers.c.is_demo.is_(True), _unreferenced(providers))).rowcount
    db.session.commit()
    return deleted
