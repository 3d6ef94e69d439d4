"""Benchmark: what-if over 100,000 customers x 20 values of the cost per visit (goal: well under
a second).

``core.whatif.what_if`` (binary searches in the sorted revenues and prefix sums) as interleaved
pairs with the straightforward way: classify every customer again per value with the rule
(``rules.abc_absolute``) and count classes, revenue and changes. Medians of the pairs.

    .venv/bin/python benchmarks/bench_whatif.py [--rows 100000] [--values 20] [--pairs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from xl_cseg.core import rules
from xl_cseg.core.params import Parameters
from xl_cseg.core.whatif import what_if


def per_value(revenue: np.ndarray, today: np.ndarray, params: Parameters, values) -> list:
    """Every customer classified again for every value (the way without the sorted search)."""
    rows = []
    for value in values:
        p = params.with_values(kosten_je_besuch=value)
        grade = rules.abc_absolute(revenue, p.a_threshold, p.c_threshold)
        rows.append(([(grade == k).sum() for k in "ABC"],
                     [revenue[grade == k].sum() for k in "ABC"], (grade != today).sum()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--values", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    revenue = np.round(rng.lognormal(9.6, 1.1, args.rows), -1)
    params = Parameters()
    today = rules.abc_class(revenue, params)
    values = [300.0 + 10 * i for i in range(args.values)]
    fast, slow = [], []
    for _ in range(args.pairs):
        t0 = time.perf_counter()
        result = what_if(revenue, today, params, {"kosten_je_besuch": values})
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        naive = per_value(revenue, today, params, values)
        slow.append(time.perf_counter() - t0)
    assert [r[0][2] for r in naive] == result.table["C Kunden"].tolist()[1:]
    ratio = statistics.median(s / f for f, s in zip(fast, slow))
    print(f"{args.rows:,} Kunden x {args.values} Werte: what_if {statistics.median(fast) * 1000:.1f} ms, "
          f"neu klassifizieren je Wert {statistics.median(slow) * 1000:.1f} ms "
          f"(Median von {args.pairs} Paaren, {ratio:.1f}x)")


if __name__ == "__main__":
    main()
