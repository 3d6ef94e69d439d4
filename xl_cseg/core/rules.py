"""The segmentation rules, vectorized: one function per rule on numpy arrays.

The segmentation (a whole table) and a worksheet formula (one customer, an array of one) call
the same functions. Missing inputs are NaN and propagate: a rule never guesses a value it was
not given.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from . import german
from .params import ABC_CLASSES, POTENTIAL_CLASSES, Parameters

WIN, GROW, MAINTAIN = "Win", "Grow", "Maintain"


def abc_class(revenue: np.ndarray, params: Parameters) -> np.ndarray:
    """A/B/C by the chosen method (object array); NaN revenue gives NaN. Zero revenue is C."""
    if params.abc_methode == "pareto":
        return abc_pareto(revenue, params.pareto_a, params.pareto_b)
    return abc_absolute(revenue, params.a_threshold, params.c_threshold)


def abc_absolute(revenue: np.ndarray, a_threshold: float, c_threshold: float) -> np.ndarray:
    """A from the A threshold, B from the C-customer threshold (both inclusive), else C; NaN
    (missing) stays NaN."""
    index = 2 - (revenue >= c_threshold) - (revenue >= a_threshold)  # 0 A, 1 B, 2 C
    index[np.isnan(revenue)] = 3
    return _ABC_TABLE[index]


_ABC_TABLE = np.array([*ABC_CLASSES, np.nan], dtype=object)


def abc_pareto(values: np.ndarray, share_a: float, share_b: float) -> np.ndarray:
    """Pareto ABC: the largest customers up to ``share_a`` of revenue are A, the next ``share_b`` B.

    A customer's class depends on the revenue share of all strictly larger customers, so equal
    revenues always get the same class and more revenue never gives a lower class.
    """
    out = np.full(len(values), np.nan, dtype=object)
    valid = ~np.isnan(values)
    positive = np.where(valid, np.clip(values, 0, None), 0.0)
    total = positive.sum()
    out[valid] = "C"
    if total > 0:
        order = np.argsort(-positive, kind="stable")
        sorted_vals = positive[order]
        before = np.cumsum(sorted_vals) - sorted_vals
        # ties: every equal revenue takes the share before its first occurrence
        first = np.searchsorted(-sorted_vals, -sorted_vals, side="left")
        share_before = before[first] / total
        cls = np.where(share_before < share_a - 1e-12, "A",
                       np.where(share_before < share_a + share_b - 1e-12, "B", "C"))
        cls = np.where(sorted_vals > 0, cls, "C")
        ranked = np.empty(len(values), dtype=object)
        ranked[order] = cls
        out[valid] = ranked[valid]
    return out


def share_of_wallet(revenue: np.ndarray, potential: np.ndarray) -> np.ndarray:
    """Revenue / estimated potential; NaN where the potential is missing or not positive."""
    return revenue / np.where(potential > 0, potential, np.nan)


def potential_class(revenue: np.ndarray, potential: np.ndarray, params: Parameters
                    ) -> np.ndarray:
    """Win below ``grenze_win``, Maintain from ``grenze_maintain`` or when the open potential is
    below the minimum amount (including revenue above potential), else Grow; NaN where the
    potential is missing or not positive."""
    share = share_of_wallet(revenue, potential)
    # comparisons with NaN are simply False (numpy does not warn about them)
    maintain = (potential - revenue < params.min_offenes_potenzial) | \
        (share >= params.grenze_maintain)
    win = (share < params.grenze_win) & ~maintain
    index = 1 + maintain - win  # 0 Win, 1 Grow, 2 Maintain
    index[np.isnan(share)] = 3
    return _CLASS_TABLE[index]


_CLASS_TABLE = np.array([WIN, GROW, MAINTAIN, np.nan], dtype=object)

_ABC_INDEX, _CLASS_INDEX = pd.Index(ABC_CLASSES), pd.Index(POTENTIAL_CLASSES)
_CODE_TABLE = np.array([f"{a}-{p}" for a in ABC_CLASSES for p in POTENTIAL_CLASSES] + [np.nan],
                       dtype=object)


def segment_code(abc: np.ndarray, pclass: np.ndarray) -> np.ndarray:
    """Combined code such as "C-Win" (object arrays); NaN when either part is missing."""
    cell = matrix_cells(abc, pclass)
    return _CODE_TABLE[np.where(cell < 0, len(_CODE_TABLE) - 1, cell)]


def matrix_cells(abc: np.ndarray | pd.Series, pclass: np.ndarray | pd.Series) -> np.ndarray:
    """Cell of the 3x3 matrix per customer, row by row (A-Win 0 ... C-Maintain 8); -1 where
    either part is missing."""
    a_idx = _ABC_INDEX.get_indexer(abc)
    p_idx = _CLASS_INDEX.get_indexer(pclass)
    return np.where((a_idx < 0) | (p_idx < 0), -1, a_idx * len(POTENTIAL_CLASSES) + p_idx)


def segment_code_of(abc: object, pclass: object) -> object:
    """:func:`segment_code` of one customer."""
    if abc not in ABC_CLASSES or pclass not in POTENTIAL_CLASSES:
        return np.nan
    return _CODE_TABLE[ABC_CLASSES.index(abc) * 3 + POTENTIAL_CLASSES.index(pclass)]


def revenue_trend(revenue: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Year-over-year change as a fraction (-0.12 = -12 %); NaN where the base is not positive."""
    with np.errstate(over="ignore", divide="ignore"):
        return revenue / np.where(previous > 0, previous, np.nan) - 1.0


def projected_trend(revenue: np.ndarray, ytd: np.ndarray, months: float) -> np.ndarray:
    """Current year projected to twelve months against last year."""
    with np.errstate(over="ignore", divide="ignore"):
        return (ytd * (12.0 / months)) / np.where(revenue > 0, revenue, np.nan) - 1.0


def risk_text(grade: np.ndarray, trend_v: np.ndarray, loyalty_v: np.ndarray,
              params: Parameters) -> np.ndarray:
    """Risk flag for A/B customers, falling revenue or low loyalty, as a short German text
    (object array; NaN for no risk)."""
    ab = (grade == "A") | (grade == "B")
    with np.errstate(invalid="ignore"):
        falling = ab & (trend_v < -params.risiko_rueckgang)
        disloyal = ab & (loyalty_v <= params.risiko_verbundenheit)
    out = np.full(len(grade), np.nan, dtype=object)
    if falling.any():
        out[falling] = ["Umsatzrückgang −" + text
                        for text in german.percents(-trend_v[falling], 0)]
    if disloyal.any():
        shown = loyalty_v[disloyal]
        texts = {v: f"geringe Verbundenheit ({german.number(v, 2)})" for v in np.unique(shown)}
        both = falling[disloyal]
        out[disloyal] = [f"{old}; {texts[v]}" if b else texts[v]
                         for old, v, b in zip(out[disloyal], shown, both)]
    return out


@lru_cache(maxsize=8)
def _index_of(labels: tuple[str, ...]) -> pd.Index:
    return pd.Index(labels)


def channel_plan(code: np.ndarray, params: Parameters
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel, field visits and inside-sales contacts per year of each code (an object array)
    from the channel matrix; NaN for no code."""
    matrix = params.kanalmatrix
    codes = tuple(matrix)
    idx = _index_of(codes).get_indexer(code)
    idx[idx < 0] = len(codes)
    channel = np.array([matrix[c].channel for c in codes] + [np.nan], dtype=object)[idx]
    visits = np.array([matrix[c].visits for c in codes] + [np.nan], dtype=float)[idx]
    contacts = np.array([matrix[c].contacts for c in codes] + [np.nan], dtype=float)[idx]
    return channel, visits, contacts
