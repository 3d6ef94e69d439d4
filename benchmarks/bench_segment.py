"""Benchmark: ``xl-cseg segment`` against an openpyxl load/assign/save of the same columns.

Generates a workbook with N customers (default 100,000), then runs each approach in a fresh
subprocess (so peak memory is its own) on its own copy, side by side in one run, and prints
seconds, peak RSS and the ratio. Goals: >= 15x faster than openpyxl, peak RSS <= 400 MB.
The pairs of runs are interleaved and the median ratio is the result (these machines are noisy:
one pair can be off by a quarter either way).
Then the segmented copy once more (a rerun: the output columns exist and are rewritten).
Both children start from compiled bytecode, as an installed program does (a warm-up import
writes it to a temporary cache first).

    .venv/bin/python benchmarks/bench_segment.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import xlsxwriter

HEADERS = ["Kunden-Nr", "Kunde", "Gebiet", "Umsatz Vorvorjahr", "Umsatz Vorjahr", "Potenzial",
           "Verbundenheit"]

CHILD_PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    path = sys.argv[1]
    t0 = time.perf_counter()
""")
CHILD_EPILOGUE = textwrap.dedent("""
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": rss}))
""")

# the command itself, as a rep starts it (its console entry point, tables printed)
XL_CSEG = CHILD_PRELUDE + textwrap.dedent("""
    sys.argv = ["xl-cseg", "segment", path]
    from xl_cseg.cli import main
    try:
        main()
    except SystemExit as exit:
        assert exit.code in (0, None), exit.code
""") + CHILD_EPILOGUE

# The naive way: load the whole workbook with openpyxl, run the same engine, assign the nine
# output columns cell by cell, save. (Never do this to a user's file: it drops the ribbon.)
OPENPYXL = CHILD_PRELUDE + textwrap.dedent("""
    import openpyxl, pandas as pd
    from xl_cseg.core.segment import segment
    from xl_cseg.core.columns import OUTPUT_FIELDS
    keys = {"Kunden-Nr": "customer_id", "Kunde": "name", "Gebiet": "territory",
            "Umsatz Vorvorjahr": "revenue_prev", "Umsatz Vorjahr": "revenue",
            "Potenzial": "potential", "Verbundenheit": "loyalty"}
    wb = openpyxl.load_workbook(path)
    ws = wb["Kunden"]
    rows = list(ws.iter_rows(values_only=True))
    raw = pd.DataFrame(rows[1:], columns=[keys[h] for h in rows[0]])
    out = segment(raw).output
    first = len(rows[0]) + 1
    for c, f in enumerate(OUTPUT_FIELDS):
        ws.cell(row=1, column=first + c, value=f.header)
    for r, values in enumerate(out.itertuples(index=False), start=2):
        for c, v in enumerate(values):
            ws.cell(row=r, column=first + c, value=None if v != v else v)
    wb.save(path)
""") + CHILD_EPILOGUE


def make_workbook(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    potential = np.round(rng.lognormal(10.3, 1.0, rows), -2)
    revenue = np.round(potential * rng.uniform(0.0, 1.1, rows), -1)
    previous = np.round(revenue / rng.uniform(0.8, 1.25, rows), -1)
    loyalty = rng.integers(1, 6, rows)
    areas = np.array(["Nord", "Süd", "West", "Ost"])[rng.integers(0, 4, rows)]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Kunden")
    for c, h in enumerate(HEADERS):
        ws.write_string(0, c, h)
    for i in range(rows):
        r = i + 1
        ws.write_number(r, 0, 100000 + i)
        ws.write_string(r, 1, f"Kunde {i} GmbH")
        ws.write_string(r, 2, areas[i])
        ws.write_number(r, 3, previous[i])
        ws.write_number(r, 4, revenue[i])
        ws.write_number(r, 5, potential[i])
        ws.write_number(r, 6, loyalty[i])
    wb.close()


def child_env(cache: Path) -> dict[str, str]:
    """The children run as installed code does: from compiled bytecode (kept in ``cache``;
    an environment may forbid writing it, and then every start compiles the sources)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(cache)}


def run(script: str, path: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


WARM_UP = "import openpyxl, xl_cseg.cli"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="pairs of runs (interleaved); the median ratio is the result")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "kunden.xlsx"
        make_workbook(base, args.rows)
        env = child_env(Path(tmp) / "pycache")
        subprocess.run([sys.executable, "-c", WARM_UP], check=True, env=env)  # compiles
        print(f"Workbook: {args.rows:,} customers, {base.stat().st_size / 1e6:.1f} MB")
        ratios, peaks = [], []
        for pair in range(1, args.repeat + 1):
            results = {}
            for name, script in (("xl-cseg segment", XL_CSEG),
                                 ("openpyxl load/assign/save", OPENPYXL)):
                copy = Path(tmp) / f"{name.split()[0]}.xlsx"
                shutil.copyfile(base, copy)
                results[name] = run(script, copy, env)
            fast, slow = results["xl-cseg segment"], results["openpyxl load/assign/save"]
            ratios.append(slow["seconds"] / fast["seconds"])
            peaks.append(fast["peak_mb"])
            print(f"pair {pair}: xl-cseg segment {fast['seconds']:6.2f} s (peak RSS "
                  f"{fast['peak_mb']:4.0f} MB), openpyxl {slow['seconds']:6.2f} s (peak RSS "
                  f"{slow['peak_mb']:4.0f} MB): {ratios[-1]:.1f}x", flush=True)
        print(f"ratio: xl-cseg is {statistics.median(ratios):.1f}x faster, median of "
              f"{len(ratios)} pairs (goal >= 15x); peak RSS {max(peaks):.0f} MB "
              "(goal <= 400 MB)")
        # what a rep sees from the second run on: the output columns exist and are rewritten
        rerun = run(XL_CSEG, Path(tmp) / "xl-cseg.xlsx", env)
        print(f"{'xl-cseg segment, rerun':28s} {rerun['seconds']:8.2f} s   "
              f"peak RSS {rerun['peak_mb']:7.0f} MB (not a goal; for comparison)")


if __name__ == "__main__":
    main()
