"""Find the optional contact sheet (``Ansprechpartner``): one row per decision maker with
customer number, name, role, loyalty, status, date of leaving and last contact."""

from __future__ import annotations

from ..xlsx.cellref import parse_range
from .headers import HeaderMatch, normalize
from .reader import HEADER_SCAN_ROWS, CustomerTable, _build, _header_cells
from .source import SheetSource

_ALIASES = {
    "customer_id": ("kundennr", "kdnr", "kundennummer", "debitor", "customerid"),
    "name": ("name", "ansprechpartner", "kontakt", "person", "entscheider"),
    "role": ("rolle", "funktion", "position", "abteilung", "bereich", "role"),
    "loyalty": ("verbundenheit", "loyalitaet", "bindung", "loyalty"),
    "status": ("status", "aktiv"),
    "left_on": ("ausgeschiedenam", "ausgeschieden", "austritt", "austrittsdatum", "abgang"),
    "last_contact": ("letzterkontakt", "letzterkontaktam", "kontaktam", "lastcontact"),
}
_BY_ALIAS = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
SHEET_NAMES = ("ansprechpartner", "kontakte", "entscheider", "contacts")


def _match(headers: dict[int, object]) -> HeaderMatch:
    columns: dict[str, int] = {}
    for col, text in sorted(headers.items()):
        key = _BY_ALIAS.get(normalize(text))
        if key:
            columns.setdefault(key, col)
    return HeaderMatch(columns=columns, outputs={}, duplicates={}, year_columns={})


def find_contacts_table(source: SheetSource) -> CustomerTable | None:
    """The contact table on a sheet called ``Ansprechpartner`` (or ``Kontakte``), as an Excel
    Table or a header row in its first rows; None when the workbook keeps none."""
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
            if "customer_id" in match.columns and ("loyalty" in match.columns or
                                                   "role" in match.columns):
                return _build(source, info, grid, row, first, tinfo, match, headers)
    return None
