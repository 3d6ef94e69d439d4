"""The segment migration as a workbook (sheet ``Migration``)."""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

from ..core.migration import Migration
from . import bulk
from .master import Book

_CORNER = "von \\ nach"
_MOVE_HEADERS = ("Kunden-Nr", "Gebiet", "von", "nach", "Umsatz vorher", "Umsatz nachher")


def write_migration(result: Migration, before: _dt.date, after: _dt.date, dst: Path) -> None:
    """Both matrices and the customers whose segment changed, written atomically to ``dst``."""
    stream = io.BytesIO()
    book = Book(stream, "Migration")
    ws = book.wb.add_worksheet("Migration")
    ws.write_string(0, 0, f"Segment-Migration {before:%d.%m.%Y} → {after:%d.%m.%Y}", book.title)
    row = 2
    for title, matrix, kind in (("Kunden", result.customers, "int"),
                                ("Umsatz", result.revenue, "eur")):
        ws.write_string(row, 0, title, book.bold)
        frame = matrix.reset_index(names=_CORNER)
        row = book.table(ws, frame, list(frame.columns), row + 1, list(frame.columns),
                         {c: kind for c in frame.columns[1:]}, total_last=True,
                         filter_=False) + 1
    ws.write_string(row, 0, "Kunden mit anderem Segment", book.bold)
    moves = result.moves
    book.table(ws, moves, list(moves.columns), row + 1, list(_MOVE_HEADERS),
               {"customer_id": "id", "revenue_before": "eur", "revenue_after": "eur"})
    ws.set_column(0, 0, 16)
    ws.set_column(1, 12, 12)
    book.wb.close()
    bulk.write_streamed(stream.getvalue(), dst, {})
