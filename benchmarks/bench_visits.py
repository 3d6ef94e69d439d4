"""Benchmark: the visit plan and call list of 2,000 customers over 52 weeks (goal: under a
second).

``core.visits.visit_plan`` on a territory as the segmentation makes it (codes from revenue and
potential, postcodes in a few regions, 200 prospects, 300 open measures), the channel matrix's
defaults: far more visits are asked for than one rep can make, so the thinning, the booking of
every slot and the listing of the rest are all measured; ``--ample`` gives the rep room for
every visit (40 a day, 5 days a week), so that every slot is booked. Medians of ``--runs`` runs;
``--naive`` interleaves each run with one that measures the distance to every booked place of a
day (:class:`NaiveRoute`) instead of the day's postcode prefixes (``visits.DayRoute``).

    .venv/bin/python benchmarks/bench_visits.py [--customers 2000] [--weeks 52] [--runs 5]
        [--ample] [--naive]

Figures (2 cores shared with other jobs, so noisy): 2,000 customers, 52 weeks, the default
parameters: 180 ms, without ``DayRoute`` 183 ms (393 visits booked, the rest thinned out or
listed: few days to compare); ``--ample`` (5,366 appointments): 515 ms, without ``DayRoute``
1,289 ms (3 interleaved pairs). Before the days were searched outward from the aim (stopping
where the days off alone cost more than the best day found), ``--ample`` took 763 ms with and
7.8 s without ``DayRoute`` (single runs).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import time

import numpy as np
import pandas as pd

from xl_cseg.core import visits
from xl_cseg.core.params import Parameters
from xl_cseg.core.segment import segment
from xl_cseg.core.visits import visit_plan

TODAY = _dt.date(2026, 12, 1)
START = _dt.date(2027, 1, 4)


def territory(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(9.3, 1.1, n), -1)
    potential = np.round(revenue * rng.uniform(1.0, 4.0, n), -2)
    raw = pd.DataFrame({"customer_id": [f"K{i:05d}" for i in range(n)],
                        "name": [f"Kunde {i}" for i in range(n)], "revenue": revenue,
                        "potential": potential})
    result = segment(raw, Parameters())
    regions = rng.choice(["40", "41", "42", "44", "45", "46", "47", "50", "51", "52"], n)
    customers = pd.DataFrame({
        "customer_id": raw["customer_id"], "name": raw["name"], "code": result.output["code"],
        "visits": result.output["visits"], "revenue": revenue,
        "postcode": [f"{r}{rng.integers(0, 1000):03d}" for r in regions], "city": "Ort"})
    prospects = customers.sample(200, random_state=seed).assign(kind="Interessent")
    measures = pd.DataFrame({
        "customer_id": customers["customer_id"].sample(300, random_state=seed).to_numpy(),
        "measure": "Angebot", "next_step": "nachfassen",
        "due_date": [START + _dt.timedelta(days=int(d)) for d in rng.integers(0, 360, 300)]})
    return customers, prospects, measures


class NaiveRoute:
    """The way without :class:`visits.DayRoute`: the distance to every booked place of the day,
    the nearest taken."""

    def __init__(self) -> None:
        self.places: list[tuple] = []

    @property
    def count(self) -> int:
        return len(self.places)

    def add(self, place: tuple) -> None:
        self.places.append(place)

    def nearest(self, place: tuple) -> float:
        return min((visits.place_distance(place, p) for p in self.places), default=float("inf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ample", action="store_true",
                        help="so many visits a day that every visit gets a day (all booked)")
    parser.add_argument("--naive", action="store_true",
                        help="interleaved pairs with the distance to every booked place")
    args = parser.parse_args()
    params = Parameters(kundentage_woche=5.0, besuche_tag=40.0) if args.ample else Parameters()
    customers, prospects, measures = territory(args.customers)
    times, naive = [], []

    def run():
        t0 = time.perf_counter()
        result = visit_plan(customers, START, args.weeks, params, today=TODAY,
                            prospects=prospects, measures=measures)
        return result, time.perf_counter() - t0

    for _ in range(args.runs):
        plan, took = run()
        times.append(took)
        if args.naive:
            visits.DayRoute, kept = NaiveRoute, visits.DayRoute
            try:
                same, took = run()
            finally:
                visits.DayRoute = kept
            naive.append(took)
            assert same.appointments.equals(plan.appointments), "the naive way plans otherwise"
    total = plan.by_code.loc["Gesamt"]
    print(f"{args.customers} Kunden, {args.weeks} Wochen: {len(plan.appointments)} Termine an "
          f"{len(plan.days)} Kundentagen, {len(plan.calls)} Anrufe; benötigt "
          f"{total['Besuche benötigt']:.0f}, gekürzt {total['gekürzt']:.0f}, ohne Termin "
          f"{total['ohne Termin']:.0f}")
    print(f"visit_plan: median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f} ms, {args.runs} Läufe)")
    if naive:
        print(f"ohne DayRoute (Abstand zu jedem gebuchten Kunden): median "
              f"{statistics.median(naive) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
