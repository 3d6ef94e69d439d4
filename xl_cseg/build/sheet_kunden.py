"""The ``Kunden`` sheet: the customer list as an Excel Table with input and output columns."""

from __future__ import annotations


import pandas as pd
from xlsxwriter.worksheet import Worksheet

from ..core.columns import INPUT_FIELDS, OUTPUT_FIELDS, header
from ..core.params import CODES
from .formats import Formats, column_formats, write_value

SHEET = "Kunden"
TABLE = "tblKunden"
INPUT_ORDER = ("customer_id", "name", "territory", "revenue_prev", "revenue", "potential",
               "loyalty")
COLUMNS: tuple[str, ...] = INPUT_ORDER + tuple(f.key for f in OUTPUT_FIELDS)
_FIELDS = {f.key: f for f in INPUT_FIELDS + OUTPUT_FIELDS}
_INPUTS = {f.key for f in INPUT_FIELDS}


def column(key: str) -> int:
    return COLUMNS.index(key)


def write_kunden_sheet(ws: Worksheet, fmt: Formats, customers: pd.DataFrame | None) -> None:
    """Write the table; ``customers`` holds COLUMNS keys (demo variant) or is None (empty)."""
    n_rows = 1 if customers is None or customers.empty else len(customers)
    formats = column_formats(fmt, [_FIELDS[key] for key in COLUMNS])
    columns = []
    for key in COLUMNS:
        spec = {"header": header(key),
                "header_format": fmt.header if key in _INPUTS else fmt.header_out}
        if key in formats:
            spec["format"] = formats[key]
        columns.append(spec)
    ws.add_table(0, 0, n_rows, len(COLUMNS) - 1, {
        "name": TABLE, "style": "Table Style Light 9", "columns": columns})
    for key in COLUMNS:
        ws.set_column(column(key), column(key), _FIELDS[key].width, formats.get(key))
    ws.set_row(0, 32)
    if customers is not None:
        for r, record in enumerate(customers.to_dict("records"), start=1):
            for key in COLUMNS:
                write_value(ws, r, column(key), record.get(key), formats.get(key))
    loyalty = column("loyalty")
    ws.data_validation(1, loyalty, 1_048_575, loyalty, {
        "validate": "decimal", "criteria": "between", "minimum": 1, "maximum": 5,
        "ignore_blank": True, "input_title": "Verbundenheit",
        "input_message": "1 = gering … 5 = sehr hoch (Entscheider beim Kunden)",
        "error_title": "Verbundenheit 1-5",
        "error_message": "Bitte einen Wert von 1 (gering) bis 5 (sehr hoch) eingeben."})
    code_col = column("code")
    for code in CODES:
        ws.conditional_format(1, code_col, 1_048_575, code_col, {
            "type": "cell", "criteria": "==", "value": f'"{code}"', "format": fmt.codes[code]})
    ws.freeze_panes(1, 2)

