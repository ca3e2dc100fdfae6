"""Issue 13: no English on a zh-CN page and no Chinese on an English page, except names and addresses.

Every family page is rendered in both languages. Text inside an element marked as a name or address
(`translate="no"`, or `lang` set to the other language, as the language switch is) is left out; all other
visible text must be in the page's own script. A few codes are the same in both languages (GB/T, km, QR).
"""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from core import time
from inquiries import services as inquiry_services
from search.backend import current_backend
from search.outbox import drain
from tests.factories import login_as, make_home, make_user

HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# codes and units that a Chinese page writes in Latin letters too
SHARED_CODES = {"GB", "km", "QR", "API", "CSV", "JSON", "WGS", "CC", "BY", "OpenAPI", "OpenStreetMap", "Leaflet",
                "PDF", "ID", "URL", "AA", "WeChat", "LTCI", "CGCS", "GCJ", "AMap"}
SKIP_TAGS = {"script", "style", "noscript", "title", "svg"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """Collect the text a reader sees, without names/addresses (translate="no") or text in another language."""

    def __init__(self, page_lang):
        super().__init__()
        self.page_lang, self.stack, self.parts = page_lang, [], []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            attrs = dict(attrs)
            for name in ("placeholder", "alt", "aria-label", "value") if tag != "input" or attrs.get(
                    "type") in ("submit", "button") else ("placeholder", "aria-label"):
                if attrs.get(name) and not self._skipping():
                    self.parts.append(attrs[name])
            return
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").lower()
        skip = (tag in SKIP_TAGS or attrs.get("translate") == "no" or "hidden" in attrs
                or (lang and not lang.startswith(self.page_lang)))
        self.stack.append((tag, skip))
        if attrs.get("aria-label") and not self._skipping():
            self.parts.append(attrs["aria-label"])

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _skip = self.stack.pop()
            if open_tag == tag:
                break

    def _skipping(self):
        return any(skip for _tag, skip in self.stack)

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data.strip())


# e-mail addresses, inquiry references and dates in ISO form read the same in both languages
NEUTRAL = re.compile(r"\S+@\S+|YRD-\d{4}-[A-Z0-9]+|\d{4}-\d{2}-\d{2}")


def other_script(html, lang):
    """Return the snippets of HTML's visible text written in the other script than LANG's."""
    parser = _VisibleText("en" if lang == "en" else "zh")
    parser.feed(html)
    found = []
    for text in (NEUTRAL.sub(" ", part) for part in parser.parts):
        if lang == "en":
            found += [text] if HAN.search(text) else []
        else:
            words = [w for w in LATIN_WORD.findall(text) if w not in SHARED_CODES]
            found += [text] if words else []
    return found


@pytest.fixture
def world(app):
    today = time.today()
    homes = [
        make_home("320508", name="姑苏康复养老院", name_en="Gusu Rehab Care Home", grade=4, is_demo=True,
                  source="demo:generator seed=1", visiting_hours="每日 9:00-11:00，14:00-17:00",
                  address_en="1 Test Road, Gusu District, Suzhou", description="示例数据：一家虚构的养老院。",
                  description_en="Demo data: a made-up home.", services=["rehabilitation"], included=["three_meals"],
                  grade_valid_until=today + timedelta(days=200), grade_source="demo"),
        make_home("310104", name="徐汇颐养院", name_en="Xuhui Elderly Home", grade=5, ownership="public",
                  grade_valid_until=today - timedelta(days=2),
                  visiting_hours="周一至周日 9:00-17:00（12:00-14:00 午休）",
                  fees={"self_care": (3000, 500, 1000), "full": (3500, 4000, 1000)}),
        make_home("330106", name="西湖护理院", name_en="", fees={"full": (2000, 3000, 900)},
                  visiting_hours="预约探视：每日 10:00-16:00"),
    ]
    family = make_user("family", email="script-family@example.test")
    inquiry_services.send_inquiry(family, homes[0], kind="visit", contact_name="王小明", contact_phone="13800138000",
                                  contact_consent=True, body="想参观", visit_date=today + timedelta(days=5),
                                  time_slot="morning")
    drain(current_backend())
    return [h.id for h in homes], family


PAGES = ["/", "/?care_level=full&province=320000", "/homes/{0}", "/homes/{0}?care_level=full&from_city=310000",
         "/homes/{1}", "/homes/{2}?care_level=full", "/compare?ids={0},{1},{2}&care_level=full&from_city=310000",
         "/compare?ids={0},{1}", "/ratings", "/account/signup", "/account/login"]
SIGNED_IN = ["/account/inquiries", "/homes/{0}/inquire?kind=visit"]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_page_is_in_one_language(client, world, lang):
    ids, family = world
    client.set_cookie("lang", lang)
    problems = {}
    for signed_in, paths in ((False, PAGES), (True, SIGNED_IN)):
        if signed_in:
            login_as(client, family)
        for path in paths:
            response = client.get(path.format(*ids))
            assert response.status_code == 200, path
            found = other_script(response.get_data(as_text=True), lang)
            if found:
                problems[path] = found[:6]
    assert problems == {}, "\n".join(f"{p}: {v}" for p, v in problems.items())


def test_the_checker_sees_the_other_script():
    assert other_script("<p>价格 <b>From</b></p>", "zh_CN") == ["From"]
    assert other_script("<p>Price 每月</p><p translate='no'>姑苏</p><a lang='zh-CN'>中文</a>", "en") == ["Price 每月"]
    assert other_script("<p>GB/T 42195-2022 国标</p>", "zh_CN") == []
