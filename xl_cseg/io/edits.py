"""What a job changes in a workbook, independent of where it is written (file or open book).

A job produces :class:`SheetEdit` values; a writer applies all edits of a job at once, so a
failure leaves the workbook as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from ..xlsx.package import SheetInfo, TableInfo
from ..xlsx.sheetwriter import ColumnBlock

# style hints for cells the job creates: ("like", (row, col)) copies an existing cell's look,
# ("format", code) shows numbers with an Excel number format code (e.g. '0.0 %', '#,##0 "€"'),
# appended to the workbook's styles where it has none
StyleHint = tuple


@dataclass
class SheetEdit:
    sheet: SheetInfo
    cells: dict[tuple[int, int], Any]  # (row, col) -> value; None clears the value
    styles: dict[tuple[int, int], StyleHint] = field(default_factory=dict)
    column_styles: dict[int, StyleHint] = field(default_factory=dict)  # new cells of a column
    block: ColumnBlock | None = None  # many rows x few columns; ``cells`` win over it
    table: TableInfo | None = None  # the Excel Table that grows
    table_ref: str | None = None  # its new range
    add_columns: list[str] = field(default_factory=list)  # headers of the columns it gains
    owned_columns: list[int] | None = None  # the sheet's columns this project owns afterwards
    # owned cells that exist already and get a number format: (row, col) -> ("format", code);
    # the cell keeps its look (font, fill, borders), only the number format changes
    restyle: dict[tuple[int, int], StyleHint] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)  # owned column -> at least this wide
    heights: dict[int, float] = field(default_factory=dict)  # owned row -> height in points
    # a worksheet autofilter over the table grows to (header row, last column, last row)
    filter_to: tuple[int, int, int] | None = None


class WorkbookWriter(Protocol):
    def apply(self, edits: Sequence[SheetEdit]) -> None:
        """Write every edit or none."""

    def write_sheets(self, source: Any, contents: Sequence[Any], ours: Any) -> None:
        """Write sheets of our own (added or rewritten), or none."""
