#!/usr/bin/env python3
"""Median table over several `cargo bench` outputs.

    for i in 1 2 3; do cargo bench > bench-$i.txt; done
    python3 benches/peers/criterion_table.py bench-*.txt

Reads criterion's text output (a benchmark's name, then its `time:` and
`thrpt:` lines, each [low estimate high]) and prints, for every benchmark, the
median over the files of criterion's middle estimate, as a Markdown table.
Time is per iteration; throughput is per second in the benchmark's elements
(events, holds, streams or draws).
"""

import re
import statistics
import sys

UNITS = {"ps": 1e-12, "ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
RATE = {"elem/s": 1.0, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}


def parse(path):
    out, name = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(\S.*?)\s+time:\s+\[(.*)\]", line)
        if m:
            name = m.group(1).strip()
            mid = m.group(2).split()[2:4]
            out.setdefault(name, {})["time"] = float(mid[0]) * UNITS[mid[1]]
            continue
        if line and not line[0].isspace() and "time:" not in line and "/" in line and ":" not in line:
            name = line.strip()
            continue
        m = re.match(r"^\s+time:\s+\[(.*)\]", line)
        if m and name:
            mid = m.group(1).split()[2:4]
            out.setdefault(name, {})["time"] = float(mid[0]) * UNITS[mid[1]]
            continue
        m = re.match(r"^\s+thrpt:\s+\[(.*)\]", line)
        if m and name:
            mid = m.group(1).split()[2:4]
            out.setdefault(name, {})["thrpt"] = float(mid[0]) * RATE[mid[1]]
            name = None
    return out


def fmt_time(s):
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s * 1e12:.3g} ps"


def main():
    runs = [parse(p) for p in sys.argv[1:]]
    names = []
    for r in runs:
        names += [n for n in r if n not in names]
    print(f"| benchmark | time per iteration | throughput (elements/s) | runs |")
    print("| --- | ---: | ---: | ---: |")
    for n in names:
        times = [r[n]["time"] for r in runs if n in r and "time" in r[n]]
        rates = [r[n]["thrpt"] for r in runs if n in r and "thrpt" in r[n]]
        t = fmt_time(statistics.median(times)) if times else ""
        q = f"{statistics.median(rates) / 1e6:.2f} M" if rates else ""
        print(f"| {n} | {t} | {q} | {len(times)} |")


if __name__ == "__main__":
    main()
