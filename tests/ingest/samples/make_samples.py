"""Write the sample files of tests/ingest/samples (run once; the outputs are kept in the repository).

Each province's list in its own layout, units, encoding and coordinate system, with the broken rows the tests
expect (comments name them). `python -m tests.ingest.samples.make_samples` rewrites them all.
"""

import csv
from pathlib import Path

from geo import coords

HERE = Path(__file__).resolve().parent

SH_HEADER = ["序号", "机构名称", "所在区", "机构地址", "联系电话", "核定床位数", "机构等级", "性质", "床位费（元/月）",
             "伙食费（元/月）", "护理费-自理（元/月）", "护理费-介助（元/月）", "护理费-介护（元/月）",
             "认知症照护费（元/月）", "经度", "纬度"]


def _gcj(lat, lon):
    glat, glon = coords.wgs84_to_gcj02(lat, lon)
    return f"{glon:.6f}", f"{glat:.6f}"


def _bd(lat, lon):
    blat, blon = coords.wgs84_to_bd09(lat, lon)
    return f"{blon:.6f}", f"{blat:.6f}"


def shanghai_rows(version=1):
    """Rows of the Shanghai list; version 2 changes one price, keeps one home, adds one."""
    rows = [
        ["1", "上海市徐汇区康乐养老院", "徐汇区", "徐汇区漕溪北路 88 号", "021-64000001", "120", "三级", "公办",
         "2500", "900", "800", "1600", "2600", "", *_gcj(31.1850, 121.4350)],
        ["2", "静安区福寿老年公寓", "静安", "静安区共和新路 1200 号", "021-56000002", "80", "二级", "民办",
         "3000", "1000", "1000", "2000", "3200", "4200", *_gcj(31.2600, 121.4500)],
        ["3", "闵行区颐和护理院", "闵行区", "闵行区七莘路 300 号", "", "200", "五级", "公建民营",
         "4500", "1200", "", "2500", "3800", "5000", *_gcj(31.1200, 121.3800)],
        # broken: an impossible (negative) bed fee
        ["4", "浦东新区夕阳红敬老院", "浦东新区", "浦东新区张杨路 50 号", "", "60", "一级", "民办",
         "-2000", "800", "500", "", "", "", *_gcj(31.2300, 121.5400)],
        # broken: no such district in Shanghai
        ["5", "虹桥新区安康养老院", "虹桥新区", "虹桥路 1 号", "", "50", "二级", "民办",
         "2000", "800", "500", "", "", "", "", ""],
        # broken: the same home as row 2 again
        ["6", "静安区福寿老年公寓", "静安区", "静安区共和新路1200号", "021-56000002", "80", "二级", "民办",
         "3000", "1000", "1000", "2000", "3200", "4200", *_gcj(31.2600, 121.4500)],
        # broken: no name
        ["7", "", "徐汇区", "徐汇区虹漕路 5 号", "", "40", "", "民办", "2000", "800", "500", "", "", "", "", ""],
    ]
    if version == 2:
        rows[0][8] = "2700"  # the bed fee went up
        rows = rows[:3] + [["8", "浦东新区金色港湾养老院", "浦东新区", "浦东新区锦绣路 2000 号", "", "150", "四级",
                            "民办", "3600", "1100", "900", "1800", "3000", "", *_gcj(31.2100, 121.5500)]]
    return rows


JS_HEADER = ["机构名称", "备案编号", "行政区划代码", "详细地址", "联系电话", "床位总数", "星级评定", "运营性质",
             "床位费（元/天）", "伙食费（元/天）", "自理护理费（元/天）", "半失能护理费（元/天）",
             "失能护理费（元/天）", "百度经度", "百度纬度"]


def jiangsu_rows():
    """Rows of the Jiangsu list (yuan per day, BD-09, codes, stars)."""
    return [
        ["苏州市姑苏区沧浪颐养院", "32050800001", "320508", "姑苏区人民路 1001 号", "0512-65000001", 150, "★★★★",
         "公办", 80, 30, 20, 50, 90, *_bd(31.3100, 120.6150)],
        ["苏州市吴中区太湖康养中心", "32050600002", "320506", "吴中区东吴南路 300 号", "", 300, "五星级", "民办",
         120, 40, 30, 60, 110, *_bd(31.2650, 120.6300)],
        ["南京市玄武区钟山养老院", "32010200003", "320102", "玄武区中山门大街 10 号", "", 90, "三星", "公建民营",
         70, 25, 15, 40, 80, *_bd(32.0500, 118.8000)],
        # broken: a code that does not exist
        ["某某养老院", "32999900004", "329999", "不存在路 1 号", "", 50, "★★", "民办", 60, 20, 10, 30, 50, "", ""],
        # broken: a Zhejiang district in the Jiangsu list
        ["西湖区越界养老院", "33010600005", "330106", "西湖区 1 号", "", 50, "★★", "民办", 60, 20, 10, 30, 50,
         *_bd(30.2600, 120.1200)],
        # broken: a grade that does not exist
        ["南京市鼓楼区六星养老院", "32010600006", "320106", "鼓楼区中山北路 5 号", "", 50, "六星级", "民办",
         60, 20, 10, 30, 50, *_bd(32.0700, 118.7600)],
        # doubtful: coordinates in Beijing for a Nanjing home
        ["南京市鼓楼区远方养老院", "32010600007", "320106", "鼓楼区北京西路 9 号", "", 50, "★★", "民办",
         60, 20, 10, 30, 50, *_bd(39.9000, 116.4000)],
    ]


ZJ_HEADER = ["单位名称", "设区市", "县（市、区）", "地址", "电话", "床位数", "等级",
             "床位费含护理费-自理（元/月）", "床位费含护理费-介助（元/月）", "床位费含护理费-介护（元/月）",
             "膳食费（元/月）", "经度", "纬度"]


def zhejiang_rows():
    """Rows of the Zhejiang list (GBK, letters, bed fee includes care, WGS-84)."""
    return [
        ["杭州市西湖区之江颐养院", "杭州市", "西湖区", "西湖区之江路 100 号", "0571-87000001", "200", "AAAA",
         "3500", "4800", "6500", "1200", "120.1300", "30.2000"],
        ["杭州市拱墅区运河养老服务中心", "杭州", "拱墅区", "拱墅区湖墅南路 66 号", "", "120", "AAA",
         "2800", "3900", "5200", "1000", "120.1550", "30.3000"],
        ["宁波市鄞州区东湖敬老院", "宁波市", "鄞州区", "鄞州区天童南路 8 号", "", "80", "AA",
         "2200", "3000", "", "900", "121.5500", "29.8200"],
        # broken: an impossible all-in price (12 yuan a month)
        ["杭州市余杭区良渚养老院", "杭州市", "余杭区", "余杭区良渚街道 1 号", "", "60", "A",
         "12", "", "", "", "119.9500", "30.3700"],
        # broken: a grade not on the letters scale
        ["宁波市鄞州区福星养老院", "宁波市", "鄞州区", "鄞州区福明路 3 号", "", "60", "A+",
         "2500", "", "", "800", "121.5600", "29.8300"],
    ]


AH_HEADER = ["机构名称", "所在市", "所在县（区）", "机构地址", "联系方式", "床位（张）", "评定等级",
             "月收费标准-自理（元）", "月收费标准-半失能（元）", "月收费标准-失能（元）"]


def anhui_rows():
    """Rows of the Anhui list (GB18030, no coordinates, all-in monthly fees, grade numbers)."""
    return [
        ["合肥市蜀山区安康养老院", "合肥市", "蜀山区", "蜀山区长江西路 500 号", "0551-63000001", "150", "3",
         "2600", "3800", "5200"],
        ["合肥市包河区滨湖颐养中心", "合肥市", "包河区", "包河区徽州大道 2000 号", "", "300", "4",
         "3200", "4500", "6000"],
        ["芜湖市镜湖区江城敬老院", "芜湖市", "镜湖区", "镜湖区中山路 12 号", "", "70", "",
         "1800", "2600", ""],
        # broken: a Jiangsu city in the Anhui list
        ["南京市秦淮区越省养老院", "南京市", "秦淮区", "秦淮区 1 号", "", "50", "2", "2000", "", ""],
        # broken: a price that is not a number
        ["合肥市庐阳区面议养老院", "合肥市", "庐阳区", "庐阳区 2 号", "", "50", "2", "面议", "", ""],
    ]


SZ_HEADER = ["养老机构名称", "区（县级市）", "地址", "床位", "星级", "自理月费（元）", "护理月费（元）", "经度", "纬度"]


def suzhou_rows():
    """Rows of the Suzhou city list: two homes also in the Jiangsu list, named a little differently."""
    return [
        # the Jiangsu list's 苏州市姑苏区沧浪颐养院 at the same place: merged automatically
        ["沧浪颐养院", "姑苏区", "人民路1001号", "150", "四星", "5000", "9000", *_gcj(31.3101, 120.6151)],
        # the Jiangsu list's 苏州市吴中区太湖康养中心, renamed and 600 m away: queued for a regulator
        ["吴中太湖康养院（东吴南路院区）", "吴中区", "东吴南路 318 号", "300", "五星", "6000", "10000",
         *_gcj(31.2700, 120.6330)],
        # a home only the city lists
        ["苏州市相城区阳澄湖养老院", "相城区", "相城大道 500 号", "100", "", "4200", "7800",
         *_gcj(31.3700, 120.6400)],
    ]


def _csv(name, header, rows, encoding):
    with open(HERE / name, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _xlsx(name, header, rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([float(c) if isinstance(c, str) and c.replace(".", "").isdigit() and "." in c else c
                      for c in row])
    book.save(HERE / name)


def main():
    """Write every sample file."""
    _csv("shanghai_2025q1.csv", SH_HEADER, shanghai_rows(1), "utf-8-sig")
    _csv("shanghai_2025q2.csv", SH_HEADER, shanghai_rows(2), "utf-8-sig")
    _xlsx("jiangsu_2025.xlsx", JS_HEADER, jiangsu_rows())
    _xlsx("jiangsu_missing_columns.xlsx", [h for h in JS_HEADER if h != "行政区划代码"],
          [r[:2] + r[3:] for r in jiangsu_rows()])
    _csv("zhejiang_2025_gbk.csv", ZJ_HEADER, zhejiang_rows(), "gbk")
    _csv("anhui_2025_gb18030.csv", AH_HEADER, anhui_rows(), "gb18030")
    _xlsx("anhui_2025.xlsx", AH_HEADER, anhui_rows())
    _csv("suzhou_2025.csv", SZ_HEADER, suzhou_rows(), "utf-8")
    (HERE / "not_a_table.xlsx").write_bytes(b"this is not a workbook")


if __name__ == "__main__":
    main()
