"""Where workbook contents come from: a file on disk, or (in Excel) an open xlwings book.

The table finder, the parameter reader and the output layout only need what
:class:`SheetSource` offers, so the ribbon macros and the command line share them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Collection, Protocol

import python_calamine as pc

from ..xlsx.errors import CorruptWorkbook
from ..xlsx.extent import MAX_SPARSE_CELLS, Extent, SheetTooSparse
from ..xlsx.probe import SharedStrings, date_styles, head_rows
from ..xlsx.package import Package, SheetInfo, TableInfo
from ..xlsx.safezip import open_package
from . import fastgrid
from .names import NamedCell, named_cells

Grid = list[list[Any]]  # values from A1; blanks are ""
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
    """A workbook file: structure from the safe package reader, values from python-calamine."""

    specials_read_as_blank = True
    """python-calamine reads error cells and formulas without a cached value as blanks."""

    def __init__(self, path: str | Path, *, writing: bool = False) -> None:
        """``writing``: the job will patch the sheets it reads (their write scans run early)."""
        self.path = Path(path)
        self.writing = writing
        self.package: Package = open_package(self.path)
        self._book: pc.CalamineWorkbook | None = None  # opened when a sheet needs it
        self._grids: dict[str, Grid] = {}

    @property
    def book(self) -> pc.CalamineWorkbook:
        if self._book is None:
            try:
                self._book = pc.CalamineWorkbook.from_path(str(self.path))
            except (pc.CalamineError, pc.ZipError, pc.XmlError, OSError) as exc:
                raise CorruptWorkbook(self.path, str(exc)) from exc
        return self._book

    def worksheets(self) -> list[SheetInfo]:
        return self.package.sheets()

    def release_values(self) -> None:
        """Free the cell values read so far (a job's edits are computed; the writer needs only
        the package)."""
        self._grids.clear()
        if self._book is not None:
            self._book.close()
            self._book = None

    def grid(self, sheet: SheetInfo) -> Grid:
        if sheet.name not in self._grids:
            # every reference checked, and the rectangle the native readers would allocate
            # measured, before they see the sheet: a sparse sheet is read here
            extent = self.package.extent(sheet.part)
            if not extent.dense_ok():
                self._grids[sheet.name] = sparse_grid(self.package, sheet, extent)
                return self._grids[sheet.name]
            plan = fastgrid.plan(self.package, sheet.part)
            # fastexcel and python-calamine parse without the GIL: the byte scans of the same
            # part run meanwhile
            with ThreadPoolExecutor(1, thread_name_prefix="xl-cseg-read") as pool:
                if plan is None:
                    values = pool.submit(self._values, sheet.name)
                else:
                    values = pool.submit(fastgrid.load_columns, self.path, sheet.name, plan.skip)
                # formulas kept in output columns need the formula scan (else only blanks do)
                self.package.prefetch(sheet.part, writing=self.writing,
                                      formulas=plan is None or bool(plan.outputs))
                grid = values.result()
            if plan is not None:
                part = self.package.part_name(sheet.part)
                grid = fastgrid.assemble(self.package, part, plan.head, grid, plan.offset,
                                         lambda: self._values(sheet.name)) \
                    or self._values(sheet.name)
            self._grids[sheet.name] = grid
        return self._grids[sheet.name]

    def _values(self, name: str) -> Grid:
        try:
            return self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except pc.WorksheetNotFound:  # chart or dialog sheets
            return []
        except (pc.CalamineError, pc.ZipError, pc.XmlError) as exc:  # the reader's own checks
            raise CorruptWorkbook(self.path, f"Blatt „{name}“: {exc}") from exc

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


def sparse_grid(package: Package, sheet: SheetInfo, extent: Extent) -> Grid:
    """The rows of a sheet whose few cells lie far apart, read from its XML (each row as long
    as its last value; the native readers would allocate the whole rectangle); a sheet with
    more cells than :data:`extent.MAX_SPARSE_CELLS`, or with dates, is refused."""
    if extent.cells > MAX_SPARSE_CELLS:
        raise SheetTooSparse(package.path, sheet.name, extent)
    part = package.part_name(sheet.part)
    rows = head_rows(package.read(part), extent.last_row + 1, SharedStrings(package),
                     lambda: date_styles(package), part)
    if rows is None:
        raise SheetTooSparse(package.path, sheet.name, extent)
    return rows


def column_values(grid: Grid, col: int, first: int, last: int) -> list[Any]:
    """Values of column ``col`` in rows ``first..last`` of a grid (blank where a row is short)."""
    if isinstance(grid, fastgrid.ColumnGrid):
        return grid.column(col, first, last)
    return [row[col] if col < len(row) else "" for row in grid[first:last + 1]]


def grid_width(grid: Grid, first: int, last: int) -> int:
    """The longest row among rows ``first..last``."""
    if isinstance(grid, fastgrid.ColumnGrid):
        return grid.width
    return max(map(len, grid[first:last + 1]), default=0)


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
