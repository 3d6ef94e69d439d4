"""What a job changes in a workbook, independent of where it is written (file or open book).

A job produces :class:`SheetEdit` values; a writer applies all edits of a job at once, so a
failure leaves the workbook as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from ..xlsx.package import SheetInfo, TableInfo
from ..xlsx.patch import ColumnBlock

# style hints for cells the job creates: ("like", (row, col)) copies an existing cell's look,
# ("percent",) shows a fraction as a percentage
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


class WorkbookWriter(Protocol):
    def apply(self, edits: Sequence[SheetEdit]) -> None:
        """Write every edit or none."""

    def write_sheets(self, source: Any, contents: Sequence[Any], ours: Any) -> None:
        """Write sheets of our own (added or rewritten), or none."""
