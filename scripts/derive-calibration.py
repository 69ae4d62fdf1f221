#!/usr/bin/env python3
"""Writes data/reference/wpp2019_bounds_<code>.csv: the UN's probabilistic
TFR and e0 bounds (WPP 2019) of one country, for models that borrow its
uncertainty on the relative scale (`[uncertainty] calibration` in a model
file; see README, "Run a Monte Carlo ensemble").

Columns: quantity (tfr, e0_male, e0_female), start, end (the 5-year
period), l95, l80, median, u80, u95 as the UN publishes them in
tfrprojMed/tfrproj95l/80l/80u/95u and e0{M,F}proj/...95l/80l/80u/95u.

Run from the repository root:
    python3 scripts/derive-calibration.py ../shared/data/wpp2019 158
"""

import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def row(path, code):
    with open(path) as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader)
        for r in reader:
            if r[0] == str(code):
                return header, r
    sys.exit(f"{path}: no row for country {code}")


def main():
    wpp, code = sys.argv[1], int(sys.argv[2])
    sets = [
        ("tfr", "tfrprojMed.txt", "tfrproj"),
        ("e0_male", "e0Mproj.txt", "e0Mproj"),
        ("e0_female", "e0Fproj.txt", "e0Fproj"),
    ]
    out = os.path.join(ROOT, "data", "reference", f"wpp2019_bounds_{code}.csv")
    name = None
    rows = []
    for quantity, median_file, stem in sets:
        files = [f"{stem}95l.txt", f"{stem}80l.txt", median_file, f"{stem}80u.txt", f"{stem}95u.txt"]
        series = [row(os.path.join(wpp, f), code) for f in files]
        header, median = series[2]
        name = median[1]
        for j, period in enumerate(header[2:], start=2):
            start, end = period.split("-")
            values = [s[1][s[0].index(period)] for s in series]
            rows.append([quantity, start, end] + values)
    with open(out, "w", newline="") as f:
        f.write(
            f"# {name} (UN code {code}): probabilistic TFR and e0 bounds of the UN World\n"
            "# Population Prospects 2019 (United Nations Population Division, CC BY 3.0 IGO),\n"
            "# as packaged in R package wpp2019 v1.1-0 (files tfrprojMed, tfrproj95l/80l/80u/95u,\n"
            "# e0Mproj..., e0Fproj...). Written by scripts/derive-calibration.py; values as published.\n"
        )
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["quantity", "start", "end", "l95", "l80", "median", "u80", "u95"])
        w.writerows(rows)
    print(f"wrote {out}: {len(rows)} rows")


main()
