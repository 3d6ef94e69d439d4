"""The workbook's calm, consistent look: one place for fonts, fills and number formats."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.columns import (DATE_FORMAT, EUR_FORMAT, INPUT_FIELDS, MEASURE_FIELDS,
                            MEASURE_OUTPUT_FIELDS, OUTPUT_FIELDS, PERCENT_FORMAT)

CATALOGUE = INPUT_FIELDS + OUTPUT_FIELDS + MEASURE_FIELDS + MEASURE_OUTPUT_FIELDS

FONT = "Calibri"
INK = "#1F2937"
ACCENT = "#1F4E79"
INPUT_FILL = "#FFF2CC"  # cells the user fills in
COMPUTED_FILL = "#EEF2F7"  # cells the workbook computes
EUR = EUR_FORMAT
EUR_CENT = '#,##0.00 "€"'
PERCENT = "0%"
TREND = '+0%;-0%;0%'
DATE = DATE_FORMAT

# segment code -> (fill, font colour) for the conditional formats and the legend
CODE_COLOURS: dict[str, tuple[str, str]] = {
    "A-Win": ("#1E7B34", "#FFFFFF"), "A-Grow": ("#5DB075", "#FFFFFF"),
    "A-Maintain": ("#C6E7CF", "#14532D"),
    "B-Win": ("#1D4ED8", "#FFFFFF"), "B-Grow": ("#60A5FA", "#0B254F"),
    "B-Maintain": ("#DBEAFE", "#1E3A8A"),
    "C-Win": ("#C2410C", "#FFFFFF"), "C-Grow": ("#FB923C", "#431407"),
    "C-Maintain": ("#FFEDD5", "#7C2D12"),
}


@dataclass
class Formats:
    title: Format
    subtitle: Format
    text: Format
    wrap: Format
    bold_top: Format
    bold: Format
    header: Format
    header_out: Format
    label: Format
    input_num: Format
    input_eur: Format
    input_pct: Format
    input_text: Format
    computed_eur: Format
    computed_num: Format
    computed_pct: Format
    computed_amount: Format  # like computed_num: money, not bold (the Planung figures)
    computed_int: Format
    computed_text: Format
    eur: Format
    pct: Format
    trend: Format
    num: Format
    date: Format
    note: Format
    note_line: Format  # a note on one line, running over the empty cells to its right
    codes: dict[str, Format]
    columns: dict[str, Format]  # number format code of the column catalogue -> its cells' look


def column_formats(fmt: Formats, fields) -> dict[str, Format]:
    """Key -> cell format of the catalogue's ``fields`` that have a number format."""
    return {f.key: fmt.columns[f.number_format] for f in fields if f.number_format}


def make_formats(wb: Workbook) -> Formats:
    def f(**props) -> Format:
        base = {"font_name": FONT, "font_size": 11, "font_color": INK, "valign": "vcenter"}
        base.update(props)
        return wb.add_format(base)

    border = {"border": 1, "border_color": "#BFBFBF"}
    inp = {"bg_color": INPUT_FILL, "locked": False, **border}
    comp = {"bg_color": COMPUTED_FILL, **border}
    return Formats(
        title=f(bold=True, font_size=16, font_color=ACCENT),
        subtitle=f(bold=True, font_size=12, font_color=ACCENT),
        text=f(),
        wrap=f(text_wrap=True, valign="top"),
        bold_top=f(bold=True, valign="top"),
        bold=f(bold=True),
        header=f(bold=True, font_color="#FFFFFF", bg_color=ACCENT, text_wrap=True, **border),
        header_out=f(bold=True, font_color=ACCENT, bg_color="#D9E2F3", text_wrap=True, **border),
        label=f(**border),
        input_num=f(num_format="#,##0.##", **inp),
        input_eur=f(num_format=EUR, **inp),
        input_pct=f(num_format="0.0%", **inp),
        input_text=f(**inp),
        computed_eur=f(num_format=EUR, bold=True, **comp),
        computed_num=f(num_format="#,##0.0", **comp),
        computed_pct=f(num_format=PERCENT_FORMAT, **comp),
        computed_amount=f(num_format=EUR, **comp),
        computed_int=f(num_format="#,##0", **comp),
        computed_text=f(**comp),
        eur=f(num_format=EUR),
        pct=f(num_format=PERCENT),
        trend=f(num_format=TREND),
        num=f(num_format="#,##0"),
        date=f(num_format=DATE),
        note=f(italic=True, font_color="#6B7280", text_wrap=True, valign="top"),
        note_line=f(italic=True, font_color="#6B7280"),
        codes={code: wb.add_format({"bg_color": fill, "font_color": font})
               for code, (fill, font) in CODE_COLOURS.items()},
        columns={code: f(num_format=code) for code in dict.fromkeys(
            field.number_format for field in CATALOGUE if field.number_format)},
    )


def computed_by_format(fmt: Formats, code: str) -> Format:
    """The computed-cell look with number format ``code`` (plain numbers for unknown codes)."""
    return {PERCENT_FORMAT: fmt.computed_pct, EUR: fmt.computed_amount,
            "#,##0": fmt.computed_int}.get(code, fmt.computed_num)


def write_value(ws: Worksheet, row: int, col: int, value: Any, cell_format=None, *,
                blank: bool = False) -> None:
    """Write a value as its type (text always as text, never a formula); missing values are
    skipped, or written as a formatted blank when ``blank``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if blank:
            ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, str):
        ws.write_string(row, col, value, cell_format)
    elif isinstance(value, (_dt.date, _dt.datetime)):
        ws.write_datetime(row, col, _dt.datetime(value.year, value.month, value.day), cell_format)
    else:
        ws.write_number(row, col, float(value), cell_format)
