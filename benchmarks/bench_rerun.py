"""Benchmark: the second ``xl-cseg segment`` on the same workbook against the first.

What a rep sees from the second run on: the output columns are there and are rewritten. The
goal (issue 15): on 100,000 customers the rerun takes at most 1.25x the CPU of the first run,
and both peak at <= 400 MB RSS.

A workbook of N customers (``bench_segment.make_workbook``) is segmented by
``python -m xl_cseg segment``, then segmented again in place; each run is a child process of
its own, measured by ``os.wait4`` (CPU = user + system time of the child, wall, peak RSS).
Given several checkouts (e.g. an older commit and this one), their pairs are interleaved:
pair 1 of each checkout, then pair 2 of each, ... (these machines are shared and noisy; the
figures are medians, the ratio that of the medians).

    .venv/bin/python benchmarks/bench_rerun.py [--rows 100000] [--pairs 3] [--compile] [CHECKOUT ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_segment import make_workbook  # noqa: E402

GOAL_RATIO = 1.25
GOAL_PEAK_MB = 400


class Run(NamedTuple):
    wall: float
    cpu: float
    peak_mb: float


def child_env(checkout: Path, cache: Path, compile_all: bool = False) -> dict[str, str]:
    """The checkout's package first on the path, compiled bytecode kept in ``cache`` (as an
    installed program runs). ``compile_all``: no bytecode written to or read from ``cache``,
    so every run compiles all the Python it imports, the libraries' too."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {**env, "PYTHONPATH": str(checkout), "PYTHONPYCACHEPREFIX": str(cache)}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"} if compile_all else env


def run(env: dict[str, str], cwd: Path, *args: str) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "xl_cseg", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: some rows with notes, written
        raise SystemExit(f"xl_cseg {' '.join(args)} failed with exit code {code}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path, default=[HERE.parent],
                        help="checkouts to compare (default: this one)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3,
                        help="first/rerun pairs per checkout (interleaved)")
    parser.add_argument("--compile", action="store_true",
                        help="no bytecode: every run compiles all the Python it imports (with "
                             "PYTHONDONTWRITEBYTECODE set and an empty PYTHONPYCACHEPREFIX; "
                             "about 1.8 s of CPU more per run, the same for both runs)")
    args = parser.parse_args()
    checkouts = [c.resolve() for c in args.checkouts]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "kunden.xlsx"
        make_workbook(base, args.rows)
        print(f"Workbook: {args.rows:,} customers, {base.stat().st_size / 1e6:.1f} MB")
        envs = [child_env(c, Path(tmp) / f"pycache{i}", args.compile)
                for i, c in enumerate(checkouts)]
        for checkout, env in zip(checkouts, envs):
            run(env, checkout, "--help")  # compiles the bytecode
        firsts: list[list[Run]] = [[] for _ in checkouts]
        reruns: list[list[Run]] = [[] for _ in checkouts]
        for pair in range(1, args.pairs + 1):
            for i, (checkout, env) in enumerate(zip(checkouts, envs)):
                copy = Path(tmp) / f"copy{i}.xlsx"
                shutil.copyfile(base, copy)
                first = run(env, checkout, "segment", str(copy))
                again = run(env, checkout, "segment", str(copy))
                firsts[i].append(first)
                reruns[i].append(again)
                print(f"pair {pair} {checkout.name:>12}: first {first.wall:5.2f} s, CPU "
                      f"{first.cpu:5.2f} s, {first.peak_mb:4.0f} MB | rerun {again.wall:5.2f} s, "
                      f"CPU {again.cpu:5.2f} s, {again.peak_mb:4.0f} MB | CPU ratio "
                      f"{again.cpu / first.cpu:.2f}", flush=True)
        print(f"\nmedians of {args.pairs} pairs (goal: rerun CPU <= {GOAL_RATIO}x the first run's,"
              f" peak RSS <= {GOAL_PEAK_MB} MB):")
        for checkout, first, again in zip(checkouts, firsts, reruns):
            f_cpu, r_cpu = (statistics.median(r.cpu for r in runs) for runs in (first, again))
            f_wall, r_wall = (statistics.median(r.wall for r in runs) for runs in (first, again))
            f_peak, r_peak = (max(r.peak_mb for r in runs) for runs in (first, again))
            print(f"{checkout.name:>12}: first {f_wall:5.2f} s / CPU {f_cpu:5.2f} s, rerun "
                  f"{r_wall:5.2f} s / CPU {r_cpu:5.2f} s, rerun / first: CPU "
                  f"{r_cpu / f_cpu:.2f}, wall {r_wall / f_wall:.2f}; peak RSS {f_peak:.0f} / "
                  f"{r_peak:.0f} MB")


if __name__ == "__main__":
    main()
