"""Benchmark: a large address-only directory (name, address, province) through the generic `directory` source.

    .venv/bin/python -m bench.directory --rows 50000 [--batch-size 1000] [--out bench/results/...json]

Generates the file (unique names over every YRD district, addresses in the districts' cities, 1 in 50 outside
the YRD), imports it into a fresh SQLite file without a remote geocoder (pins: district or city centres), and
prints rows/s and this process's peak resident memory (VmHWM) as JSON. Never run by the test suite.
"""

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

FIRST = "春夏秋冬松竹梅兰菊荷金银玉石山水云月星辰东南西北红黄蓝绿福禄寿喜安康宁静和乐长青泰华"
SECOND = "园苑庭轩阁居堂舍坊村湾港岭峰溪泉湖海林森桥亭台楼院府宫门街巷里苗城乡洲岛滩"
KINDS = ("颐养院", "护理院", "敬老院", "老年公寓", "养老中心")


def write_directory(path, rows):
    """Write ROWS generated homes (机构名称, 地址, 省份) as UTF-8 CSV; return the number outside the YRD."""
    from geo.gazetteer import gazetteer

    gz = gazetteer()
    districts = gz.districts
    outside = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["机构名称", "地址", "省份"])
        for i in range(rows):
            if i % 50 == 49:
                writer.writerow([f"外省{i}号养老院", f"广州市天河区天河路{i}号", "广东省"])
                outside += 1
                continue
            d = districts[i % len(districts)]
            city = gz.city(d.city_code)
            province = gz.province(d.province_code)
            n = i // len(districts)  # the n-th home of its district: a name no other home there has
            home = f"{d.short_name}{FIRST[n % len(FIRST)]}{SECOND[(n // len(FIRST)) % len(SECOND)]}{KINDS[n % 5]}"
            writer.writerow([home, f"{city.name}{d.name}幸福路{i}号", province.name])
    return outside


def _peak_rss_mb():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def main():
    """Generate, import and report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--out")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-directory-"))
    from app import create_app
    from core.extensions import db
    from geo.services import load_regions
    from ingest import report, services

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'bench.sqlite3'}",
                     SEARCH_INDEX_PATH=str(tmp / "index.sqlite3"), INGEST_DIR=str(tmp / "ingest"),
                     INGEST_GEOCODER=None, SEARCH_SYNC="worker")
    path = tmp / "directory.csv"
    outside = write_directory(path, args.rows)
    with app.app_context():
        db.create_all()
        load_regions()
        load_before, started, cpu_started = os.getloadavg()[0], time.perf_counter(), time.process_time()
        with open(path, "rb") as fh:
            run, _created = services.import_file("directory", fh, path.name, batch_size=args.batch_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        # on a shared machine the wall clock counts the other processes' turns too: the CPU time this process
        # used says what one core of its own would do (SQLite's own work runs in this process as well)
        result = {"rows": args.rows, "seconds": round(seconds, 1), "rows_per_s": round(args.rows / seconds, 1),
                  "cpu_seconds": round(cpu, 1), "rows_per_cpu_s": round(args.rows / cpu, 1),
                  "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
                  "peak_rss_mib": round(_peak_rss_mb() or 0, 1), "batch_size": args.batch_size,
                  "outside_expected": outside, **run.counts(), "status": run.status,
                  "quarantined_by_reason": dict(report.reasons(run))}
    print(json.dumps(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
