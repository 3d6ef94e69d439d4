"""Find the optional order list (``Aufträge``): one row per order with customer number, date and
order value, from which cost to serve and pricing count orders exactly."""

from __future__ import annotations

from ..xlsx.cellref import parse_range
from .headers import HeaderMatch, normalize
from .reader import HEADER_SCAN_ROWS, CustomerTable, _build, _header_cells
from .source import SheetSource

_ALIASES = {
    "customer_id": ("kundennr", "kdnr", "kundennummer", "kunde", "debitor", "debitornr",
                    "customerid", "customerno"),
    "date": ("datum", "auftragsdatum", "bestelldatum", "belegdatum", "lieferdatum", "date",
             "orderdate"),
    "value": ("auftragswert", "bestellwert", "wert", "betrag", "nettowert", "nettobetrag",
              "umsatz", "ordervalue", "value", "amount"),
}
_BY_ALIAS = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
SHEET_NAMES = ("auftraege", "auftragsliste", "bestellungen", "orders")


def _match(headers: dict[int, object]) -> HeaderMatch:
    columns: dict[str, int] = {}
    for col, text in sorted(headers.items()):
        key = _BY_ALIAS.get(normalize(text))
        if key:
            columns.setdefault(key, col)
    return HeaderMatch(columns=columns, outputs={}, duplicates={}, year_columns={})


def find_orders_table(source: SheetSource) -> CustomerTable | None:
    """The order list on a sheet called ``Aufträge`` (or ``Bestellungen``/``Orders``), as an
    Excel Table or a header row in its first rows; None when the workbook keeps none."""
    for info in source.worksheets():
        if normalize(info.name) not in SHEET_NAMES:
            continue
        grid = source.grid(info)
        if not grid:
            continue
        candidates = [(parse_range(t.ref)[0][0], parse_range(t.ref)[0][1],
                       parse_range(t.ref)[1][1], t) for t in source.tables(info)
                      if t.header_row_count]
        candidates += [(row, 0, None, None) for row in range(min(HEADER_SCAN_ROWS, len(grid)))]
        for row, first, last, tinfo in candidates:
            headers = _header_cells(grid, row, first, last)
            match = _match(headers)
            if all(k in match.columns for k in ("customer_id", "date", "value")):
                return _build(source, info, grid, row, first, tinfo, match, headers)
    return None
