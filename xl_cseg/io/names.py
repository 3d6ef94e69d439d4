"""Workbook-level defined names that point at single cells (the controller's parameters)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import python_calamine as pc

from ..xlsx.cellref import parse_a1
from ..xlsx.package import Package

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!(\$?[A-Za-z]{1,3}\$?\d{1,7})$")


@dataclass(frozen=True)
class NamedCell:
    name: str
    sheet: str
    row: int
    col: int

    @property
    def address(self) -> str:
        from ..xlsx.cellref import a1

        quoted = f"'{self.sheet}'" if not self.sheet.replace("_", "").isalnum() else self.sheet
        return f"{quoted}!{a1(self.row, self.col)}"


def named_cells(pkg: Package) -> dict[str, NamedCell]:
    """Workbook-scoped names referring to one cell, keyed by name (as written)."""
    out: dict[str, NamedCell] = {}
    for name, local_sheet, text in pkg.defined_names():
        if local_sheet is not None or name.startswith("_xlnm."):
            continue
        match = _REF.match(text.strip())
        if not match:
            continue
        sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
        row, col = parse_a1(match.group(3))
        out[name] = NamedCell(name, sheet, row, col)
    return out


def named_values(pkg: Package, book: pc.CalamineWorkbook) -> tuple[dict[str, Any],
                                                                     dict[str, NamedCell]]:
    """Values of the single-cell names (blank cells give None) and where each lives."""
    cells = named_cells(pkg)
    grids: dict[str, list[list[Any]]] = {}
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        if cell.sheet not in grids:
            try:
                grids[cell.sheet] = book.get_sheet_by_name(cell.sheet).to_python(
                    skip_empty_area=False)
            except (pc.CalamineError, pc.WorksheetNotFound):
                grids[cell.sheet] = []
        grid = grids[cell.sheet]
        value = grid[cell.row][cell.col] if cell.row < len(grid) and cell.col < len(grid[cell.row]) \
            else ""
        values[name] = None if value == "" else value
    return values, cells
