"""The segmentation rules, vectorized: one function per rule, Series in, Series out.

Missing inputs are NaN and propagate: a rule never guesses a value it was not given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import ABC_CLASSES, POTENTIAL_CLASSES, Parameters

WIN, GROW, MAINTAIN = "Win", "Grow", "Maintain"


def abc_class(revenue: pd.Series, params: Parameters) -> pd.Series:
    """A/B/C by the chosen method; NaN revenue gives NaN. Zero revenue is always C."""
    if params.abc_methode == "pareto":
        return abc_pareto(revenue, params.pareto_a, params.pareto_b)
    return abc_absolute(revenue, params.threshold_a, params.threshold_b)


def abc_absolute(revenue: pd.Series, threshold_a: float, threshold_b: float) -> pd.Series:
    """A from the A threshold, B from the C-customer threshold (inclusive), else C."""
    values = revenue.to_numpy(dtype=float, na_value=np.nan)
    out = np.select([values >= threshold_a, values >= threshold_b, values >= 0],
                    ["A", "B", "C"], default=None).astype(object)
    out[np.isnan(values)] = np.nan
    return pd.Series(out, index=revenue.index, dtype=object)


def abc_pareto(revenue: pd.Series, share_a: float, share_b: float) -> pd.Series:
    """Pareto ABC: the largest customers up to ``share_a`` of revenue are A, the next ``share_b`` B.

    A customer's class depends on the revenue share of all strictly larger customers, so equal
    revenues always get the same class and more revenue never gives a lower class.
    """
    values = revenue.to_numpy(dtype=float, na_value=np.nan)
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
    return pd.Series(out, index=revenue.index, dtype=object)


def share_of_wallet(revenue: pd.Series, potential: pd.Series) -> pd.Series:
    """Revenue / estimated potential; NaN where the potential is missing or not positive."""
    pot = potential.where(potential > 0)
    return revenue / pot


def potential_class(revenue: pd.Series, potential: pd.Series, params: Parameters) -> pd.Series:
    """Win below ``grenze_win``, Maintain from ``grenze_maintain`` or when the open potential is
    below the minimum amount (including revenue above potential), else Grow."""
    share = share_of_wallet(revenue, potential)
    open_potential = potential - revenue
    values = np.select(
        [share.isna(), open_potential < params.min_offenes_potenzial,
         share >= params.grenze_maintain, share < params.grenze_win],
        [None, MAINTAIN, MAINTAIN, WIN], default=GROW).astype(object)
    values[share.isna().to_numpy()] = np.nan
    return pd.Series(values, index=revenue.index, dtype=object)


def segment_code(abc: pd.Series, pclass: pd.Series) -> pd.Series:
    """Combined code such as "C-Win"; NaN when either part is missing."""
    table = np.array([f"{a}-{p}" for a in ABC_CLASSES for p in POTENTIAL_CLASSES] + [np.nan],
                     dtype=object)
    a_idx = abc.map({c: i for i, c in enumerate(ABC_CLASSES)})
    p_idx = pclass.map({c: i for i, c in enumerate(POTENTIAL_CLASSES)})
    idx = (a_idx * 3 + p_idx).fillna(len(table) - 1).to_numpy(dtype=np.int64)
    return pd.Series(table[idx], index=abc.index, dtype=object)


def revenue_trend(revenue: pd.Series, previous: pd.Series) -> pd.Series:
    """Year-over-year change as a fraction (-0.12 = -12 %); NaN where the base is not positive."""
    return revenue / previous.where(previous > 0) - 1.0


def projected_trend(revenue: pd.Series, ytd: pd.Series, months: float) -> pd.Series:
    """Current year projected to twelve months against last year."""
    return (ytd * (12.0 / months)) / revenue.where(revenue > 0) - 1.0


def risk_text(abc: pd.Series, trend: pd.Series, loyalty: pd.Series, params: Parameters) -> pd.Series:
    """Risk flag for A/B customers: falling revenue or low loyalty, as a short German text."""
    ab = abc.isin(["A", "B"])
    falling = ab & (trend < -params.risiko_rueckgang)
    disloyal = ab & (loyalty <= params.risiko_verbundenheit)
    out = pd.Series(np.nan, index=abc.index, dtype=object)
    if falling.any():
        pct = (trend[falling] * 100).round()
        out[falling] = pct.map({v: f"Umsatzrückgang −{abs(v):g} %" for v in pct.unique()})
    if disloyal.any():
        shown = loyalty[disloyal]
        text = shown.map({v: f"geringe Verbundenheit ({v:g})" for v in shown.unique()})
        both = disloyal & falling
        out[disloyal & ~falling] = text[~both[disloyal]]
        out[both] = out[both] + "; " + text[both[disloyal]]
    return out


def channel_plan(code: pd.Series, params: Parameters) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Channel, field visits and inside-sales contacts per year from the channel matrix."""
    matrix = params.kanalmatrix
    channel = code.map({c: r.channel for c, r in matrix.items()})
    visits = code.map({c: float(r.visits) for c, r in matrix.items()}).astype(float)
    contacts = code.map({c: float(r.contacts) for c, r in matrix.items()}).astype(float)
    return channel, visits, contacts
