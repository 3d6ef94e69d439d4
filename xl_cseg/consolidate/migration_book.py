"""The segment migration as a workbook: ``Migration`` (headline counts, matrices, per territory,
the revenue basis), ``Änderungen`` (every changed, new and dropped customer with name, codes and
revenue on both dates) and ``Herabstufungen``."""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

from ..core import german
from ..core.migration import Migration
from . import master_rows
from .master import Book, print_setup

_CORNER = "von \\ nach"
_MOVE_HEADERS = ("Kunden-Nr", "Kunde", "Gebiet", "Status", "von", "nach", "Umsatz vorher",
                 "Umsatz nachher")
_MOVE_KINDS = {"customer_id": "id", "revenue_before": "eur", "revenue_after": "eur"}


def write_migration(result: Migration, before: _dt.date, after: _dt.date, dst: Path) -> None:
    """The migration, written atomically to ``dst``."""
    stream = io.BytesIO()
    book = Book(stream, "Migration")
    ws = book.wb.add_worksheet("Migration")
    ws.write_string(0, 0, f"Segment-Migration {german.date(before)} → {german.date(after)}", book.title)
    counts = result.territories.loc["Gesamt"]
    lines = (("Kunden mit anderem Segment", result.changed), ("Neue Kunden", result.new),
             ("Weggefallene Kunden", result.dropped),
             ("Herabstufungen (A → B/C, B → C, Maintain weggefallen)", len(result.downgrades)),
             ("Kunden im älteren Stand", int(counts["Kunden vorher"])),
             ("Kunden im neueren Stand", int(counts["Kunden nachher"])))
    for i, (label, value) in enumerate(lines):
        ws.write_string(2 + i, 0, label)
        book.cell(ws, 2 + i, 1, value, "int")
    row = 3 + len(lines)
    ws.write_string(row, 0, f"Umsatzbasis: {result.basis}")
    row += 2
    for title, matrix, kind in (("Kunden", result.customers, "int"),
                                ("Umsatz vorher (älterer Stand)", result.revenue_before, "eur"),
                                ("Umsatz nachher (neuerer Stand)", result.revenue, "eur")):
        ws.write_string(row, 0, title, book.bold)
        frame = matrix.reset_index(names=_CORNER)
        row = book.table(ws, frame, list(frame.columns), row + 1, list(frame.columns),
                         {c: kind for c in frame.columns[1:]}, total_last=True,
                         filter_=False) + 1
    ws.write_string(row, 0, "Je Gebiet", book.bold)
    frame = result.territories.reset_index()
    kinds = {c: ("eur" if c.startswith("Umsatz") else "int") for c in frame.columns[1:]}
    row = book.table(ws, frame, list(frame.columns), row + 1, list(frame.columns), kinds,
                     total_last=True, filter_=False)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 12, 12)
    print_setup(ws, row, 12)
    for name, frame, headers in (
            ("Änderungen", result.moves, _MOVE_HEADERS),
            ("Herabstufungen", result.downgrades, (*_MOVE_HEADERS, "Grund"))):
        sheet = book.wb.add_worksheet(name)
        end = book.table(sheet, frame, list(frame.columns), 0, list(headers), _MOVE_KINDS)
        for col, width in enumerate((12, 34, 18, 12, 12, 12, 15, 15, 26)[:len(headers)]):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        print_setup(sheet, end, len(headers) - 1, repeat_header=True)
    book.wb.close()
    master_rows.write_streamed(stream.getvalue(), dst, {})
