"""Where workbook contents come from: a file on disk, or (in Excel) an open xlwings book.

The table finder, the parameter reader and the output layout only need what
:class:`SheetSource` offers, so the ribbon macros and the command line share them.
"""

from __future__ import annotations

import ctypes

from pathlib import Path
from typing import Any, Collection, Protocol

from ..xlsx.package import Package, SheetInfo, TableInfo
from ..xlsx.safezip import open_package
from .names import NamedCell, named_cells
from .sheetvalues import Grid, WorkbookValues, column_values, grid_width

__all__ = ["FileSource", "Grid", "Merged", "SheetSource", "column_values", "grid_width",
           "named_values"]

Merged = list[tuple[tuple[int, int], tuple[int, int]]]


class SheetSource(Protocol):
    path: Path
    specials_read_as_blank: bool  # error/uncached formula cells show as "" in grid()

    def worksheets(self) -> list[SheetInfo]: ...

    def grid(self, sheet: SheetInfo) -> Grid: ...

    def tables(self, sheet: SheetInfo) -> list[TableInfo]: ...

    def merged_ranges(self, sheet: SheetInfo) -> Merged: ...

    def special_cells(self, sheet: SheetInfo, first_row: int, last_row: int,
                      cols: Collection[int]) -> dict: ...

    def named_cells(self) -> dict[str, NamedCell]: ...

    def defined_names(self) -> list[tuple[str, Any, str]]:
        """Every defined name as (name, scope, formula text)."""
        ...


class FileSource:
    """A workbook file: structure from the safe package reader, values from
    :class:`sheetvalues.WorkbookValues` (python-calamine, fastexcel for big sheets)."""

    specials_read_as_blank = True
    """The file readers read error cells and formulas without a cached value as blanks."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.package: Package = open_package(self.path)
        self.values = WorkbookValues(self.package)
        self._grids: dict[str, Grid] = {}

    def worksheets(self) -> list[SheetInfo]:
        return self.package.sheets()

    def release_values(self) -> None:
        """Free the cell values read so far (a job's edits are computed; the writer needs only
        the package), and give the memory freed since the sheets were read back to the
        system before the writer inflates the sheet part again."""
        self._grids.clear()
        self.values.close()
        give_back_memory()

    def grid(self, sheet: SheetInfo) -> Grid:
        if sheet.name not in self._grids:
            self._grids[sheet.name] = self.values.read_grid(sheet)
        return self._grids[sheet.name]

    def tables(self, sheet: SheetInfo) -> list[TableInfo]:
        return self.package.tables(sheet.part)

    def merged_ranges(self, sheet: SheetInfo) -> Merged:
        return self.package.merged_ranges(sheet.part)

    def special_cells(self, sheet: SheetInfo, first_row: int, last_row: int,
                      cols: Collection[int]) -> dict:
        return self.package.special_cells(sheet.part, first_row, last_row, cols)

    def named_cells(self) -> dict[str, NamedCell]:
        return named_cells(self.package)

    def defined_names(self) -> list[tuple[str, Any, str]]:
        return list(self.package.defined_names())


def give_back_memory() -> None:
    """Return the free memory of the C heap to the system (glibc's ``malloc_trim``): what a
    native reader and a big job's intermediate values freed stays with the process otherwise
    (1,048,575 customers, again on the output: 140 MB). Nothing where there is no glibc."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)


def named_values(source: SheetSource) -> tuple[dict[str, Any], dict[str, NamedCell]]:
    """Values of the single-cell defined names (blank -> None) and where each lives."""
    cells = source.named_cells()
    sheets = {s.name: s for s in source.worksheets()}
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        grid = source.grid(sheets[cell.sheet]) if cell.sheet in sheets else []
        row = grid[cell.row] if cell.row < len(grid) else []
        value = row[cell.col] if cell.col < len(row) else ""
        values[name] = None if value == "" else value
    return values, cells
