"""Benchmark: the domain core on 100,000 customers (goal: well under 0.1 s).

Prints the rules alone (ABC, potential class, code, trend, risk, channel: what the method
computes) and the whole ``segment()`` (parsing raw cell values, the row checks and the German
messages included), best of five runs each, next to a naive per-row Python loop.

    .venv/bin/python benchmarks/bench_core.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from xl_cseg.core import rules
from xl_cseg.core.params import Parameters
from xl_cseg.core.segment import segment


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def naive(frame: pd.DataFrame, params: Parameters) -> list[str]:
    """The per-row loop one would write first (for the ratio only)."""
    out = []
    for rev, pot in zip(frame["revenue"], frame["potential"]):
        abc = "A" if rev >= params.a_threshold else "B" if rev >= params.c_threshold else "C"
        share = rev / pot
        cls = ("Maintain" if pot - rev < params.min_offenes_potenzial or
               share >= params.grenze_maintain else "Win" if share < params.grenze_win
               else "Grow")
        out.append(f"{abc}-{cls}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    n = parser.parse_args().rows
    rng = np.random.default_rng(1)
    potential = rng.gamma(2, 30_000, n)
    revenue = potential * rng.uniform(0, 1, n)
    frame = pd.DataFrame({
        "customer_id": np.arange(n, dtype=float), "name": [f"Kunde {i}" for i in range(n)],
        "revenue": revenue, "potential": potential,
        "revenue_prev": revenue * rng.uniform(0.8, 1.2, n),
        "loyalty": rng.integers(1, 6, n).astype(float)})
    params = Parameters()
    rev, pot = frame["revenue"].to_numpy(), frame["potential"].to_numpy()
    prev, loyalty = frame["revenue_prev"].to_numpy(), frame["loyalty"].to_numpy()

    def rules_only() -> None:
        abc = rules.abc_class(rev, params)
        pclass = rules.potential_class(rev, pot, params)
        code = rules.segment_code(abc, pclass)
        trend = rules.revenue_trend(rev, prev)
        rules.risk_text(abc, trend, loyalty, params)
        rules.channel_plan(code, params)

    t_rules = best(rules_only)
    t_segment = best(lambda: segment(frame, params))
    t_naive = best(lambda: naive(frame, params), repeat=2)
    print(f"{n:,} customers")
    print(f"rules alone (vectorized)           {t_rules * 1000:8.1f} ms")
    print(f"segment() incl. parsing and checks {t_segment * 1000:8.1f} ms")
    print(f"naive per-row loop (ABC + class)   {t_naive * 1000:8.1f} ms "
          f"({t_naive / t_rules:.0f}x the vectorized rules)")


if __name__ == "__main__":
    main()
