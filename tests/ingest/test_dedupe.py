"""Duplicate detection on a labelled set of near-duplicate pairs: precision and recall thresholds."""

import pytest

from ingest import dedupe

SZ, WZ, XH, HZ = "320508", "320506", "310104", "330106"


def _listing(name, address, district, lat=None, lon=None):
    return {"name": name, "address": address, "district_code": district, "lat": lat, "lon": lon,
            "location_approximate": lat is None}


# (a, b, the same home?) — as a province list and a city list name the same place, and true neighbours
PAIRS = [
    (_listing("苏州市姑苏区沧浪颐养院", "姑苏区人民路1001号", SZ, 31.3100, 120.6150),
     _listing("沧浪颐养院", "人民路1001号", SZ, 31.3101, 120.6151), True),
    (_listing("苏州市吴中区太湖康养中心", "吴中区东吴南路300号", WZ, 31.2650, 120.6300),
     _listing("吴中太湖康养院(东吴南路院区)", "东吴南路318号", WZ, 31.2700, 120.6330), True),
    (_listing("上海市徐汇区康乐养老院", "徐汇区漕溪北路88号", XH, 31.1850, 121.4350),
     _listing("康乐养老院", "漕溪北路88号", XH, 31.1851, 121.4352), True),
    (_listing("徐汇区枫林街道敬老院", "枫林路120号", XH),
     _listing("上海市徐汇区枫林敬老院", "徐汇区枫林路120号", XH), True),
    (_listing("杭州市西湖区之江颐养院", "之江路100号", HZ, 30.2000, 120.1300),
     _listing("之江颐养院", "西湖区之江路100号", HZ, 30.2002, 120.1301), True),
    (_listing("杭州市西湖区社会福利中心", "西湖区留下街道屏基山路1号", HZ),
     _listing("西湖区社会福利中心(留下院区)", "屏基山路1号", HZ), True),
    (_listing("姑苏区金阊养老服务中心", "金阊街道西中市10号", SZ, 31.3200, 120.6000),
     _listing("苏州市金阊养老院", "西中市10号", SZ, 31.3201, 120.6001), True),
    (_listing("吴中区甪直敬老院", "甪直镇晓市路1号", WZ),
     _listing("苏州市吴中区甪直镇敬老院", "吴中区甪直镇晓市路1号", WZ), True),
    (_listing("上海徐汇颐和护理院有限公司", "虹漕路5号", XH, 31.1700, 121.4100),
     _listing("徐汇颐和护理院", "虹漕路5号", XH, 31.1701, 121.4101), True),
    (_listing("西湖区金秋老年公寓", "文三路50号", HZ, 30.2800, 120.1300),
     _listing("杭州金秋老年公寓", "文三路50号", HZ, 30.2801, 120.1302), True),
    # different homes with similar names or on the same street
    (_listing("徐汇区康乐养老院", "漕溪北路88号", XH, 31.1850, 121.4350),
     _listing("徐汇区康宁养老院", "龙华西路300号", XH, 31.1700, 121.4500), False),
    (_listing("姑苏区沧浪颐养院", "人民路1001号", SZ, 31.3100, 120.6150),
     _listing("姑苏区平江颐养院", "平江路20号", SZ, 31.3200, 120.6300), False),
    (_listing("吴中区太湖康养中心", "东吴南路300号", WZ, 31.2650, 120.6300),
     _listing("吴中区木渎康养中心", "木渎镇中山路8号", WZ, 31.2600, 120.5100), False),
    (_listing("西湖区之江颐养院", "之江路100号", HZ, 30.2000, 120.1300),
     _listing("西湖区之江护理院", "之江路900号", HZ, 30.1800, 120.1000), False),
    (_listing("徐汇区第一社会福利院", "龙吴路1号", XH), _listing("徐汇区第二社会福利院", "龙吴路2000号", XH), False),
    (_listing("姑苏区阳光敬老院", "干将路1号", SZ), _listing("姑苏区夕阳红敬老院", "干将路300号", SZ), False),
    (_listing("西湖区颐乐园", "古墩路10号", HZ, 30.3000, 120.1000), _listing("西湖区颐和园养老院", "天目山路80号", HZ,
                                                                 30.2700, 120.1200), False),
    (_listing("沧浪颐养院", "人民路1001号", SZ), _listing("沧浪颐养院", "人民路1001号", WZ), False),  # another district
    (_listing("吴中区福寿养老院", "宝带东路5号", WZ, 31.2800, 120.6400),
     _listing("吴中区长寿养老院", "宝带西路500号", WZ, 31.2850, 120.6000), False),
    (_listing("徐汇区爱晚亭养老院", "斜土路10号", XH), _listing("徐汇区晚霞养老院", "斜土路1200号", XH), False),
]


def _confusion(threshold):
    tp = sum(1 for a, b, same in PAIRS if same and dedupe.score(a, b) >= threshold)
    fp = sum(1 for a, b, same in PAIRS if not same and dedupe.score(a, b) >= threshold)
    fn = sum(1 for a, b, same in PAIRS if same and dedupe.score(a, b) < threshold)
    return tp, fp, fn


def test_candidates_for_a_regulator_have_high_recall_and_precision():
    tp, fp, fn = _confusion(dedupe.QUEUE_AT)
    assert tp / (tp + fn) >= 0.9, "recall of duplicates found (merged or queued)"
    assert tp / (tp + fp) >= 0.9, "precision of duplicates found"


def test_automatic_merges_are_never_wrong_on_the_labelled_set():
    tp, fp, fn = _confusion(dedupe.MERGE_AT)
    assert fp == 0 and tp >= 5


@pytest.mark.parametrize("name, key", [("苏州市吴中区太湖康养中心", "太湖"), ("上海徐汇颐和护理院有限公司", "颐和"),
                                       ("吴中太湖康养院（东吴南路院区）", "太湖康养院东吴南路院区")])
def test_name_keys_drop_own_place_names_and_generic_words(name, key):
    district = "310104" if "徐汇" in name else "320506"
    assert dedupe.name_key(name, district) == key


def test_a_place_name_inside_the_distinctive_part_is_kept():
    assert dedupe.name_key("吴中区太湖养老院", "320506") == "太湖"  # 太湖 is also a county in Anhui
