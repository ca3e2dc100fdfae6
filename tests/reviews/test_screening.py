"""Automatic review screening: each detector on real Chinese and English text, the database detectors on rows."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.extensions import db
from reviews import screening
from reviews.models import Review, ReviewSignal
from reviews.screening import (
    Signal,
    compare_texts,
    detect_abusive_language,
    detect_link_or_ad,
    detect_personal_data,
    find_abusive_language,
    find_personal_data,
    fingerprint,
    hamming,
    network_of,
    registrable_domain,
    resident_id_valid,
    screen,
    screen_text,
    website_domain,
)
from tests.factories import make_home, make_provider, make_user

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


# --- personal data --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "shown"), [
    ("我的电话是13800138000，有事联系", "mobile", "138****8000"),
    ("我的电话是138 0013 8000，有事联系", "mobile", "138****8000"),
    ("请打+86-139-1234-5678找我", "mobile", "139****5678"),
    ("家属联系(+86)13912345678", "mobile", "139****5678"),
    ("号码：１３８００１３８０００（全角）", "mobile", "138****8000"),
    ("电话一三八 零零一三 八零零零", "mobile", "138****8000"),
    ("打幺三九幺二三四五六七八", "mobile", "139****5678"),
    ("Call my son on 186 2188 0123 any time", "mobile", "186****0123"),
    ("护士站电话0512-66668888", "landline", "0512-****8888"),
    ("晚上打(021)6888 1234找值班", "landline", "021-****1234"),
    ("Reach the office on 021-68881234.", "landline", "021-****1234"),
    ("我的身份证号11010519491231002X，别外传", "resident_id", "110***********002X"),
    ("ID 11010519491231002x was on the form", "resident_id", "110***********002X"),
    ("email me at zhang.san@qq.com", "email", "z***@qq.com"),
    ("有问题发邮件 wang_li@163.com 给我", "email", "w***@163.com"),
    ("联系邮箱ZhangSan@Example.com.cn谢谢", "email", "z***@example.com.cn"),
    ("我住在四平路123弄5号602室", "address", "*弄*号*室"),
    ("地址是3栋2单元301，欢迎来", "address", "*栋*单元*"),
    ("5号楼3单元1202室就是我家", "address", "*号楼*单元*室"),
    ("I live at Room 602, No. 5, Lane 123 Siping Road", "address", "room ***, no. *, lane *** siping road"),
    ("加我微信：zhangsan1985 详聊", "wechat", "微信 zh****85"),
    ("vx: care_home_2024", "wechat", "vx ca****24"),
    ("有事加QQ 12345678", "qq", "qq 12****78"),
])
def test_personal_data_is_found_and_masked(text, kind, shown):
    matches = find_personal_data(text)
    assert [(m["kind"], m["text"]) for m in matches] == [(kind, shown)]
    start, end = matches[0]["start"], matches[0]["end"]
    assert text[start:end].strip()  # the span points into the original text


@pytest.mark.parametrize("text", [
    "收费3500元/月，押金10000元",
    "2024-05-01入住，2024-11-30退住",
    "所在区划代码320508，邮编215000",
    "床位费1500 2000 300元不等",
    "订单号20240501123456789012",
    "身份证110105194912310021",  # 18 digits, wrong check digit
    "我妈住在3号楼，护工很好",
    "5月1号3号楼搞活动，很热闹",
    "Room 5 was clean and bright",
    "微信支付很方便，QQ群也有，微信公众号天天更新",
    "They have a wechat account for families",
    "The home is 20 minutes walk from Nanjing Road",
    "Fees rose from 4,500 to 5,200 yuan in 2024",
    "400-820-8820 is the national service line",
    "三八妇女节和五一劳动节都有活动，一二三四五六七八九十都会数",
])
def test_ordinary_numbers_and_words_are_not_personal_data(text):
    assert find_personal_data(text) == []


def test_gb11643_check_digit_separates_id_numbers_from_other_numbers():
    assert resident_id_valid("11010519491231002X")
    assert resident_id_valid("11010519491231002x")
    assert not resident_id_valid("110105194912310021")
    assert not resident_id_valid("1101051949123100")


def test_personal_data_signal_weighs_the_kinds_found():
    assert detect_personal_data("服务很好，推荐") is None
    one = detect_personal_data("电话13800138000")
    two = detect_personal_data("电话13800138000，身份证11010519491231002X")
    assert one.code == "personal_data" and 0 < one.risk < two.risk <= 100
    assert two.evidence["kinds"] == ["mobile", "resident_id"]
    assert "13800138000" not in json.dumps(two.evidence, ensure_ascii=False)
    assert "11010519491231002X" not in json.dumps(two.evidence, ensure_ascii=False)


def test_a_mobile_inside_a_messenger_mention_is_reported_once():
    matches = find_personal_data("微信 13800138000")
    assert len(matches) == 1


# --- abusive language -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [
    ("这家养老院的院长就是个傻逼", "傻逼"),
    ("傻 逼院长，态度恶劣", "傻逼"),
    ("护工傻*逼", "傻逼"),
    ("ＳＢ护工", "sb"),
    ("你们这帮人渣", "人渣"),
    ("他妈的什么服务", "他妈的"),
    ("护工态度差，nmsl", "nmsl"),
    ("The manager is a fucking idiot", "fuck"),
    ("f u c k this place", "fuck"),
    ("s.h.i.t service", "shit"),
    ("What an a$$hole", "asshole"),
    ("sh1t food every day", "shit"),
    ("ＦＵＣＫ the director", "fuck"),
    ("The nurse called my mother a stupid bitch", "bitch"),
])
def test_abusive_language_is_found_despite_disguise(text, term):
    assert term in {m["term"] for m in find_abusive_language(text)}


@pytest.mark.parametrize("text", [
    "他妈妈的病情稳定了，感谢医生",
    "老人有老年痴呆，护理很到位",
    "垃圾分类做得好，医疗废物处理规范",
    "不用操你的心，护工都安排好了",
    "今日你妈妈来了吗",
    "房间里有usb充电口",
    "早餐有混蛋白粉的燕麦",
    "We drove up from Scunthorpe to visit",
    "The assistant was kind and the class was fun",
    "A cocktail party in the Dickens reading club",
    "Shiitake mushrooms and grapes at lunch",
    "Peter's B wing is quieter; Room 5b has a view",
    "It's hit and miss with the night staff",
    "The therapist passed the hall twice",
])
def test_innocent_words_are_not_abusive(text):
    assert find_abusive_language(text) == []


def test_abuse_signal_records_the_words_and_where_they_are():
    text = "你们这帮人渣，去死吧"
    signal = detect_abusive_language(text)
    assert signal.code == "abusive_language"
    assert [(m["term"], text[m["start"]:m["end"]]) for m in signal.evidence["matches"]] == [
        ("人渣", "人渣"), ("去死吧", "去死吧")]
    assert signal.risk > detect_abusive_language("人渣").risk


@pytest.mark.parametrize("name", ["abuse_zh.txt", "abuse_en.txt", "abuse_allow.txt", "ad_phrases.txt"])
def test_word_lists_say_where_they_come_from(name):
    head = (screening.WORDLISTS / name).read_text(encoding="utf-8").splitlines()[:10]
    assert any("Source:" in line for line in head)


@pytest.mark.parametrize("name", ["abuse_zh.txt", "abuse_en.txt"])
def test_every_listed_term_is_found_in_a_sentence(name):
    for _, term in screening._read_list(name):
        assert term in {m["term"] for m in find_abusive_language(f"我觉得 {term} 。")}, term


# --- links and advertising ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "shown", "url"), [
    ("详情访问www.example.com了解", "www.example.com", "www.example.com"),
    ("see x.cn for more", "x.cn", "x.cn"),
    ("活动见 https://t.cn/A6abc 点进去", "https://t.cn/A6abc", "https://t.cn/a6abc"),
    ("官网 sunshine-care.com.cn/price 有价目表", "sunshine-care.com.cn/price", "sunshine-care.com.cn/price"),
    ("Book at http://CareDeals.top/yrd now.", "http://CareDeals.top/yrd", "http://caredeals.top/yrd"),
    ("ｗｗｗ．ａｂｃ．ｃｏｍ", "ｗｗｗ．ａｂｃ．ｃｏｍ", "www.abc.com"),
])
def test_links_are_found_with_or_without_scheme(text, shown, url):
    signal = detect_link_or_ad(text)
    assert signal is not None
    assert [(m["text"], m["url"]) for m in signal.evidence["links"]] == [(shown, url)]
    assert signal.risk >= 40


@pytest.mark.parametrize("text", [
    "e.g. the 3.5 rating, Mr.Li, No.5 building, i.e. fine",
    "email zhang@qq.com for the photos",
    "node.js is not a website; the garden is 0.5km away",
    "护理很好，环境干净，推荐",
    "参加了vip活动日，很开心",
    "The staff were kind. The food was fine.",
])
def test_ordinary_text_has_no_link_or_ad(text):
    assert detect_link_or_ad(text) is None


@pytest.mark.parametrize("text", [
    "加微信zhangsan1985了解优惠",
    "招商加盟 电话13800138000",
    "call now 138-0013-8000 for a special offer",
    "代理优惠，联系13912345678",
    "扫码加vx: care_2024 返现",
    "Use promo code CARE10, whatsapp 13800138000",
])
def test_adverts_with_contact_details_score_high(text):
    signal = detect_link_or_ad(text)
    assert signal.code == "link_or_ad" and signal.risk >= 70
    assert signal.evidence["contacts"] and signal.evidence["phrases"]


def test_a_price_remark_is_at_most_a_weak_advertising_hint():
    for text in ("价格有优惠吗", "扫码支付很方便", "Is there a discount for couples?"):
        signal = detect_link_or_ad(text)
        assert signal is not None and signal.risk <= 20, text
        assert {m["strength"] for m in signal.evidence["phrases"]} == {"weak"}


# --- fingerprints ---------------------------------------------------------------------------------------

BASE_ZH = "这家养老院环境很好，护工对老人非常耐心，每天都会陪我母亲散步，饭菜也很可口，价格合理，推荐给大家。"
NEAR_ZH = [
    "这家养老院环境很好，护工对老人非常耐心，每天都会陪我父亲散步，饭菜也很可口，价格合理，强烈推荐给大家！",
    "这家养老院环境很好，护工对老人特别耐心，每天陪我母亲散步，饭菜很可口，价格合理，推荐。",
    "环境很好，护工对老人非常耐心，每天都会陪我母亲散步，饭菜也很可口，价格合理，推荐给大家。这家养老院不错",
]
FAR_ZH = [
    "房间有点小，卫生间没有扶手，晚上值班的护士太少，希望院方改进。不过伙食还可以。",
    "这家养老院环境一般，护工态度冷淡，饭菜不合口味，价格偏高，不太推荐。",
    "交通方便，离地铁站很近，周末家属探望很方便，医务室有全科医生值班。",
    "我母亲在这里住了半年，总体满意，护理员很负责，就是收费每年都涨。",
]
BASE_EN = ("The staff were kind and patient with my father, the rooms are clean and bright, and the food is good. "
           "Highly recommended.")
NEAR_EN = [
    "The staff were kind and patient with my mother, the rooms are clean and bright, and the food is tasty. "
    "Highly recommended!",
    "Staff were very kind and patient with my father; rooms are clean and bright and the food is good. Recommended.",
]
FAR_EN = [
    "The rooms are small and the night shift is understaffed. Fees went up twice this year without notice.",
    "Great location near the metro, but the garden is poorly maintained and activities are rare.",
]


def test_fingerprint_is_64_bits_in_hex():
    value = fingerprint(BASE_ZH)
    assert re.fullmatch(r"[0-9a-f]{16}", value), value
    assert fingerprint(BASE_ZH) == fingerprint(BASE_ZH + "  ")
    assert fingerprint("") is None


@pytest.mark.parametrize(("base", "other"), [(BASE_ZH, t) for t in NEAR_ZH] + [(BASE_EN, t) for t in NEAR_EN])
def test_lightly_edited_copies_are_near_duplicates(base, other):
    result = compare_texts(base, other)
    assert result is not None and not result["exact"]
    assert hamming(fingerprint(base), fingerprint(other)) <= screening.NEAR_DUPLICATE_MAX_HAMMING


@pytest.mark.parametrize(("base", "other"), [(BASE_ZH, t) for t in FAR_ZH] + [(BASE_EN, t) for t in FAR_EN])
def test_different_reviews_of_the_same_kind_are_not_duplicates(base, other):
    assert compare_texts(base, other) is None


def test_exact_match_ignores_width_case_spaces_and_punctuation():
    result = compare_texts("护工很耐心，饭菜可口，环境干净，推荐！", "护工很耐心 饭菜可口 环境干净 推荐")
    assert result == {"similarity": 1.0, "hamming": 0, "exact": True}
    assert compare_texts("Kind Staff, CLEAN rooms, good food!", "kind staff clean rooms good food")["exact"]


def test_short_stock_phrases_are_not_duplicates():
    assert compare_texts("很好很好", "很好很好") is None
    assert compare_texts("Very good.", "very good") is None


def test_text_signals_are_json_serialisable_signals():
    signals = screen_text("傻逼院长，电话13800138000，加微信 www.x.cn")
    assert {s.code for s in signals} == {"personal_data", "abusive_language", "link_or_ad"}
    assert all(isinstance(s, Signal) and 0 <= s.risk <= 100 for s in signals)
    json.dumps([s.evidence for s in signals])


review_like_text = st.text(st.sampled_from(list("傻逼微信号楼单元室弄0123456789 -+()@.:：，xX sbfuckwww.cn＋８６")) |
                           st.characters(), max_size=120)


@given(review_like_text)
@settings(max_examples=300, deadline=None)
def test_any_text_screens_without_error_and_spans_point_into_it(text):
    for signal in screen_text(text):
        assert signal.code in screening.CODES and 0 <= signal.risk <= 100
        json.dumps(signal.evidence)
        for key in ("matches", "links", "phrases"):
            for match in signal.evidence.get(key, []):
                assert 0 <= match["start"] < match["end"] <= len(text)
    value = fingerprint(text)
    assert value is None or len(value) == 16


# --- database detectors ---------------------------------------------------------------------------------

def _review(home, text="服务不错", author=None, ip=None, device=None, at=NOW, **fields):
    review = Review(home_id=home.id, author_id=author.id if author else None, relationship="family",
                    period_start=date(2026, 1, 1), period_end=date(2026, 6, 1), overall=4, text=text,
                    source_ip=ip, device_id=device, created_at=at, status=fields.pop("status", "pending"),
                    **fields)
    db.session.add(review)
    db.session.flush()
    return review


def _codes(signals):
    return {s.code: s for s in signals}


def test_screen_sets_the_fingerprint_and_returns_signals_by_risk(app):
    home = make_home()
    review = _review(home, "傻逼院长，电话13800138000")
    signals = screen(review)
    assert review.fingerprint == fingerprint(review.text)
    assert [s.risk for s in signals] == sorted((s.risk for s in signals), reverse=True)
    assert set(_codes(signals)) == {"personal_data", "abusive_language"}


def test_signals_store_in_review_signals_and_read_back(app):
    home = make_home()
    _review(home, BASE_ZH, at=NOW - timedelta(days=3))
    review = _review(home, BASE_ZH + "电话13800138000")
    for signal in screen(review):
        db.session.add(ReviewSignal(review_id=review.id, code=signal.code, risk=signal.risk,
                                    evidence=signal.evidence))
    db.session.commit()
    stored = {s.code: s.evidence for s in db.session.scalars(db.select(ReviewSignal))}
    assert stored["personal_data"]["matches"][0]["text"] == "138****8000"
    assert stored["duplicate_text"]["similar"][0]["similarity"] < 1


def test_an_exact_copy_of_another_review_of_the_home_is_flagged(app):
    home = make_home()
    first = _review(home, BASE_ZH, author=make_user(), at=NOW - timedelta(days=2))
    review = _review(home, BASE_ZH.replace("，", " "), author=make_user())
    signal = _codes(screen(review))["duplicate_text"]
    assert signal.evidence["similar"] == [{"review_id": first.id, "home_id": home.id, "similarity": 1.0,
                                           "hamming": 0, "exact": True}]
    assert signal.risk >= 60


def test_a_near_copy_is_flagged_with_its_similarity(app):
    home = make_home()
    first = _review(home, BASE_EN, at=NOW - timedelta(days=10))
    _review(home, FAR_EN[0], at=NOW - timedelta(days=9))
    review = _review(home, NEAR_EN[0])
    signal = _codes(screen(review))["duplicate_text"]
    [similar] = signal.evidence["similar"]
    assert similar["review_id"] == first.id and 0.5 <= similar["similarity"] < 1 and similar["hamming"] <= 14


def test_the_same_text_from_one_author_across_homes_is_flagged(app):
    author = make_user()
    other_home, home = make_home("320102"), make_home()
    first = _review(other_home, BASE_ZH, author=author, at=NOW - timedelta(days=1))
    signal = _codes(screen(_review(home, BASE_ZH, author=author)))["duplicate_text"]
    assert signal.evidence["similar"][0]["review_id"] == first.id
    assert signal.evidence["similar"][0]["home_id"] == other_home.id


def test_the_same_text_from_one_address_across_homes_is_flagged(app):
    first = _review(make_home("320102"), BASE_EN, ip="203.0.113.7", at=NOW - timedelta(hours=5))
    signal = _codes(screen(_review(make_home(), NEAR_EN[1], ip="203.0.113.7")))["duplicate_text"]
    assert signal.evidence["similar"][0]["review_id"] == first.id


def test_one_template_about_different_homes_from_different_accounts_is_flagged(app):
    first = _review(make_home("320102"), BASE_ZH, author=make_user(), ip="192.0.2.1", at=NOW - timedelta(days=30))
    screen(first)  # every stored review was screened on submission, so it has its fingerprint
    review = _review(make_home(), BASE_ZH, author=make_user(), ip="198.51.100.1")
    signal = _codes(screen(review))["duplicate_text"]
    assert [s["review_id"] for s in signal.evidence["similar"]] == [first.id]


def test_rewriting_ones_own_review_of_a_home_is_not_a_duplicate(app):
    author, home = make_user(), make_home()
    _review(home, BASE_ZH, author=author, at=NOW - timedelta(days=20), superseded=True)
    assert "duplicate_text" not in _codes(screen(_review(home, NEAR_ZH[0], author=author)))


def test_unrelated_other_homes_old_copies_and_short_texts_are_not_duplicates(app):
    home = make_home()
    screen(_review(make_home("320102"), NEAR_ZH[0]))  # an edited copy elsewhere, by someone else: unrelated
    _review(home, BASE_ZH, at=NOW - timedelta(days=91))  # outside the look-back
    _review(home, "很好很好")
    _review(home, FAR_ZH[0])
    assert "duplicate_text" not in _codes(screen(_review(home, BASE_ZH)))
    assert "duplicate_text" not in _codes(screen(_review(home, "很好很好")))


def test_five_reviews_of_a_quiet_home_in_a_day_are_a_burst(app):
    home = make_home()
    for hours in (20, 12, 6, 1):
        _review(home, at=NOW - timedelta(hours=hours))
    signal = _codes(screen(_review(home)))["burst_home"]
    assert signal.evidence["count"] == 5 and signal.evidence["window_hours"] == 24
    assert len(signal.evidence["review_ids"]) == 5


def test_four_reviews_in_a_day_or_five_over_two_days_are_not_a_burst(app):
    home = make_home()
    for hours in (20, 12, 6):
        _review(home, at=NOW - timedelta(hours=hours))
    assert "burst_home" not in _codes(screen(_review(home)))
    other = make_home()
    for hours in (40, 30, 26, 10):
        _review(other, at=NOW - timedelta(hours=hours))
    assert "burst_home" not in _codes(screen(_review(other)))


def test_demo_reviews_are_not_activity(app):
    home = make_home()
    for hours in (20, 12, 6, 1):
        _review(home, BASE_ZH, ip="203.0.113.7", at=NOW - timedelta(hours=hours), is_demo=True)
    assert screen(_review(home, BASE_ZH, ip="203.0.113.7")) == []


def test_a_popular_homes_ordinary_day_is_not_a_burst(app):
    home = make_home()
    for day in range(1, 90):  # two reviews a day for three months
        _review(home, at=NOW - timedelta(days=day, hours=3))
        _review(home, at=NOW - timedelta(days=day, hours=9))
    for hours in (20, 12, 6, 1):
        _review(home, at=NOW - timedelta(hours=hours))
    assert "burst_home" not in _codes(screen(_review(home)))
    for hours in range(2, 20):  # but 24 in a day is more than five times its usual two
        _review(home, at=NOW - timedelta(hours=hours, minutes=30))
    signal = _codes(screen(_review(home)))["burst_home"]
    assert signal.evidence["count"] == 24 and signal.evidence["usual_per_window"] == pytest.approx(178 / 90, 0.01)


def test_many_reviews_from_one_address_are_a_source_burst(app):
    homes = [make_home(), make_home("320506"), make_home("320102")]
    for i, home in enumerate(homes[:2]):
        _review(home, ip="203.0.113.7", at=NOW - timedelta(hours=i + 1))
    signal = _codes(screen(_review(homes[2], ip="203.0.113.7")))["burst_source"]
    [finding] = signal.evidence["findings"]
    assert finding["kind"] == "address" and finding["count"] == 3 and finding["homes"] == 3
    assert finding["source"] == "203.0.113.0/24"  # the network is shown, not the reviewer's address


def test_many_reviews_from_one_network_are_a_source_burst(app):
    home = make_home()
    for i in range(5):
        _review(home, ip=f"198.51.100.{10 + i}", at=NOW - timedelta(hours=i + 1))
    _review(home, ip="198.51.101.10", at=NOW - timedelta(hours=1))  # the next /24: not counted
    signal = _codes(screen(_review(home, ip="198.51.100.99")))["burst_source"]
    assert [(f["kind"], f["count"]) for f in signal.evidence["findings"]] == [("network", 6)]


def test_an_ipv6_64_counts_as_one_network(app):
    home = make_home()
    for i in range(5):
        _review(home, ip=f"2001:db8:abcd:12::{i + 1:x}", at=NOW - timedelta(hours=i + 1))
    _review(home, ip="2001:db8:abcd:13::1", at=NOW - timedelta(hours=1))
    signal = _codes(screen(_review(home, ip="2001:DB8:ABCD:12:0:0:0:99")))["burst_source"]
    assert [(f["kind"], f["source"], f["count"]) for f in signal.evidence["findings"]] == [
        ("network", "2001:db8:abcd:12::/64", 6)]
    assert network_of("::ffff:198.51.100.7") == "198.51.100.0/24"


def test_many_reviews_from_one_device_are_a_source_burst(app):
    home, other = make_home(), make_home("320506")
    _review(home, device="dev-7f3a9c21", ip="203.0.113.1", at=NOW - timedelta(hours=3))
    _review(other, device="dev-7f3a9c21", ip="198.51.100.1", at=NOW - timedelta(hours=2))
    signal = _codes(screen(_review(make_home("320102"), device="dev-7f3a9c21", ip="192.0.2.1")))["burst_source"]
    [finding] = signal.evidence["findings"]
    assert finding["kind"] == "device" and finding["count"] == 3 and finding["source"] == "dev-********"


def test_a_few_reviews_from_one_household_or_old_ones_are_not_a_source_burst(app):
    home = make_home()
    _review(home, ip="203.0.113.7", device="d1", at=NOW - timedelta(hours=2))
    _review(home, ip="203.0.113.7", device="d1", at=NOW - timedelta(days=2))
    _review(home, ip="203.0.113.7", device="d1", at=NOW - timedelta(days=3))
    assert "burst_source" not in _codes(screen(_review(home, ip="203.0.113.7", device="d1")))
    assert "burst_source" not in _codes(screen(_review(home, ip="not an address")))


def test_a_provider_reviewing_its_own_home_is_a_conflict(app):
    provider = make_provider()
    home = make_home(provider_id=provider.id)
    staff = make_user("provider", provider=provider)
    signal = _codes(screen(_review(home, author=staff)))["conflict_of_interest"]
    assert signal.evidence["relations"] == [{"relation": "own_home", "provider_id": provider.id,
                                             "home_id": home.id}]
    assert signal.risk >= 80


def test_a_provider_reviewing_a_rival_in_its_city_is_a_conflict(app):
    ours, theirs = make_provider(), make_provider()
    our_home = make_home("320506", provider_id=ours.id)
    their_home = make_home("320508", provider_id=theirs.id)  # both in Suzhou
    signal = _codes(screen(_review(their_home, author=make_user("provider", provider=ours))))["conflict_of_interest"]
    assert signal.evidence["relations"] == [{"relation": "competitor", "provider_id": ours.id,
                                             "city_code": their_home.city_code,
                                             "competing_home_ids": [our_home.id]}]


def test_a_provider_reviewing_a_home_elsewhere_is_a_weak_link(app):
    ours = make_provider()
    make_home("320102", provider_id=ours.id)  # Nanjing
    signal = _codes(screen(_review(make_home("320508"), author=make_user("provider", provider=ours))))
    assert signal["conflict_of_interest"].evidence["relations"][0]["relation"] == "provider_staff"
    assert signal["conflict_of_interest"].risk < 50


def test_a_reviewer_with_the_operators_mail_domain_is_a_conflict(app):
    provider = make_provider()
    home = make_home(provider_id=provider.id, website="https://www.sunshine-care.com.cn/")
    author = make_user(email="li.ming@mail.sunshine-care.com.cn")
    signal = _codes(screen(_review(home, author=author)))["conflict_of_interest"]
    assert signal.evidence["relations"] == [{"relation": "email_domain", "domain": "sunshine-care.com.cn",
                                             "home_id": home.id}]


def test_a_reviewer_with_a_rivals_mail_domain_is_a_conflict(app):
    rival = make_home("320506", website="www.golden-years.cn")
    home = make_home("320508", provider_id=make_provider().id)
    author = make_user(email="zhao@golden-years.cn")
    signal = _codes(screen(_review(home, author=author)))["conflict_of_interest"]
    assert signal.evidence["relations"][0]["relation"] == "competitor_email_domain"
    assert signal.evidence["relations"][0]["competing_home_ids"] == [rival.id]


def test_families_and_shared_mail_domains_are_not_conflicts(app):
    home = make_home(website="https://www.qq.com/", provider_id=make_provider().id)
    for email in ("wang@qq.com", "li@example.test", None):
        author = make_user(email=email, mobile=None if email else f"+861380013{len(str(email)):04d}")
        assert "conflict_of_interest" not in _codes(screen(_review(home, author=author)))
    assert "conflict_of_interest" not in _codes(screen(_review(home)))  # no author (demo)


def test_domains_are_compared_by_registrable_domain():
    assert registrable_domain("mail.sunshine-care.com.cn") == "sunshine-care.com.cn"
    assert registrable_domain("WWW.Example.COM.") == "example.com"
    assert registrable_domain("localhost") is None
    assert website_domain("http://www.x.cn/about") == "x.cn"
    assert website_domain("x.cn") == "x.cn"
    assert website_domain("") is None
