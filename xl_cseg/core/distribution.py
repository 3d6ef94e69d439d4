"""Segment distribution: how many customers, how much revenue and potential per class and code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .params import ABC_CLASSES, CODES, POTENTIAL_CLASSES
from .rules import matrix_cells

COLUMNS = ("Kunden", "Anteil Kunden", "Umsatz", "Anteil Umsatz", "Potenzial", "Offenes Potenzial")
TOTAL = "Gesamt"
NO_SEGMENT = "ohne Segment"


@dataclass(frozen=True)
class Distribution:
    by_abc: pd.DataFrame
    by_code: pd.DataFrame
    matrix_customers: pd.DataFrame  # rows A/B/C, columns Win/Grow/Maintain
    matrix_revenue: pd.DataFrame


def class_rows(keys: pd.Series, order: tuple[str, ...]) -> np.ndarray:
    """Each customer's row in a table of ``order`` and :data:`NO_SEGMENT` (blank keys there
    too), -1 for other keys; the keys hashed once (grouping by text hashes them each time)."""
    codes, found = pd.factorize(keys.to_numpy(dtype=object))
    return np.append(pd.Index([*order, NO_SEGMENT]).get_indexer(found), len(order))[codes]


def _table(row: np.ndarray, revenue: pd.Series, potential: pd.Series, order: tuple[str, ...]
           ) -> pd.DataFrame:
    open_pot = (potential - revenue).clip(lower=0)
    valid = row >= 0
    frame = pd.DataFrame({"Kunden": 1, "Umsatz": revenue.fillna(0).to_numpy(),
                          "Potenzial": potential.fillna(0).to_numpy(),
                          "Offenes Potenzial": open_pot.fillna(0).to_numpy()})[valid]
    grouped = frame.groupby(row[valid]).sum()  # pandas' (compensated) sums
    count = len(order) + (1 if (row == len(order)).any() else 0)
    table = grouped.reindex(range(count), fill_value=0)
    table.index = [*order, NO_SEGMENT][:count]
    table.loc[TOTAL] = table.sum()
    customers, revenue_total = table.at[TOTAL, "Kunden"], table.at[TOTAL, "Umsatz"]
    table["Anteil Kunden"] = table["Kunden"] / customers if customers else 0.0
    table["Anteil Umsatz"] = table["Umsatz"] / revenue_total if revenue_total else 0.0
    table["Kunden"] = table["Kunden"].astype(int)
    table.index.name = None
    return table[list(COLUMNS)]


def distribution(output: pd.DataFrame, inputs: pd.DataFrame) -> Distribution:
    """Tables per ABC class and per code (with totals), and the 3x3 portfolio matrices."""
    revenue, potential = inputs["revenue"], inputs["potential"]
    abc, code = class_rows(output["abc"], ABC_CLASSES), class_rows(output["code"], CODES)
    by_abc = _table(abc, revenue, potential, ABC_CLASSES)
    by_code = _table(code, revenue, potential, CODES)
    # the 3x3 cells as codes 0..8 (rows with a code have both parts): counted by bincount,
    # revenue summed like pandas sums (compensated), in a matrix of the classes' order
    cells = matrix_cells(output["abc"], output["potential_class"])
    valid = output["code"].notna().to_numpy() & (cells >= 0)
    cell = cells[valid]
    shape = (len(ABC_CLASSES), len(POTENTIAL_CLASSES))
    count = pd.DataFrame(np.bincount(cell, minlength=shape[0] * shape[1]).reshape(shape),
                         index=list(ABC_CLASSES), columns=list(POTENTIAL_CLASSES))
    sums = revenue[valid].fillna(0).groupby(cell).sum().reindex(range(shape[0] * shape[1]),
                                                                 fill_value=0.0)
    rev = pd.DataFrame(sums.to_numpy().reshape(shape), index=list(ABC_CLASSES),
                       columns=list(POTENTIAL_CLASSES))
    for m in (count, rev):
        m.index.name, m.columns.name = None, None
    return Distribution(by_abc=by_abc, by_code=by_code, matrix_customers=count.astype(int),
                        matrix_revenue=rev.astype(np.float64))
