"""Which territory a customer row belongs to, and whether a territory file is out of date.

A row's territory is its ``Gebiet`` cell; where that is blank, the territory named in the rep's
parameter sheet; else the file's name. The consolidation's log says which source was used.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

FROM_CELLS, FROM_SHEET, FROM_FILE = "Spalte Gebiet", "Parameterblatt", "Dateiname"


def territory_names(cells: pd.Series, sheet_name: str | None, file_name: str
                    ) -> tuple[np.ndarray, str]:
    """The territory of every row (text cells; None for blank) and where the names came from
    (German, for the import log)."""
    fallback, source = (sheet_name, FROM_SHEET) if sheet_name else (file_name, FROM_FILE)
    blank = cells.isna().to_numpy()
    names = cells.to_numpy(dtype=object).copy()
    names[blank] = fallback
    missing = int(blank.sum())
    if not missing:
        return names, FROM_CELLS
    if missing == len(names):
        return names, f"{source} ({fallback})"
    return names, f"{FROM_CELLS}; {missing} Zeilen ohne Gebiet: {source} ({fallback})"


def older_than(saved: _dt.datetime | None, today: _dt.date, days: int) -> bool:
    """Whether a file last saved at ``saved`` is more than ``days`` days old on ``today``
    (unknown save dates are not flagged)."""
    return saved is not None and (today - saved.date()).days > days
