"""Find and read the customer table of any .xlsx/.xlsm: an Excel Table or a plain header row.

Works on any :class:`source.SheetSource`: for files, values come from :mod:`sheetvalues` and
what the native readers hide (error cells, formulas without a cached value) from a scan of the
sheet XML; :mod:`cellvalues` turns them into the core's values. Nothing here writes.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from itertools import chain
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ..core.columns import EXTRA_INPUT_FIELDS, INPUT_FIELDS, header
from ..core import totals
from ..core.frames import plain_frame
from ..core.headings import folded
from ..core.numbers import parse_number
from ..xlsx.cellref import a1, col_letter, parse_range
from ..xlsx.errors import WorkbookError
from ..xlsx.package import SheetInfo, TableInfo
from . import cellvalues
from .headers import HeaderMatch, closest_header, match_headers, normalize, required_missing
from .names import owned_columns
from .sheetvalues import ColumnGrid
from .source import FileSource, Grid, SheetSource, column_values

MAPPING_SHEETS = ("spaltenzuordnung", "columnmapping", "zuordnung")
HEADER_SCAN_ROWS = 30


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
    rows: Sequence[int]  # sheet rows holding customers, in order (a range where consecutive)
    columns: dict[str, int]  # input key -> column
    outputs: dict[str, int]  # output key -> existing column
    table: TableInfo | None
    raw: pd.DataFrame  # index = sheet row (0-based), columns = input keys, raw cell values
    grid: list[list[Any]] = field(repr=False, default_factory=list)
    notes: list[str] = field(default_factory=list)
    year_columns: dict[str, str] = field(default_factory=dict)
    years: dict[int, str] = field(default_factory=dict)  # revenue year -> input key (history)
    special: dict = field(default_factory=dict, repr=False)  # formula/error cells, (row, col)
    foreign: dict[str, list[int]] = field(default_factory=dict)  # rep's columns, our headers
    headers: dict[int, Any] = field(default_factory=dict)  # header row: column -> text
    scales: dict[str, float] = field(default_factory=dict)  # unit of amount columns (T€: 1000)

    def cell(self, row: int, key: str) -> str:
        """``Kunden!D17`` for a row and an input or output field."""
        col = self.columns.get(key, self.outputs.get(key))
        return f"{self.sheet}!{a1(row, col)}" if col is not None else f"{self.sheet}!{row + 1}"

    def place(self, issue: Any) -> str:
        """Where a core issue is: its cell, its row (``Kunden!17``) or the sheet."""
        if issue.row is None:
            return self.sheet
        return self.cell(issue.row, issue.field) if issue.field else \
            f"{self.sheet}!{issue.row + 1}"


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


DIMENSION_WORDS = ("dimension", "merkmal", "kaufverhalten", "segmentierungsmerkmal")


def read_dimensions(source: SheetSource) -> list[str]:
    """Headers named in ``Spaltenzuordnung`` as buying-behaviour dimensions: rows
    "Dimension | Produktart" (or "Merkmal | Preissegment"), in their order."""
    for sheet in source.worksheets():
        if normalize(sheet.name) not in MAPPING_SHEETS:
            continue
        return [str(row[1]).strip() for row in source.grid(sheet)
                if len(row) >= 2 and normalize(row[0]) in DIMENSION_WORDS and str(row[1]).strip()]
    return []


def column_series(table: CustomerTable, header_text: str) -> pd.Series:
    """The cells of the table's column with this header, by sheet row (the raw frame's index)."""
    col = next(c for c, h in table.headers.items() if str(h).strip() == header_text)
    index = table.raw.index
    if not len(index):
        return pd.Series([], dtype=object)
    values = column_values(table.grid, col, int(index[0]), int(index[-1]))
    by_row = dict(zip(range(int(index[0]), int(index[-1]) + 1), values))
    return pd.Series([by_row.get(int(r), "") for r in index], index=index, dtype=object)


def header_candidates(source: SheetSource, info: SheetInfo, grid: Grid, scan_rows: bool
                      ) -> list[tuple[int, int, int | None, TableInfo | None]]:
    """Header rows to try on a sheet, as (row, first col, last col, table): each Excel Table's
    header, then with ``scan_rows`` the sheet's first rows."""
    found: list[tuple[int, int, int | None, TableInfo | None]] = []
    for tinfo in source.tables(info):
        if tinfo.header_row_count:
            (r0, c0), (_r1, c1) = parse_range(tinfo.ref)
            found.append((r0, c0, c1, tinfo))
    if scan_rows:
        found += [(row, 0, None, None) for row in range(min(HEADER_SCAN_ROWS, len(grid)))]
    return found


def alias_match(headers: dict[int, Any], by_alias: dict[str, str]) -> HeaderMatch:
    """Columns of a side table by their headers' aliases (the first column of each key)."""
    columns: dict[str, int] = {}
    for col, text in sorted(headers.items()):
        key = by_alias.get(normalize(text))
        if key:
            columns.setdefault(key, col)
    return HeaderMatch(columns=columns, outputs={}, duplicates={}, year_columns={})


def find_named_table(source: SheetSource, sheet_names: tuple[str, ...],
                     by_alias: dict[str, str], accept: Any) -> CustomerTable | None:
    """A side table (orders, contacts) on a sheet of one of ``sheet_names``: the first header
    whose alias match ``accept(match)`` takes; None when the workbook keeps none."""
    for info in source.worksheets():
        if normalize(info.name) not in sheet_names:
            continue
        grid = source.grid(info)
        if not grid:
            continue
        for row, first, last, tinfo in header_candidates(source, info, grid, True):
            headers = _header_cells(grid, row, first, last)
            match = alias_match(headers, by_alias)
            if accept(match):
                return _build(source, info, grid, row, first, tinfo, match, headers)
    return None


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
        merged = None
        for row, first, last, tinfo in chain(candidates, ((row, 0, None, None)
                                                          for row in header_rows(grid))):
            headers = _header_cells(grid, row, first, last)
            if len(headers) < 2:
                continue
            if merged is None:
                merged = source.merged_ranges(info)
            two_rows = _two_row_headers(grid, row, headers, merged)
            if two_rows is not None:
                headers = two_rows
            match = match_headers(headers, current_year, mapping)
            missing = required_missing(match)
            if len(missing) == len([f for f in INPUT_FIELDS if f.required]):
                continue
            where = f"{info.name}!{row + 1}" if tinfo is None else f"Tabelle {tinfo.display_name}"
            if missing:
                findings.append(f"{where}: " + _missing_message(info.name, row, headers, match))
                continue
            if match.duplicates:
                parts = []
                for key, cols in match.duplicates.items():
                    cells = " und ".join(f"{info.name}!{a1(row, c)}" for c in cols)
                    parts.append(f'{cells}: Spalte „{header(key)}“ doppelt')
                findings.append("; ".join(parts) + " – bitte eine Spalte umbenennen oder in "
                                                   'einem Blatt „Spaltenzuordnung“ festlegen')
                continue
            return _build(source, info, grid, row, first, tinfo, match, headers,
                          2 if two_rows is not None else 1)
    if not findings:
        findings = [hint for info in sheets if (hint := _unsplit_csv(source, info, current_year))]
    detail = ("; ".join(dict.fromkeys(findings)) if findings else
              "keine Kopfzeile mit Kunden-Nr, Kunde, Umsatz Vorjahr und Potenzial gefunden")
    raise NoCustomerTable(f'„{path.name}“: keine Kundentabelle gefunden ({detail}).', path=path)


CSV_SEPARATORS = {";": "Semikolon", "\t": "Tabulator", ",": "Komma", "|": "senkrechter Strich"}
CSV_ROWS = 30  # the rows looked at for a CSV line in one cell


def _unsplit_csv(source: SheetSource, info: SheetInfo, current_year: int) -> str | None:
    """A CSV export opened without splitting its columns: the header line in one cell
    (``Kunden-Nr;Kunde;Umsatz Vorjahr;…``). Names that cell and the separator to choose."""
    grid = source.grid(info)
    for r, row in enumerate(grid[:CSV_ROWS]):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            for sep, name in CSV_SEPARATORS.items():
                parts = [p.strip().strip('"') for p in value.split(sep)]
                if len(parts) < 3:
                    continue
                headers = {i: p for i, p in enumerate(parts) if p}
                if required_missing(match_headers(headers, current_year, {})):
                    continue
                shown = value if len(value) <= 40 else value[:40] + " …"
                garbled = any(isinstance(v, str) and ("Ã" in v or "â€" in v)
                              for line in grid[:CSV_ROWS] for v in line)
                return (f"{info.name}!{a1(r, c)}: die Kopfzeile steht in einer Zelle („{shown}“) – "
                        "die CSV-Datei wurde nicht in Spalten aufgeteilt. Bitte die CSV-Datei "
                        f"über „Daten > Aus Text/CSV“ öffnen, als Trennzeichen {name}"
                        + (" und als Dateiursprung den Zeichensatz der Datei wählen (die Umlaute "
                           "sind verstümmelt, „Ã¼“ statt „ü“: meist UTF-8)" if garbled else
                           " wählen")
                        + ", dann als Excel-Arbeitsmappe (.xlsx) speichern")
    return None


def header_rows(grid: Grid) -> Iterator[int]:
    """Rows that may hold a header, lazily: the first :data:`HEADER_SCAN_ROWS` rows, then any
    row further down with at least two texts (a list below a long title block or notes)."""
    yield from range(min(HEADER_SCAN_ROWS, len(grid)))
    for row in range(HEADER_SCAN_ROWS, len(grid)):
        texts = 0
        for value in grid[row]:
            if type(value) is str and value.strip():
                texts += 1
                if texts == 2:
                    yield row
                    break


def _two_row_headers(grid: Grid, row: int, headers: dict[int, Any], merged: list
                     ) -> dict[int, Any] | None:
    """Headers of a two-row header: a cell merged across columns (``Umsatz``) over a row of
    sub-headers (``2024 | 2025``) reads as ``Umsatz 2024``, ``Umsatz 2025``; the other
    columns keep their text. None when ``row`` heads no such pair of rows."""
    spans = [(c0, c1) for (r0, c0), (r1, c1) in merged if r0 == row and r1 == row and c1 > c0]
    if not spans or row + 1 >= len(grid):
        return None
    below = grid[row + 1]

    def sub(c: int) -> str:
        """A sub-header: a text or a year (a data row's amounts are none)."""
        value = below[c] if c < len(below) else ""
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() and 1900 <= value <= 2100 else ""
        return value.strip() if isinstance(value, str) else ""

    combined = dict(headers)
    for c0, c1 in spans:
        top = str(headers.get(c0, "")).strip()
        parts = [sub(c) for c in range(c0, c1 + 1)]
        if not top or not all(parts):
            return None
        for c, part in zip(range(c0, c1 + 1), parts):
            combined[c] = f"{top} {part}"
    return combined


def _missing_message(sheet: str, row: int, headers: dict[int, Any], match: HeaderMatch) -> str:
    """Which required columns are missing, the closest header for each, and how to map it."""
    fields = [f for f in INPUT_FIELDS if f.required and f.key not in match.columns]
    found = ", ".join(f"„{headers[c]}“" for c in sorted(match.columns.values()))
    parts = []
    for f in fields:
        col = closest_header(headers, match, f.key)
        if col is None:
            parts.append(f"Pflichtspalte „{f.header}“ fehlt – bitte eine Spalte so benennen oder "
                         f"im Blatt „Spaltenzuordnung“ eine Zeile „{f.header}“ | „Ihre "
                         "Überschrift“ anlegen")
        else:
            text = str(headers[col]).strip()
            parts.append(f"Pflichtspalte „{f.header}“ fehlt – meinten Sie „{text}“ (Spalte "
                         f"{col_letter(col)})? Dann im Blatt „Spaltenzuordnung“ eine Zeile "
                         f"„{f.header}“ | „{text}“ anlegen (Spalte A das Feld, Spalte B Ihre "
                         "Überschrift)")
    return "; ".join(parts) + (f" (erkannt: {found})" if found else "")


def _build(source: SheetSource, info: SheetInfo, grid: Grid, header_row: int, first: int,
           tinfo: TableInfo | None, match: HeaderMatch, headers: dict[int, Any],
           header_height: int = 1) -> CustomerTable:
    notes: list[str] = []
    merged = [m for m in source.merged_ranges(info) if m[0][0] <= header_row <= m[1][0]]
    for (r0, c0), (r1, c1) in merged:
        if header_height == 2 and r0 == r1 == header_row:
            notes.append(f"{info.name}!{a1(r0, c0)}:{a1(r1, c1)}: zweizeilige Überschrift, "
                         f"gelesen als {', '.join(f'„{headers[c]}“' for c in range(c0, c1 + 1))}")
            continue
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
        data_rows = list(range(header_row + header_height, len(grid)))
    cols = match.columns
    outputs, foreign = owned_outputs(source, info, match)
    rows = _customer_rows(grid, data_rows, cols)
    scanned = list(cols.values()) + list(outputs.values())
    columns = _columns(grid, rows, list(cols.values()))
    keep = _not_customers(grid, rows, columns, cols, min(headers) if tinfo is None else first,
                          last_col, headers, info.name, notes)
    if not keep.all():
        rows = [r for r, k in zip(rows, keep.tolist()) if k]
        columns = {c: [v for v, k in zip(values, keep.tolist()) if k]
                   for c, values in columns.items()}
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
                         rows=_compact(rows), columns=dict(cols), outputs=outputs, table=tinfo,
                         raw=raw, grid=grid, notes=notes, year_columns=match.year_columns,
                         special=special, foreign=foreign, headers=dict(headers),
                         scales=dict(match.scales), years=dict(match.years))


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


def _customer_rows(grid: Grid, data_rows: list[int], cols: dict[str, int]) -> list[int]:
    """The data rows that exist, without trailing blank rows."""
    height = len(grid)
    rows = [r for r in data_rows if r < height]
    while rows and all(_is_blank(grid, rows[-1], c) for c in cols.values()):
        rows.pop()
    return rows


SUB_TOTALS = frozenset(("zwischensumme", "teilsumme", "subtotal"))
_NO_DIGIT_LINE = re.compile(r"(?m)^[^\d\n]*$")


def _amounts(values: Sequence[Any]) -> np.ndarray:
    """A column's amounts for comparing sums: numbers as they are, texts parsed (German
    formats, units), anything else NaN."""
    array = np.array(values, dtype=object)
    array[array == ""] = np.nan
    try:  # numbers and blanks only, as most columns are
        return array.astype(float)
    except (TypeError, ValueError):
        return np.fromiter((v if type(v) is float else _amount(v) for v in values),
                           dtype=float, count=len(values))


def _amount(value: Any) -> float:
    if value is None or value == "":
        return np.nan
    number = parse_number(value)[0]
    return np.nan if number is None else number


def _wordless_ids(ids: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose customer number is blank, and rows where it is a text without digits
    (``Gesamt:``, ``Region Nord``: customer numbers have digits). One regex pass over the
    joined column: a per-cell Python test costs 100 ms on 100,000 text numbers."""
    n = len(ids)
    blank, wordy = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    joined = "\n".join(ids) if set(map(type, ids)) == {str} else ""
    if joined.count("\n") != n - 1:  # other values, or line breaks inside a number
        joined = "\n".join(v.replace("\n", " ") if type(v) is str else
                           "" if v is None or v != v else "0" for v in ids)
    row, at = 0, 0
    for match in _NO_DIGIT_LINE.finditer(joined):
        row += joined.count("\n", at, match.start())
        at = match.start()
        if match.group().strip():
            wordy[row] = True
        else:
            blank[row] = True
    return blank, wordy


def _not_customers(grid: Grid, rows: list[int], columns: dict[int, Sequence[Any]],
                   cols: dict[str, int], first: int, last: int, headers: dict[int, Any],
                   sheet: str, notes: list[str]) -> np.ndarray:
    """Which of ``rows`` hold customers: totals (labelled in any text cell of the table, or
    unlabelled with the sums of the rows above), group headings and repeated header rows are
    left out, each named in ``notes``."""
    n = len(rows)
    keep = np.ones(n, dtype=bool)
    id_col = cols.get("customer_id")
    if not n or id_col is None:
        return keep
    ids = columns[id_col]
    if set(map(type, ids)) == {float}:  # every row has a number: no total, no heading
        return keep
    blank, wordy = _wordless_ids(ids)
    labelled = blank | wordy
    header_texts = {normalize(t) for t in headers.values()}
    total_rows = np.zeros(n, dtype=bool)
    grand: list[int] = []
    for pos in np.flatnonzero(labelled):
        r = rows[pos]
        cells = grid[r] if r < len(grid) else []
        row = {c: cells[c] for c in range(first, min(last + 1, len(cells)))}
        label = next(((c, v) for c, v in row.items() if totals.is_total_label(v)), None)
        if label is not None:
            total_rows[pos], keep[pos] = True, False
            notes.append(f"{sheet}!{a1(r, label[0])}: Summenzeile „{str(label[1]).strip()}“ – "
                         "nicht als Kunde gezählt")
            if folded(label[1]).split()[0].strip(":") not in SUB_TOTALS:
                grand.append(pos)
        elif (blank[pos] or wordy[pos]) and totals.is_heading(list(row.values())):
            keep[pos] = False
            c, v = next((c, v) for c, v in row.items() if str(v).strip())
            notes.append(f"{sheet}!{a1(r, c)}: Zwischenüberschrift „{str(v).strip()}“ – nicht als "
                         "Kunde gezählt")
        elif blank[pos] and sum(normalize(v) in header_texts for v in row.values()
                                if isinstance(v, str) and v.strip()) >= 2:
            keep[pos] = False
            notes.append(f"{sheet}!{r + 1}: Kopfzeile wiederholt – nicht als Kunde gezählt")
    candidates = blank & keep
    amounts = [] if not candidates.any() else [
        _amounts(columns[c]) for key, c in cols.items() if key in ("revenue", "potential")]
    unlabelled = totals.unlabelled_totals(amounts, candidates, ~keep, total_rows)
    for pos in np.flatnonzero(unlabelled):
        keep[pos] = False
        notes.append(f"{sheet}!{rows[pos] + 1}: Zeile ohne Kunden-Nr mit den Summen der Zeilen "
                     "darüber – als Summenzeile nicht gezählt")
    # below the last grand total only rows without customer number: the table ends there
    if grand and not (~blank[grand[-1] + 1:] & keep[grand[-1] + 1:]).any():
        below = np.flatnonzero(keep[grand[-1] + 1:]) + grand[-1] + 1
        if len(below):
            keep[below] = False
            notes.append(f"{sheet}!{rows[grand[-1]] + 1}: Tabelle endet mit der Summenzeile; "
                         f"{len(below)} Zeile(n) darunter nicht gelesen")
    return keep


def _columns(grid: Grid, rows: list[int], cols: list[int]) -> dict[int, Sequence[Any]]:
    """The values of ``cols`` in ``rows`` (consecutive; blank where a row is shorter)."""
    if not rows:
        return {col: [] for col in cols}
    block = [] if isinstance(grid, ColumnGrid) else grid[rows[0]:rows[-1] + 1]
    if block and len(set(map(len, block))) == 1 and max(cols) < len(block[0]):
        table = np.array(block, dtype=object)  # rectangular, as calamine delivers it
        return {col: table[:, col].tolist() for col in cols}
    return {col: column_values(grid, col, rows[0], rows[-1]) for col in cols}


def _compact(rows: list[int]) -> Sequence[int]:
    """The rows (ascending) as a ``range`` where they follow each other, as the rows of a table
    do (nothing per row is kept), else as they are."""
    if rows and rows[-1] - rows[0] + 1 == len(rows):
        return range(rows[0], rows[-1] + 1)
    return rows


def _row_index(rows: list[int]) -> pd.Index:
    """The rows as an index (a RangeIndex when consecutive, as the rows of a table are)."""
    if rows and rows[-1] - rows[0] + 1 == len(rows):
        return pd.RangeIndex(rows[0], rows[-1] + 1)
    return pd.Index(np.array(rows, dtype=np.int64))


def _is_blank(grid: Grid, row: int, col: int) -> bool:
    return row >= len(grid) or str(column_values(grid, col, row, row)[0]).strip() == ""

