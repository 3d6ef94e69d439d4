"""Find and read the customer table of any .xlsx/.xlsm: an Excel Table or a plain header row.

Works on any :class:`source.SheetSource`: for files, values come from :mod:`sheetvalues` and
what the native readers hide (error cells, formulas without a cached value) from a scan of the
sheet XML; :mod:`cellvalues` turns them into the core's values. Nothing here writes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..core.columns import EXTRA_INPUT_FIELDS, INPUT_FIELDS, header
from ..core.frames import plain_frame
from ..xlsx.cellref import a1, parse_range
from ..xlsx.errors import WorkbookError
from ..xlsx.package import SheetInfo, TableInfo
from . import cellvalues
from .headers import HeaderMatch, match_headers, normalize, required_missing
from .names import owned_columns
from .sheetvalues import ColumnGrid
from .source import FileSource, Grid, SheetSource, column_values

MAPPING_SHEETS = ("spaltenzuordnung", "columnmapping", "zuordnung")
HEADER_SCAN_ROWS = 30
_TOTAL_WORDS = {"summe", "gesamt", "total", "gesamtsumme", "summen", "ergebnis"}


class NoCustomerTable(WorkbookError):
    """No sheet holds a usable customer table (German message says what was found)."""


@dataclass
class CustomerTable:
    """Where the customer table is and what it holds (rows and columns 0-based)."""

    path: Path
    sheet: str
    sheet_part: str  # the source's key of the sheet (the XML part for files)
    header_row: int
    first_col: int
    last_col: int  # last column of the table (header) before output columns are added
    rows: list[int]  # sheet rows holding customers, in order
    columns: dict[str, int]  # input key -> column
    outputs: dict[str, int]  # output key -> existing column
    table: TableInfo | None
    raw: pd.DataFrame  # index = sheet row (0-based), columns = input keys, raw cell values
    grid: list[list[Any]] = field(repr=False, default_factory=list)
    notes: list[str] = field(default_factory=list)
    year_columns: dict[str, str] = field(default_factory=dict)
    special: dict = field(default_factory=dict, repr=False)  # formula/error cells, (row, col)
    foreign: dict[str, list[int]] = field(default_factory=dict)  # rep's columns, our headers
    headers: dict[int, Any] = field(default_factory=dict)  # header row: column -> text

    def cell(self, row: int, key: str) -> str:
        """``Kunden!D17`` for a row and an input or output field."""
        col = self.columns.get(key, self.outputs.get(key))
        return f"{self.sheet}!{a1(row, col)}" if col is not None else f"{self.sheet}!{row + 1}"


def load(path: str | Path, current_year: int | None = None) -> tuple[FileSource, CustomerTable]:
    """Open the workbook file safely and locate its customer table."""
    source = FileSource(path)
    return source, find_customer_table(source, current_year or _dt.date.today().year)


def read_mapping(source: SheetSource) -> tuple[dict[str, str], str | None]:
    """The optional ``Spaltenzuordnung`` sheet: rows "Feld | Überschrift in Ihrer Liste".

    A row "Tabellenblatt | <Name>" says which sheet holds the customers.
    """
    by_header = {normalize(f.header): f.key for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS}
    for sheet in source.worksheets():
        if normalize(sheet.name) not in MAPPING_SHEETS:
            continue
        mapping: dict[str, str] = {}
        sheet_name = None
        for row in source.grid(sheet):
            if len(row) < 2 or not str(row[0]).strip() or not str(row[1]).strip():
                continue
            field_text, target = normalize(row[0]), str(row[1]).strip()
            if field_text in ("tabellenblatt", "blatt", "sheet"):
                sheet_name = target
            elif field_text in by_header:
                mapping[by_header[field_text]] = target
        return mapping, sheet_name
    return {}, None


def _header_cells(grid: Grid, row: int, first: int = 0, last: int | None = None
                  ) -> dict[int, Any]:
    cells = grid[row] if row < len(grid) else []
    stop = len(cells) if last is None else min(len(cells), last + 1)
    return {c: cells[c] for c in range(first, stop) if str(cells[c]).strip()}


def find_customer_table(source: SheetSource, current_year: int) -> CustomerTable:
    path = source.path
    mapping, wanted_sheet = read_mapping(source)
    sheets = list(source.worksheets())
    if wanted_sheet:
        sheets = [s for s in sheets if s.name.casefold() == wanted_sheet.casefold()] or sheets
    # the sheet called "Kunden" first, then the others in workbook order
    sheets.sort(key=lambda s: 0 if normalize(s.name) in ("kunden", "customers") else 1)
    findings: list[str] = []
    for info in sheets:
        if normalize(info.name) in MAPPING_SHEETS:
            continue
        grid = source.grid(info)
        if not grid:
            continue
        candidates: list[tuple[int, int, int | None, TableInfo | None]] = []
        for tinfo in source.tables(info):
            (r0, c0), (_r1, c1) = parse_range(tinfo.ref)
            if tinfo.header_row_count:
                candidates.append((r0, c0, c1, tinfo))
        for row in range(min(HEADER_SCAN_ROWS, len(grid))):
            candidates.append((row, 0, None, None))
        for row, first, last, tinfo in candidates:
            headers = _header_cells(grid, row, first, last)
            if len(headers) < 2:
                continue
            match = match_headers(headers, current_year, mapping)
            missing = required_missing(match)
            if len(missing) == len([f for f in INPUT_FIELDS if f.required]):
                continue
            where = f"{info.name}!{row + 1}" if tinfo is None else f"Tabelle {tinfo.display_name}"
            if missing:
                found = ", ".join(str(headers[c]) for c in sorted(match.columns.values()))
                findings.append(f"{where}: Pflichtspalte(n) {', '.join(chr(34) + m + chr(34) for m in missing)} "
                                f"fehlen (gefunden: {found})")
                continue
            if match.duplicates:
                parts = []
                for key, cols in match.duplicates.items():
                    cells = " und ".join(f"{info.name}!{a1(row, c)}" for c in cols)
                    parts.append(f'{cells}: Spalte "{header(key)}" doppelt')
                findings.append("; ".join(parts) + " – bitte eine Spalte umbenennen oder in "
                                                   'einem Blatt "Spaltenzuordnung" festlegen')
                continue
            return _build(source, info, grid, row, first, tinfo, match, headers)
    detail = ("; ".join(dict.fromkeys(findings)) if findings else
              "keine Kopfzeile mit Kunden-Nr, Kunde, Umsatz Vorjahr und Potenzial gefunden")
    raise NoCustomerTable(f'"{path.name}": keine Kundentabelle gefunden ({detail}).', path=path)


def _build(source: SheetSource, info: SheetInfo, grid: Grid, header_row: int, first: int,
           tinfo: TableInfo | None, match: HeaderMatch, headers: dict[int, Any]
           ) -> CustomerTable:
    notes: list[str] = []
    merged = [m for m in source.merged_ranges(info) if m[0][0] <= header_row <= m[1][0]]
    for (r0, c0), (r1, c1) in merged:
        notes.append(f"{info.name}!{a1(r0, c0)}:{a1(r1, c1)}: verbundene Überschriftszellen; "
                     f"nur die erste Spalte wird gelesen")
    if tinfo is not None:
        (r0, _c0), (r1, c1) = parse_range(tinfo.ref)
        data_rows = list(range(r0 + tinfo.header_row_count, r1 + 1 - (tinfo.totals_row_count or 0)))
        last_col = c1
    else:
        # a merged header cell reaches as far as its merge area
        last_col = max([max(headers)] + [c1 for (_r0, c0), (_r1, c1) in merged
                                         if c0 <= max(headers)])
        data_rows = list(range(header_row + 1, len(grid)))
    cols = match.columns
    outputs, foreign = owned_outputs(source, info, match)
    rows = _customer_rows(grid, data_rows, cols, tinfo is None, info.name, notes)
    scanned = list(cols.values()) + list(outputs.values())
    columns = _columns(grid, rows, list(cols.values()))
    # error cells and formulas without a cached value: found by scanning the sheet part, needed
    # where a value reads as blank (or always, if the source shows them otherwise) and for
    # formulas in output columns that must be kept
    kinds = {col: set(map(type, values)) for col, values in columns.items()}
    needed = not source.specials_read_as_blank or bool(outputs) or \
        any(str in kinds[col] and "" in values for col, values in columns.items())
    special = source.special_cells(info, rows[0], rows[-1], scanned) if rows and needed else {}
    index = _row_index(rows)
    raw = plain_frame({key: cellvalues.column(columns[col], kinds[col], col, index, special)
                       for key, col in cols.items()}, index)
    return CustomerTable(path=source.path, sheet=info.name, sheet_part=info.part, header_row=header_row,
                         first_col=min(headers) if tinfo is None else first, last_col=last_col,
                         rows=rows, columns=dict(cols), outputs=outputs, table=tinfo,
                         raw=raw, grid=grid, notes=notes, year_columns=match.year_columns,
                         special=special, foreign=foreign, headers=dict(headers))


def owned_outputs(source: SheetSource, info: SheetInfo, match: HeaderMatch
                  ) -> tuple[dict[str, int], dict[str, list[int]]]:
    """The output columns this project wrote before (named by the workbook's marker), and the
    rep's own columns that carry one of its headers (never written)."""
    owned = owned_columns(source.defined_names(), info.name)
    outputs: dict[str, int] = {}
    foreign: dict[str, list[int]] = {}
    for key, cols in match.output_columns.items():
        mine = [c for c in cols if c in owned]
        if mine:
            outputs[key] = mine[0]
        theirs = [c for c in cols if c not in owned]
        if theirs:
            foreign[key] = theirs
    return outputs, foreign


def _customer_rows(grid: Grid, data_rows: list[int], cols: dict[str, int],
                   plain: bool, sheet: str, notes: list[str]) -> list[int]:
    """Data rows up to a total line ("Summe") of a plain range, without trailing blank rows."""
    height = len(grid)
    rows = [r for r in data_rows if r < height]
    id_col, name_col = cols.get("customer_id"), cols.get("name")
    if plain and id_col is not None and name_col is not None and rows:
        ids = column_values(grid, id_col, rows[0], rows[-1])
        names = column_values(grid, name_col, rows[0], rows[-1])
        blank_ids = [i for i, cid in enumerate(ids) if cid == ""] if "" in ids else []
        for i in blank_ids:  # a total line has no customer number
            r, name = rows[i], names[i]
            if isinstance(name, str) and normalize(name) in _TOTAL_WORDS:
                notes.append(f'{sheet}!{a1(r, name_col)}: Summenzeile "{name}" – Tabelle endet '
                             "davor")
                rows = rows[:i]
                break
    while rows and all(_is_blank(grid, rows[-1], c) for c in cols.values()):
        rows.pop()
    return rows


def _columns(grid: Grid, rows: list[int], cols: list[int]) -> dict[int, Sequence[Any]]:
    """The values of ``cols`` in ``rows`` (consecutive; blank where a row is shorter)."""
    if not rows:
        return {col: [] for col in cols}
    block = [] if isinstance(grid, ColumnGrid) else grid[rows[0]:rows[-1] + 1]
    if block and len(set(map(len, block))) == 1 and max(cols) < len(block[0]):
        table = np.array(block, dtype=object)  # rectangular, as calamine delivers it
        return {col: table[:, col].tolist() for col in cols}
    return {col: column_values(grid, col, rows[0], rows[-1]) for col in cols}


def _row_index(rows: list[int]) -> pd.Index:
    """The rows as an index (a RangeIndex when consecutive, as the rows of a table are)."""
    if rows and rows[-1] - rows[0] + 1 == len(rows):
        return pd.RangeIndex(rows[0], rows[-1] + 1)
    return pd.Index(np.array(rows, dtype=np.int64))


def _is_blank(grid: Grid, row: int, col: int) -> bool:
    return row >= len(grid) or str(column_values(grid, col, row, row)[0]).strip() == ""

