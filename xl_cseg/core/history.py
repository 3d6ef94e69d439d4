"""Customer history: revenue over several years ("Umsatz 2021" ... "Umsatz 2025").

With three or more revenue years a customer gets the average yearly growth over all years
present (compound: (last / first) ^ (1 / years between) - 1, from the first year with revenue)
and the number of years its revenue has fallen in a row up to last year ("rückläufig seit N
Jahren"). The risk rule uses it: an A or B customer falling for :data:`RISK_YEARS` years or more
is at risk. With two years (last year and the year before) nothing here applies: the
segmentation stays as it is.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .columns import HISTORY_OUTPUT_FIELDS, HISTORY_PREFIX

MIN_YEARS = 3  # fewer revenue years: no history figures (Umsatzentwicklung says it all)
RISK_YEARS = 2  # A/B customers falling this many years in a row are at risk
HISTORY_KEYS = tuple(f.key for f in HISTORY_OUTPUT_FIELDS)


def year_key(year: int) -> str:
    return f"{HISTORY_PREFIX}{year}"


def history_figures(revenues: Mapping[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Average yearly growth (fraction; NaN without two years of revenue) and consecutive
    years of decline up to the latest year (0 when last year did not fall; counted while both
    years of a step are known), per customer, from revenue arrays by year."""
    years = sorted(revenues)
    table = np.vstack([np.asarray(revenues[y], dtype=float) for y in years])  # years x customers
    n = table.shape[1]
    positive = table > 0
    has_first = positive.any(axis=0)
    first = np.argmax(positive, axis=0)  # first year with revenue
    last_known = ~np.isnan(table[-1])
    span = np.array(years, dtype=float)[-1] - np.array(years, dtype=float)[first]
    start = table[first, np.arange(n)]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        growth = np.where(has_first & last_known & (span > 0),
                          np.power(table[-1] / start, 1.0 / np.where(span > 0, span, 1.0)) - 1.0,
                          np.nan)
    falling = table[1:] < table[:-1]  # NaN compares False: a gap ends the run
    declining = np.zeros(n, dtype=int)
    running = np.ones(n, dtype=bool)
    for step in range(falling.shape[0] - 1, -1, -1):
        running &= falling[step]
        declining += running
    return growth, declining


def history_risk(grade: np.ndarray, declining: np.ndarray) -> np.ndarray:
    """The risk text of A/B customers falling :data:`RISK_YEARS` years or more in a row."""
    out = np.full(len(grade), np.nan, dtype=object)
    hit = ((grade == "A") | (grade == "B")) & (declining >= RISK_YEARS)
    out[hit] = [f"rückläufig seit {int(n)} Jahren" for n in declining[hit]]
    return out


def joined_risk(risk: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Two risk columns as one ("a; b"), either alone where the other is empty."""
    out = risk.copy()
    both = (extra == extra) & (risk == risk)
    only = (extra == extra) & ~(risk == risk)
    out[only] = extra[only]
    out[both] = [f"{a}; {b}" for a, b in zip(risk[both], extra[both])]
    return out
