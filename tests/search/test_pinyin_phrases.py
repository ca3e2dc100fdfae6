"""search/analysis.py loads pypinyin's phrase dictionary itself, with shared readings (issue 17: ~20 MiB less per
worker): the entries must be exactly those pypinyin loads by itself, and readings must not leak between phrases."""

import json
import subprocess
import sys

from pypinyin import lazy_pinyin, pinyin
from pypinyin.constants import PHRASES_DICT

from search import analysis

PYPINYIN_OWN = """
import json, sys
from pypinyin.constants import PHRASES_DICT
json.dump(PHRASES_DICT, sys.stdout, ensure_ascii=False)
"""


def test_the_phrases_are_those_pypinyin_loads_itself():
    own = subprocess.run([sys.executable, "-c", PYPINYIN_OWN], capture_output=True, text=True, encoding="utf-8",
                         timeout=120, check=True).stdout
    expected = json.loads(own)
    assert len(expected) > 40_000
    place_names = set(analysis._place_readings()[1])  # added by the app on top of pypinyin's own
    ours = {phrase: readings for phrase, readings in PHRASES_DICT.items() if phrase not in place_names}
    assert ours == {phrase: readings for phrase, readings in expected.items() if phrase not in place_names}


def test_shared_readings_do_not_leak_between_phrases():
    assert pinyin("重庆") == [["chóng"], ["qìng"]]
    assert pinyin("重要") == [["zhòng"], ["yào"]]
    assert lazy_pinyin("银行") == ["yin", "hang"]
    assert lazy_pinyin("行走") == ["xing", "zou"]
    assert pinyin("重庆") == [["chóng"], ["qìng"]]  # the first answer's conversion changed no stored reading
    assert analysis.han_pinyin("重要银行") == ["zhong", "yao", "yin", "hang"]
