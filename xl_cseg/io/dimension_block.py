"""The buying-behaviour block on the ``Auswertung`` sheet: the distribution crossed with the
dimensions, below the template's tables (values; rewritten by every run, older rows cleared)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.dimensions import COLUMNS

SHEET = "Auswertung"
MARKER = "Auswertung: Segmentverteilung"  # A1 of the template's sheet
TOP = 40  # 0-based row of the block's title (below the template's tables and charts)
WIDTH = 2 + len(COLUMNS)


def is_ours(grid: list[list[Any]]) -> bool:
    return bool(grid) and bool(grid[0]) and str(grid[0][0]).strip() == MARKER


def block_cells(table: pd.DataFrame, grid: list[list[Any]]) -> dict[tuple[int, int], Any]:
    """The block's cells, and blanks for what an earlier run left below it."""
    cells: dict[tuple[int, int], Any] = {}
    for r in range(TOP, len(grid)):
        for c in range(min(WIDTH, len(grid[r]))):
            if grid[r][c] != "":
                cells[(r, c)] = None
    names = table.index.names[0]
    cells[(TOP, 0)] = f"Nach Kaufverhalten: {names} x Segment"
    for c, text in enumerate((names, "Segment", *COLUMNS)):
        cells[(TOP + 1, c)] = text
    for i, ((value, code), row) in enumerate(table.iterrows(), start=TOP + 2):
        cells[(i, 0)], cells[(i, 1)] = str(value), str(code)
        for c, column in enumerate(COLUMNS, start=2):
            number = row[column]
            cells[(i, c)] = int(number) if column == "Kunden" else float(number)
    return cells
