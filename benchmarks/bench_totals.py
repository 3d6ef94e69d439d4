"""Benchmark: finding totals and headings in a customer list of 100,000 text numbers.

The reader asks of every row whether its customer number is blank or a text without digits
(``Gesamt:``, ``Region Nord``). With: one regex pass over the joined column
(``reader._wordless_ids``). Without: the same test cell by cell in Python. Interleaved pairs,
the median of the ratios.

    .venv/bin/python benchmarks/bench_totals.py [--rows 100000] [--pairs 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import numpy as np

from xl_cseg.io.reader import _wordless_ids

_DIGIT = re.compile(r"\d")


def per_cell(ids: list) -> tuple[np.ndarray, np.ndarray]:
    """The per-cell test one writes first."""
    n = len(ids)
    blank = np.fromiter((v is None or v == "" or (isinstance(v, str) and not v.strip())
                         for v in ids), dtype=bool, count=n)
    wordy = np.fromiter((type(v) is str and v.strip() != "" and _DIGIT.search(v) is None
                         for v in ids), dtype=bool, count=n)
    return blank, wordy


def seconds(fn, ids: list) -> float:
    t0 = time.perf_counter()
    fn(ids)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    ids = [f"K-{i}" for i in range(args.rows)]
    ids[args.rows // 2], ids[7] = "", "Gesamt:"
    fast, slow = _wordless_ids(ids), per_cell(ids)
    assert (fast[0] == slow[0]).all() and (fast[1] == slow[1]).all()
    with_, without = [], []
    for _ in range(args.pairs):
        with_.append(seconds(_wordless_ids, ids))
        without.append(seconds(per_cell, ids))
    ratio = statistics.median(w / wo for w, wo in zip(with_, without))
    print(f"{args.rows:,} customer numbers: joined regex {statistics.median(with_) * 1e3:.1f} ms, "
          f"per cell {statistics.median(without) * 1e3:.1f} ms (median ratio {ratio:.2f}x)")


if __name__ == "__main__":
    main()
