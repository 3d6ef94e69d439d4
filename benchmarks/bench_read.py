"""Benchmark: reading the customer table of a big sheet through the reader's fastexcel path
against python-calamine alone (the same entry, ``io.sheetvalues``, with the size threshold
lifted), on a fresh list and on a segmented one (a rerun: the nine output columns exist and
are left out of the fast read).

Each read runs in a fresh subprocess (own peak memory), the two ways interleaved in pairs; the
medians are the result. This is the figure behind ``sheetvalues.MIN_SHEET_BYTES`` and the
fastexcel path.

    .venv/bin/python benchmarks/bench_read.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_segment import child_env, make_workbook  # noqa: E402

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    path, way = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    from xl_cseg.io import sheetvalues
    from xl_cseg.io.reader import load
    if way == "calamine":
        sheetvalues.MIN_SHEET_BYTES = float("inf")
    source, table = load(path, 2026)
    fast = isinstance(table.grid, sheetvalues.ColumnGrid)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": ru.ru_maxrss / 1024,
                      "rows": len(table.rows), "fast": fast}))
""")


def run(path: Path, way: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), way], capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "kunden.xlsx"
        make_workbook(fresh, args.rows)
        env = child_env(Path(tmp) / "pycache")
        segmented = Path(tmp) / "segmentiert.xlsx"
        segmented.write_bytes(fresh.read_bytes())
        subprocess.run([sys.executable, "-m", "xl_cseg", "segment", str(segmented)],
                       check=True, env=env, capture_output=True)
        for label, path in (("fresh list", fresh), ("segmented (rerun)", segmented)):
            figures: dict[str, list[dict]] = {"fastexcel": [], "calamine": []}
            for pair in range(args.repeat):
                ways = ("fastexcel", "calamine") if pair % 2 == 0 else ("calamine", "fastexcel")
                for way in ways:
                    figures[way].append(run(path, way, env))
            fast, slow = figures["fastexcel"], figures["calamine"]
            assert all(f["fast"] for f in fast) and not any(f["fast"] for f in slow)
            ratio = statistics.median(s["seconds"] / f["seconds"] for f, s in zip(fast, slow))
            print(f"{label}: fastexcel path {statistics.median(f['seconds'] for f in fast):.2f} s "
                  f"(peak {max(f['peak_mb'] for f in fast):.0f} MB), python-calamine "
                  f"{statistics.median(s['seconds'] for s in slow):.2f} s "
                  f"(peak {max(s['peak_mb'] for s in slow):.0f} MB): {ratio:.2f}x, median of "
                  f"{args.repeat} pairs", flush=True)


if __name__ == "__main__":
    main()
