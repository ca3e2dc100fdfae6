"""What search made of the typed words, on the page: a dropped word is named, nonsense gets suggestions;
at desktop and phone width, in both languages."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_word_that_matches_nothing_is_named_and_the_rest_still_finds_homes(page, live_server, size):
    page.set_viewport_size(SIZES[size])
    page.goto(live_server + "/?q=" + quote("杭州 失智 老人") + "&lang=zh_CN")
    expect(page.locator("#results-title")).to_have_text("找到 1 家养老机构")
    note = page.locator(".understanding-note")
    expect(note).to_have_text("没有找到'老人'，已显示其余条件的结果")
    expect(note).to_be_visible()
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"]  # no sideways scrolling
    expect(page.locator(".result")).to_have_count(1)


def test_the_dropped_word_is_named_in_english(page, live_server):
    page.goto(live_server + "/?q=" + quote("hangzhou dementia qwertz") + "&lang=en")
    expect(page.locator(".understanding-note")).to_have_text(
        "No match for 'qwertz'; showing results for the rest of your search.")


@pytest.mark.parametrize("size", list(SIZES))
def test_nonsense_finds_nothing_and_suggests_the_closest_places(page, live_server, size):
    page.set_viewport_size(SIZES[size])
    page.goto(live_server + "/?q=suzhuoo&lang=zh_CN")
    expect(page.locator("#results-title")).to_have_text("找到 0 家养老机构")
    expect(page.locator(".understanding-note")).to_have_text(
        "没有找到与'suzhuoo'相符的机构。 您是不是要找：苏州市、宿州市")
