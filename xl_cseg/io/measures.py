"""Find the measures table (``Maßnahmen``): one row per measure with customer number and status."""

from __future__ import annotations

from ..core.pipeline import MEASURE_OUTPUT_FIELDS
from .headers import HeaderMatch, normalize, output_key
from .reader import CustomerTable, _build, _header_cells, header_candidates
from .source import SheetSource

_ALIASES = {
    "customer_id": ("kundennr", "kdnr", "kundennummer", "customerid", "debitor"),
    "measure": ("massnahme", "aktivitaet", "projekt", "produktidee", "measure"),
    "status": ("status", "stand"),
    "phase": ("phase",),
    "expected_revenue": ("erwarteterumsatz", "umsatzerwartet", "betrag", "potenzialmassnahme",
                         "expectedrevenue"),
    "probability": ("wahrscheinlichkeitmanuell", "wktmanuell"),
    "next_step": ("naechsterschritt", "nextstep"),
    "due_date": ("faelligam", "faellig", "termin", "duedate"),
    "last_activity": ("letzteaktivitaet", "letzterkontakt", "lastactivity"),
}
_BY_ALIAS = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
_OUTPUTS = {normalize(f.header): f.key for f in MEASURE_OUTPUT_FIELDS}
REQUIRED = ("customer_id", "status")
SHEET_NAMES = ("massnahmen", "measures", "pipeline")


def _match(headers: dict[int, object]) -> HeaderMatch:
    columns: dict[str, int] = {}
    outputs: dict[str, int] = {}
    output_columns: dict[str, list[int]] = {}
    for col, text in sorted(headers.items()):
        key_text = normalize(text)
        out_key = None if key_text in _BY_ALIAS else output_key(key_text, _OUTPUTS)
        if out_key is not None:
            outputs.setdefault(out_key, col)
            output_columns.setdefault(out_key, []).append(col)
        elif key_text in _BY_ALIAS:
            columns.setdefault(_BY_ALIAS[key_text], col)
    return HeaderMatch(columns=columns, outputs=outputs, duplicates={}, year_columns={},
                       output_columns=output_columns)


def find_measures_table(source: SheetSource) -> CustomerTable | None:
    """The measures table, or None when the workbook keeps no measures."""
    sheets = sorted(source.worksheets(),
                    key=lambda s: 0 if normalize(s.name) in SHEET_NAMES else 1)
    for info in sheets:
        grid = source.grid(info)
        if not grid:
            continue
        candidates = header_candidates(source, info, grid, normalize(info.name) in SHEET_NAMES)
        for row, first, last, tinfo in candidates:
            headers = _header_cells(grid, row, first, last)
            match = _match(headers)
            if all(k in match.columns for k in REQUIRED) and \
                    ("measure" in match.columns or "expected_revenue" in match.columns):
                return _build(source, info, grid, row, first, tinfo, match, headers)
    return None

