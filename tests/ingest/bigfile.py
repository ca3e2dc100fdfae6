"""Large generated Shanghai-format files for the streaming and crash tests, with known expected results."""

import csv

from tests.ingest.samples.make_samples import SH_HEADER

DISTRICTS = ("徐汇区", "静安区", "闵行区", "浦东新区", "长宁区")
FIRST = "春夏秋冬松竹梅兰菊荷金银玉石山水云月星辰东南西北红黄蓝绿福禄寿喜安康宁静和乐长青泰华"
SECOND = "园苑庭轩阁居堂舍坊村湾港岭峰溪泉湖海林森桥亭台楼院府宫门街巷里苗城乡洲岛滩"


def bad(i):
    """Say whether generated row I is broken (an impossible price): every 25th."""
    return i % 25 == 0


def write_shanghai(path, rows):
    """Write ROWS generated homes; return (good rows, bad rows)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SH_HEADER)
        for i in range(rows):
            writer.writerow(row(i))
    broken = sum(1 for i in range(rows) if bad(i))
    return rows - broken, broken


def name(i):
    """Return the distinct name of generated home I (two characters and 颐养院)."""
    return f"{FIRST[i % len(FIRST)]}{SECOND[(i // len(FIRST)) % len(SECOND)]}颐养院"


def number_of(home_name):
    """Return I from a generated home's name (names are unique below len(FIRST) * len(SECOND) rows)."""
    return FIRST.index(home_name[0]) + len(FIRST) * SECOND.index(home_name[1])


def row(i):
    """Return generated row I: bed 2000 + i yuan, a care fee per level, no coordinates."""
    district = DISTRICTS[i % len(DISTRICTS)]
    bed = "-5" if bad(i) else str(2000 + i)
    road = f"{SECOND[i % len(SECOND)]}{FIRST[(i * 7) % len(FIRST)]}路"
    return [str(i + 1), name(i), district, f"{district}{road}{i}号", "", "100", "三级", "民办",
            bed, "900", "500", "1500", "2500", "", "", ""]
