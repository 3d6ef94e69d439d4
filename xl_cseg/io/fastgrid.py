"""A big worksheet's values through fastexcel: typed Arrow columns, parsed about twice as fast
as python-calamine's rows, arranged as the same grid.

The first rows (where headers are searched) come from the sheet XML (:mod:`xlsx.probe`), the
rest from fastexcel without a header row, each column typed over all its rows; this tool's own
output columns (a rerun) are left out and read only if something asks for them. The two overlap
in one row, which fixes the column offset and proves the alignment; the row count must end at
the sheet's last row. Dates, times, mixed columns (a number among texts) or any doubt give None,
and the caller reads the sheet with python-calamine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, overload

import fastexcel
import numpy as np
from arro3.core import DataType, RecordBatch

from ..core.columns import MEASURE_OUTPUT_FIELDS, OUTPUT_FIELDS
from ..xlsx.errors import WorkbookError
from ..xlsx.package import Package
from ..xlsx.patch_fast import ROW_NUMBER
from ..xlsx.probe import SharedStrings, date_styles, head_rows

_OUTPUT_HEADERS = frozenset(f.header for f in OUTPUT_FIELDS + MEASURE_OUTPUT_FIELDS)
PROBE_ROWS = 12  # title rows and the header row (a header further down: python-calamine reads)
PROBE_BYTES = 1 << 16  # of the sheet XML, usually far more than the first rows need
MIN_SHEET_BYTES = 200_000  # below this, python-calamine is about as fast

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


def worth_it(package: Package, sheet_part: str) -> bool:
    """Whether the sheet part is big enough for fastexcel to pay off."""
    info = package.info(sheet_part)
    return info is not None and info.file_size >= MIN_SHEET_BYTES


def probe(package: Package, part: str) -> list[list[Any]] | None:
    """The first rows of the sheet from its XML (inflated only as far as needed); None where
    fastexcel's rows cannot be used."""
    xml = package.read_head(part, PROBE_BYTES)
    if xml.count(b"</row>") < PROBE_ROWS:  # long rows: read the part whole
        xml = package.read(part)
    head = head_rows(xml, PROBE_ROWS, SharedStrings(package), lambda: date_styles(package),
                     part)
    return head if head is not None and len(head) == PROBE_ROWS else None


def skipped_columns(head: list[list[Any]]) -> frozenset[int]:
    """Columns whose header (in the first rows) is one of this tool's output columns: their
    values are not needed, and a trend is a number or "neu" (mixed types fastexcel refuses)."""
    return frozenset(c for row in head for c, v in enumerate(row)
                     if type(v) is str and v.strip() in _OUTPUT_HEADERS)


def first_column(head: list[list[Any]]) -> int:
    """The leftmost column with a value in the first rows: where fastexcel's columns start,
    unless a cell further down lies further left (then :func:`assemble` refuses)."""
    return min((next(c for c, v in enumerate(row) if v != "") for row in head
                if any(v != "" for v in row)), default=0)


class Plan(NamedTuple):
    """How a big sheet is read: its probed first rows, fastexcel's first column, the columns
    (of the sheet) holding this tool's outputs, and those columns counted from ``offset``."""

    head: list[list[Any]]
    offset: int
    outputs: frozenset[int]
    skip: frozenset[int]


def plan(package: Package, sheet_part: str) -> Plan | None:
    """The plan for reading a sheet through fastexcel; None when the sheet is small, cannot
    be probed, or fastexcel's rows could not be used."""
    if not worth_it(package, sheet_part):
        return None
    try:
        head = probe(package, package.part_name(sheet_part))
    except WorkbookError:  # reported by the scans that need the part
        return None
    if head is None:
        return None
    offset, outputs = first_column(head), skipped_columns(head)
    return Plan(head, offset, outputs, frozenset(c - offset for c in outputs if c >= offset))


def load_sheet(path: Path, sheet: str, skip: frozenset[int] = frozenset()) -> Any | None:
    """fastexcel's sheet from row ``PROBE_ROWS - 1`` on, the ``skip`` columns (counted from
    fastexcel's first column) left out; None where fastexcel refuses. Parses without the GIL:
    run it beside other work."""
    try:
        return fastexcel.read_excel(str(path)).load_sheet(
            sheet, header_row=None, skip_rows=PROBE_ROWS - 1, dtype_coercion="strict",
            schema_sample_rows=None,
            use_columns=(lambda column: column.index not in skip) if skip else None,
            # by name: an int key means the sheet's column, not fastexcel's (they differ when
            # the table does not start in column A)
            dtypes={f"__UNNAMED__{i}": "string" for i in skip} or None)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - also a Rust panic: python-calamine reads it then
        return None


def load_columns(path: Path, sheet: str, skip: frozenset[int] = frozenset()
                 ) -> list[list[Any] | None] | None:
    """The columns of :func:`load_sheet` (see :func:`columns_of`)."""
    return columns_of(load_sheet(path, sheet, skip))


def columns_of(loaded: Any | None) -> list[list[Any] | None] | None:
    """A loaded sheet's columns as lists (blanks ""; None for the skipped columns), or None
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
        elif DataType.is_null(kind):
            values = [""] * len(array)
        else:  # dates, times, durations, integers: python-calamine's values differ
            return None
        columns[index] = values
    return columns


def assemble(package: Package, part: str, head: list[list[Any]],
             columns: list[list[Any] | None] | None, offset: int,
             complete: Callable[[], list[list[Any]]]) -> ColumnGrid | None:
    """The grid, if the overlap row shows that fastexcel's columns start at ``offset`` (and
    at no other column), and the rows end where the sheet's last row is."""
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
    if _last_row(package.read(part)) != overlap + len(next(c for c in columns if c is not None)):
        return None
    return ColumnGrid(head, overlap, offset, columns, complete)


def _last_row(xml: bytes) -> int | None:
    """Number of the sheet's last row element when it holds a value. Rows out of order need no
    scan: where the last element is not the highest row, its number fails the height check."""
    last = xml.rfind(b'<row r="')
    number = ROW_NUMBER.match(xml, last) if last >= 0 else None
    end = xml.find(b"</row>", last)
    if number is None or end < 0 or not (xml.find(b"<v>", last, end) >= 0 or
                                         xml.find(b"<is>", last, end) >= 0):
        return None
    return int(number[1])
