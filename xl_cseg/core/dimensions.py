"""Buying-behaviour dimensions: any classification a rep keeps (``Produktart`` Mehrweg/Einweg,
``Preissegment`` Economy/Premium, ...) crossed with the segment codes.

Per value of the dimension (two dimensions: per combination "Mehrweg / Premium") and per code:
customers, revenue, potential and open potential, with a total per value and a total over all
values. A blank value counts as "ohne Angabe". Pure: pandas in, pandas out.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .distribution import NO_SEGMENT, TOTAL, class_rows
from .numbers import normalize_id
from .params import CODES

NO_VALUE = "ohne Angabe"
MAX_DIMENSIONS = 2
COLUMNS = ("Kunden", "Umsatz", "Potenzial", "Offenes Potenzial")


def dimension_values(raw: pd.Series) -> np.ndarray:
    """A dimension column's cells as texts ("Mehrweg"; numbers as the rep typed them, 2.0 -> "2";
    blank -> :data:`NO_VALUE`); surrounding spaces and case differences do not split a value
    (the first spelling is kept)."""
    texts = np.array([normalize_id(v) if not isinstance(v, str) else (v.strip() or None)
                      for v in raw.to_numpy(dtype=object)], dtype=object)
    texts[pd.isna(texts)] = NO_VALUE
    first: dict[str, str] = {}
    return np.array([first.setdefault(t.casefold(), t) for t in texts], dtype=object)


def crossed(output: pd.DataFrame, inputs: pd.DataFrame, dimensions: pd.DataFrame
            ) -> pd.DataFrame:
    """The distribution crossed with up to two dimensions (columns of ``dimensions``, same
    index as the segmentation): rows (value, code) for every value and the codes present,
    a row (value, "Gesamt") per value and ("Gesamt", "Gesamt") last; :data:`COLUMNS`."""
    names = list(dimensions.columns)[:MAX_DIMENSIONS]
    if not names:
        raise ValueError("crossed() needs at least one dimension")
    parts = [dimension_values(dimensions[n].reindex(output.index)) for n in names]
    value = parts[0] if len(parts) == 1 else \
        np.array([f"{a} / {b}" for a, b in zip(*parts)], dtype=object)
    revenue = inputs["revenue"].fillna(0.0).to_numpy(dtype=float)
    potential = inputs["potential"].fillna(0.0).to_numpy(dtype=float)
    open_pot = np.clip(potential - revenue, 0, None)
    code_row = class_rows(output["code"], CODES)
    code = np.array([*CODES, NO_SEGMENT], dtype=object)[np.where(code_row < 0, len(CODES),
                                                                 code_row)]
    frame = pd.DataFrame({"value": value, "code": code, "Kunden": 1, "Umsatz": revenue,
                          "Potenzial": potential, "Offenes Potenzial": open_pot})
    order = {c: i for i, c in enumerate([*CODES, NO_SEGMENT, TOTAL])}
    # one group-by for all values (a loop over the values took seconds for a few hundred)
    cells = frame.groupby(["value", "code"], sort=False)[list(COLUMNS)].sum()
    totals = frame.groupby("value", sort=False)[list(COLUMNS)].sum()
    totals.index = pd.MultiIndex.from_arrays([totals.index, [TOTAL] * len(totals)])
    table = pd.concat([cells, totals])
    rank = {v: i for i, v in enumerate(sorted(
        totals.index.get_level_values(0), key=lambda v: (v == NO_VALUE, str(v).casefold())))}
    table = table.iloc[sorted(range(len(table)), key=lambda i: (rank[table.index[i][0]],
                                                                 order[table.index[i][1]]))]
    table.loc[(TOTAL, TOTAL), :] = frame[list(COLUMNS)].sum().to_numpy()
    table["Kunden"] = table["Kunden"].astype(int)
    table.index.names = [" / ".join(names), "Segment"]
    return table


def by_value(table: pd.DataFrame) -> pd.DataFrame:
    """The value x code customer counts as a matrix (values down, codes across, totals)."""
    body = table.drop(index=TOTAL, level=0)
    matrix = body["Kunden"].unstack(fill_value=0)
    columns = [c for c in (*CODES, NO_SEGMENT, TOTAL) if c in matrix.columns]
    return matrix[columns].astype(int)


def dimension_key(name: str) -> str:
    """A dimension's name as names are matched: case and spaces ignored."""
    return " ".join(str(name).split()).casefold()


def dimension_names(wanted: Sequence[str], headers: Sequence[str]) -> tuple[list[str], list[str]]:
    """The table's headers for the wanted dimensions (case and spaces ignored) and the wanted
    names that are no header (for a German message)."""
    by_key = {dimension_key(h): str(h) for h in headers}
    found, missing = [], []
    for name in wanted:
        header = by_key.get(dimension_key(name))
        (found.append(header) if header else missing.append(str(name)))
    return list(dict.fromkeys(found)), missing
