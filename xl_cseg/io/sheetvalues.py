"""A worksheet's cell values, read through one entry: :meth:`WorkbookValues.read_grid`.

A grid holds the rows from row 1 and the values from column A, as python-calamine's
``to_python(skip_empty_area=False)`` gives them (blanks ""; error cells and formulas without a
cached value read as blanks too, :mod:`cellvalues` turns them into the core's values with the
scan of the sheet XML). Which reader reads a sheet is decided here, and nowhere else:

- a sparse sheet (few cells far apart, :mod:`xlsx.extent`) from its XML: the native readers
  would allocate the whole rectangle;
- a big sheet through fastexcel: the first rows (where headers are searched) straight from the
  sheet XML (:mod:`xlsx.probe`), the rest as typed columns without a header row; this tool's
  own output columns (a rerun) are left out and read only if something asks for them (where
  they are the sheet's last columns, fastexcel reads a copy of the workbook in memory whose
  sheet lacks their cells, instead of parsing them to leave them out). The two
  overlap in one row, which fixes the column offset and proves the alignment; the row count
  must end at the sheet's last row. Dates, times, mixed columns (a number among texts) or any
  doubt, and python-calamine reads the sheet;
- every other sheet through python-calamine.

The figures behind fastexcel for big sheets: ``benchmarks/bench_read.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

import fastexcel
import numpy as np
import python_calamine as pc
from arro3.core import DataType, RecordBatch

from ..core.columns import MEASURE_OUTPUT_FIELDS, OUTPUT_FIELDS
from ..xlsx.errors import CorruptWorkbook, WorkbookError
from ..xlsx.extent import (MAX_SHEET_CELLS, MAX_SPARSE_CELLS, Extent, SheetTooSparse,
                           TooManyCells)
from ..xlsx.package import Package, SheetInfo
from ..xlsx.probe import SharedStrings, date_styles, head_rows

Grid = list[list[Any]]  # values from A1; blanks are ""

_OUTPUT_HEADERS = frozenset(f.header for f in OUTPUT_FIELDS + MEASURE_OUTPUT_FIELDS)
PROBE_ROWS = 12  # title rows and the header row (a header further down: python-calamine reads)
PROBE_BYTES = 1 << 16  # of the sheet XML, usually far more than the first rows need
MIN_SHEET_BYTES = 200_000  # below this, python-calamine is about as fast

_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')

logging.getLogger("fastexcel").setLevel(logging.ERROR)  # its dtype fallbacks are not for users


class ColumnGrid(Sequence[list[Any]]):
    """Rows from ``row 0``, as python-calamine's ``to_python(skip_empty_area=False)`` gives
    them: the probed ``head`` rows, then ``columns`` (column ``offset`` onwards) from ``start``.

    A column given as None (this tool's output columns, not needed by any job) is read, with
    the whole grid, from ``complete()`` the first time something asks for it.
    """

    def __init__(self, head: list[list[Any]], start: int, offset: int,
                 columns: list[list[Any] | None], complete: Callable[[], list[list[Any]]]
                 ) -> None:
        self.head, self.start, self.offset, self.columns = head[:start], start, offset, columns
        self.height = next((len(c) for c in columns if c is not None), 0)
        self.width = max([offset + len(columns), *map(len, self.head)])
        self._complete = complete
        self._full: list[list[Any]] | None = None

    @property
    def full(self) -> list[list[Any]]:
        if self._full is None:
            self._full = self._complete()
        return self._full

    def __len__(self) -> int:
        return self.start + self.height

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("grid row out of range")
        if index < self.start:
            row = self.head[index]
            return row + [""] * (self.width - len(row))
        if None in self.columns:
            return self.full[index]
        i = index - self.start
        tail = self.width - self.offset - len(self.columns)
        return [""] * self.offset + [column[i] for column in self.columns] + [""] * tail

    def __iter__(self) -> Iterator[list[Any]]:
        return (self[i] for i in range(len(self)))

    def column(self, col: int, first: int, last: int) -> list[Any]:
        """Values of column ``col`` in rows ``first..last``."""
        values = [row[col] if col < len(row) else "" for row in self.head[first:last + 1]]
        if last >= self.start:
            lo = max(first, self.start) - self.start
            hi = last + 1 - self.start
            k = col - self.offset
            if not 0 <= k < len(self.columns):
                values += [""] * (hi - lo)
            elif self.columns[k] is None:
                values += [row[col] if col < len(row) else "" for row in self.full[lo + self.start:hi + self.start]]
            else:
                values += self.columns[k][lo:hi]
        return values


def _worth_it(package: Package, sheet_part: str) -> bool:
    """Whether the sheet part is big enough for fastexcel to pay off."""
    info = package.info(sheet_part)
    return info is not None and info.file_size >= MIN_SHEET_BYTES


def _probe(package: Package, part: str) -> list[list[Any]] | None:
    """The first rows of the sheet from its XML (inflated only as far as needed); None where
    fastexcel's rows cannot be used."""
    xml = package.read_head(part, PROBE_BYTES)
    if xml.count(b"</row>") < PROBE_ROWS:  # long rows: read the part whole
        xml = package.read(part)
    head = head_rows(xml, PROBE_ROWS, SharedStrings(package), lambda: date_styles(package),
                     part)
    return head if head is not None and len(head) == PROBE_ROWS else None


def _skipped_columns(head: list[list[Any]]) -> frozenset[int]:
    """Columns whose header (in the first rows) is one of this tool's output columns: their
    values are not needed, and a trend is a number or "neu" (mixed types fastexcel refuses)."""
    return frozenset(c for row in head for c, v in enumerate(row)
                     if type(v) is str and v.strip() in _OUTPUT_HEADERS)


def _first_column(head: list[list[Any]]) -> int:
    """The leftmost column with a value in the first rows: where fastexcel's columns start,
    unless a cell further down lies further left (then :func:`_assemble` refuses)."""
    return min((next(c for c, v in enumerate(row) if v != "") for row in head
                if any(v != "" for v in row)), default=0)


class _Plan(NamedTuple):
    """How a big sheet is read: its probed first rows, fastexcel's first column, the columns
    (of the sheet) holding this tool's outputs, and the columns (of the sheet) fastexcel reads
    (None: all)."""

    head: list[list[Any]]
    offset: int
    outputs: frozenset[int]
    columns: list[int] | None

    @property
    def dtypes(self) -> dict[str, str] | None:
        """The columns left out typed as text: fastexcel types every column, also those it does
        not read, and a trend is a number or "neu" (mixed types it refuses). By name: an int key
        would mean the sheet's column, the generated names count from fastexcel's first."""
        return {f"__UNNAMED__{c - self.offset}": "string" for c in self.outputs
                if c >= self.offset} or None


def _plan(package: Package, sheet_part: str, extent: Extent) -> _Plan | None:
    """The plan for reading a sheet through fastexcel; None when the sheet is small, cannot
    be probed, or fastexcel's rows could not be used."""
    if not _worth_it(package, sheet_part):
        return None
    try:
        head = _probe(package, package.part_name(sheet_part))
    except WorkbookError:  # reported by the scans that need the part
        return None
    if head is None:
        return None
    offset, outputs = _first_column(head), _skipped_columns(head)
    columns = [c for c in range(offset, extent.last_col + 1) if c not in outputs] \
        if outputs else None
    return _Plan(head, offset, outputs, columns)


def _without_outputs(package: Package, part: str, plan: _Plan, extent: Extent) -> bytes | None:
    """On a rerun, where this tool's output columns are the last of the sheet: a copy of the
    workbook (in memory) whose sheet lacks their cells, so that fastexcel does not parse the
    cells it would not return (:meth:`SheetScan.without_cells_from`); None otherwise."""
    if not plan.outputs or not all(c in plan.outputs
                                   for c in range(min(plan.outputs), extent.last_col + 1)):
        return None
    left = package.sheet_scan(part).without_cells_from(min(plan.outputs))
    return None if left is None else package.reading_copy(part, left)


def _load_sheet(path: Path | bytes, sheet: str, columns: list[int] | None,
                dtypes: dict[str, str] | None) -> Any | None:
    """fastexcel's sheet from row ``PROBE_ROWS - 1`` on, only ``columns`` (of the sheet, as
    fastexcel counts integers in ``use_columns``; None: all); None where fastexcel refuses."""
    try:
        return fastexcel.read_excel(path if isinstance(path, bytes) else str(path)).load_sheet(
            sheet, header_row=None, skip_rows=PROBE_ROWS - 1, dtype_coercion="strict",
            schema_sample_rows=None, use_columns=columns, dtypes=dtypes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - also a Rust panic: python-calamine reads it then
        return None


def _load_columns(path: Path | bytes, sheet: str, columns: list[int] | None,
                  dtypes: dict[str, str] | None) -> list[list[Any] | None] | None:
    """The columns of :func:`_load_sheet` (see :func:`_columns_of`)."""
    return _columns_of(_load_sheet(path, sheet, columns, dtypes))


def _columns_of(loaded: Any | None) -> list[list[Any] | None] | None:
    """A loaded sheet's columns as lists (blanks ""; None for the columns not read), or None
    (dates, mixed types, nothing loaded)."""
    if loaded is None:
        return None
    try:
        batch = RecordBatch.from_arrow(loaded)
        selected = [column.index for column in loaded.selected_columns]
        width = len(loaded.available_columns())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001
        return None
    columns: list[list[Any] | None] = [None] * width
    for i, index in enumerate(selected):
        array = batch.column(i)
        kind = array.type
        if DataType.is_float64(kind) and not array.null_count:
            values = np.asarray(array).tolist()  # several times faster than to_pylist
        elif DataType.is_float64(kind) or DataType.is_string(kind) or \
                DataType.is_large_string(kind) or DataType.is_boolean(kind):
            values = array.to_pylist()
            if array.null_count:
                values = ["" if v is None else v for v in values]
            if DataType.is_string(kind) or DataType.is_large_string(kind):
                values = _shared(values)
        elif DataType.is_null(kind):
            values = [""] * len(array)
        else:  # dates, times, durations, integers: python-calamine's values differ
            return None
        columns[index] = values
    return columns


SAMPLE = 1000


def _shared(texts: list[Any]) -> list[Any]:
    """``texts`` with equal texts one object where a column repeats a few (a region, a
    type: a million cells of three words hold three strings, not a million); a column of
    mostly different texts (names), judged by its first rows, as it is."""
    if len(texts) <= SAMPLE or len(set(texts[:SAMPLE])) > SAMPLE // 10:
        return texts
    seen: dict[Any, Any] = {}
    return list(map(seen.setdefault, texts, texts))


def _assemble(head: list[list[Any]], columns: list[list[Any] | None] | None, offset: int,
              last_row: int | None, complete: Callable[[], list[list[Any]]]
              ) -> ColumnGrid | None:
    """The grid, if the overlap row shows that fastexcel's columns start at ``offset`` (and
    at no other column), and the rows end where the sheet's last row is (``last_row``, see
    :func:`_last_row`)."""
    if not columns or all(column is None for column in columns):
        return None
    overlap = PROBE_ROWS - 1
    probed = head[overlap]
    filled = [c for c, v in enumerate(probed) if v != ""]
    fetched = {k: column[0] for k, column in enumerate(columns) if column is not None}
    if not filled or not any(v != "" for v in fetched.values()):
        return None
    offsets = [
        start for start in range(filled[0] + 1)
        if all((probed[start + k] if start + k < len(probed) else "") == v
               for k, v in fetched.items())
        and all(c - start < len(columns) for c in filled)
    ]
    if offsets != [offset]:
        return None
    if last_row != overlap + len(next(c for c in columns if c is not None)):
        return None
    return ColumnGrid(head, overlap, offset, columns, complete)


def _last_row(xml: bytes) -> int | None:
    """Number of the sheet's last row element when it holds a value. Rows out of order need no
    scan: where the last element is not the highest row, its number fails the height check."""
    last = xml.rfind(b'<row r="')
    number = _ROW_NUMBER.match(xml, last) if last >= 0 else None
    end = xml.find(b"</row>", last)
    if number is None or end < 0 or not (xml.find(b"<v>", last, end) >= 0 or
                                         xml.find(b"<is>", last, end) >= 0):
        return None
    return int(number[1])


class WorkbookValues:
    """The cell values of a workbook file's worksheets, each sheet read by the reader that
    suits it (see the module text); python-calamine's book is opened when a sheet needs it."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.path = package.path
        self._book: pc.CalamineWorkbook | None = None

    def read_grid(self, sheet: SheetInfo) -> Grid:
        """The sheet's grid."""
        # every reference checked, and the rectangle the native readers would allocate
        # measured, before they see the sheet: a sparse sheet is read from its XML
        extent = self.package.extent(sheet.part)
        self.package.merged_ranges(sheet.part)  # their references too
        self.package.check_shared_text(sheet.part)  # no shared string copied a million times
        if extent.cells > MAX_SHEET_CELLS:
            raise TooManyCells(self.path, sheet.name, extent.cells, MAX_SHEET_CELLS)
        if not extent.dense_ok():
            return _sparse_grid(self.package, sheet, extent)
        plan = _plan(self.package, sheet.part, extent)
        if plan is None:
            return self._calamine(sheet.name)
        part = self.package.part_name(sheet.part)
        last_row = _last_row(self.package.read(part))
        self.package.sheet_scan(part).may_hold_formula_or_error  # noqa: B018 - kept by the scan
        source = _without_outputs(self.package, part, plan, extent) or self.path
        self.package.release(part)  # fastexcel reads the file itself: not held meanwhile
        columns = _load_columns(source, sheet.name, plan.columns, plan.dtypes)
        source = None
        if columns is not None and len(columns) < extent.last_col + 1 - plan.offset:
            columns += [None] * (extent.last_col + 1 - plan.offset - len(columns))  # outputs
        return _assemble(plan.head, columns, plan.offset, last_row,
                         lambda: self._calamine(sheet.name)) or self._calamine(sheet.name)

    def close(self) -> None:
        """Close python-calamine's book (it is opened again when a sheet needs it)."""
        if self._book is not None:
            self._book.close()
            self._book = None

    @property
    def _calamine_book(self) -> pc.CalamineWorkbook:
        if self._book is None:
            try:
                self._book = pc.CalamineWorkbook.from_path(str(self.path))
            except (pc.CalamineError, pc.ZipError, pc.XmlError, OSError) as exc:
                raise CorruptWorkbook(self.path, native_problem(exc)) from exc
        return self._book

    def _calamine(self, name: str) -> Grid:
        try:
            return self._calamine_book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except pc.WorksheetNotFound:  # chart or dialog sheets
            return []
        except (pc.CalamineError, pc.ZipError, pc.XmlError) as exc:  # the reader's own checks
            raise CorruptWorkbook(self.path, f"Blatt „{name}“: {native_problem(exc)}") from exc


_NATIVE_TEXTS = (
    ("string index not found", "eine Zelle verweist auf einen gemeinsamen Text, den es nicht "
                               "gibt"),
    ("unknown cell 't' attribute", "eine Zelle hat einen unbekannten Typ"),
    ("range is missing", "ein Zellbereich ist unvollständig"),
    ("unexpected end", "ein Bestandteil endet vorzeitig"),
    ("crc", "ein Bestandteil ist beschädigt (Prüfsumme)"),
    ("invalid", "ein Wert ist ungültig"),
)


def native_problem(exc: BaseException) -> str:
    """What the native reader found, in German (its own words kept, for support)."""
    text = str(exc)
    said = next((german for key, german in _NATIVE_TEXTS if key in text.lower()),
                "der Inhalt ist fehlerhaft")
    return f"{said} [Lesemodul: {text[:120]}]"


def _sparse_grid(package: Package, sheet: SheetInfo, extent: Extent) -> Grid:
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


def column_values(grid: Sequence[list[Any]], col: int, first: int, last: int) -> list[Any]:
    """Values of column ``col`` in rows ``first..last`` of a grid (blank where a row is short)."""
    if isinstance(grid, ColumnGrid):
        return grid.column(col, first, last)
    return [row[col] if col < len(row) else "" for row in grid[first:last + 1]]


def grid_width(grid: Sequence[list[Any]], first: int, last: int) -> int:
    """The longest row among rows ``first..last``."""
    if isinstance(grid, ColumnGrid):
        return grid.width
    return max(map(len, grid[first:last + 1]), default=0)
