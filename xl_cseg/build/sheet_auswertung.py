"""The ``Auswertung`` sheet: segment distribution as live formulas over the customer table, with
native charts (customers per code; the 3x3 portfolio matrix)."""

from __future__ import annotations

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.distribution import COLUMNS, Distribution
from ..core.params import ABC_CLASSES, CODES, POTENTIAL_CLASSES
from .formats import ACCENT, CODE_COLOURS, Formats
from .sheet_kunden import TABLE

SHEET = "Auswertung"
_T = TABLE
_REV = f"{_T}[Umsatz Vorjahr]"
_POT = f"{_T}[Potenzial]"


def _open_potential(condition: str) -> str:
    return f"IFERROR(SUMPRODUCT(({condition})*(({_POT}-{_REV})>0)*({_POT}-{_REV})),0)"


def _block(ws: Worksheet, fmt: Formats, top: int, title: str, column: str, keys: tuple[str, ...],
           values, labels_fmt) -> int:
    """One distribution table; returns the row of its total line."""
    ws.write_string(top, 0, title, fmt.subtitle)
    head = top + 1
    ws.write_string(head, 0, "", fmt.header)
    for c, text in enumerate(COLUMNS, start=1):
        ws.write_string(head, c, text, fmt.header)
    first = head + 1
    total = first + len(keys)
    for i, key in enumerate(keys):
        r = first + i
        cond = f'{_T}[{column}]="{key}"'
        row_vals = values.loc[key] if values is not None else None
        ws.write_string(r, 0, key, labels_fmt(key))
        ws.write_formula(r, 1, f'=COUNTIFS({_T}[{column}],"{key}")', fmt.num,
                         int(row_vals["Kunden"]) if row_vals is not None else 0)
        ws.write_formula(r, 2, f"=IFERROR(B{r + 1}/B{total + 1},0)", fmt.pct,
                         float(row_vals["Anteil Kunden"]) if row_vals is not None else 0)
        ws.write_formula(r, 3, f'=SUMIFS({_REV},{_T}[{column}],"{key}")', fmt.eur,
                         float(row_vals["Umsatz"]) if row_vals is not None else 0)
        ws.write_formula(r, 4, f"=IFERROR(D{r + 1}/D{total + 1},0)", fmt.pct,
                         float(row_vals["Anteil Umsatz"]) if row_vals is not None else 0)
        ws.write_formula(r, 5, f'=SUMIFS({_POT},{_T}[{column}],"{key}")', fmt.eur,
                         float(row_vals["Potenzial"]) if row_vals is not None else 0)
        ws.write_formula(r, 6, "=" + _open_potential(cond), fmt.eur,
                         float(row_vals["Offenes Potenzial"]) if row_vals is not None else 0)
    tot = values.loc["Gesamt"] if values is not None else None
    ws.write_string(total, 0, "Gesamt", fmt.bold)
    for c, (letter, cf) in enumerate((("B", fmt.num), ("C", fmt.pct), ("D", fmt.eur),
                                       ("E", fmt.pct), ("F", fmt.eur), ("G", fmt.eur)), start=1):
        if letter in "CE":
            formula, cached = "=IF(B{0}>0,1,0)".format(total + 1), 1.0 if tot is not None else 0
        else:
            formula = f"=SUM({letter}{first + 1}:{letter}{total})"
            cached = float(tot[COLUMNS[c - 1]]) if tot is not None else 0
        ws.write_formula(total, c, formula, cf, cached)
    return total


def write_auswertung_sheet(wb: Workbook, ws: Worksheet, fmt: Formats,
                           dist: Distribution | None) -> None:
    ws.set_column(0, 0, 16)
    ws.set_column(1, 6, 16)
    ws.write_string(0, 0, "Auswertung: Segmentverteilung", fmt.title)
    ws.merge_range(1, 0, 1, 6, "Rechnet live aus der Tabelle „Kunden“. Fragen aus Schritt 1: "
                               "Wie viele A- und C-Kunden? Welche Verteilung? Welcher "
                               "Umsatzanteil? Welches Potenzial?", fmt.note)
    _block(ws, fmt, 3, "Nach ABC-Klasse", "ABC", ABC_CLASSES,
           dist.by_abc if dist is not None else None, lambda _k: fmt.bold)
    code_top = 10
    code_total = _block(ws, fmt, code_top, "Nach Segment", "Segment", CODES,
                        dist.by_code if dist is not None else None, lambda k: fmt.codes[k])
    first_code_row = code_top + 2

    matrix_top = code_total + 2
    ws.write_string(matrix_top, 0, "Portfolio-Matrix (Anzahl Kunden)", fmt.subtitle)
    ws.write_string(matrix_top + 1, 0, "", fmt.header)
    for c, pclass in enumerate(POTENTIAL_CLASSES, start=1):
        ws.write_string(matrix_top + 1, c, pclass, fmt.header)
    for r, abc in enumerate(ABC_CLASSES, start=matrix_top + 2):
        ws.write_string(r, 0, abc, fmt.bold)
        for c, pclass in enumerate(POTENTIAL_CLASSES, start=1):
            cached = int(dist.matrix_customers.at[abc, pclass]) if dist is not None else 0
            ws.write_formula(r, c, f'=COUNTIFS({_T}[Segment],"{abc}-{pclass}")',
                             fmt.codes[f"{abc}-{pclass}"], cached)
    m_first = matrix_top + 2

    by_code = wb.add_chart({"type": "column"})
    by_code.add_series({
        "name": "Kunden",
        "categories": [SHEET, first_code_row, 0, first_code_row + len(CODES) - 1, 0],
        "values": [SHEET, first_code_row, 1, first_code_row + len(CODES) - 1, 1],
        "points": [{"fill": {"color": CODE_COLOURS[c][0]}} for c in CODES],
        "data_labels": {"value": True},
    })
    by_code.set_title({"name": "Kunden je Segment"})
    by_code.set_legend({"none": True})
    by_code.set_y_axis({"name": "Kunden", "major_gridlines": {"visible": True,
                                                            "line": {"color": "#E5E7EB"}}})
    by_code.set_size({"width": 620, "height": 320})
    ws.insert_chart(3, 8, by_code)

    matrix = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, pclass in enumerate(POTENTIAL_CLASSES, start=1):
        matrix.add_series({
            "name": [SHEET, matrix_top + 1, c],
            "categories": [SHEET, m_first, 0, m_first + 2, 0],
            "values": [SHEET, m_first, c, m_first + 2, c],
            "fill": {"color": CODE_COLOURS[f"B-{pclass}"][0]},
            "data_labels": {"value": True},
        })
    matrix.set_title({"name": "Portfolio-Matrix: ABC x Win/Grow/Maintain"})
    matrix.set_x_axis({"name": "ABC-Klasse"})
    matrix.set_y_axis({"name": "Kunden"})
    matrix.set_legend({"position": "bottom"})
    matrix.set_size({"width": 620, "height": 320})
    matrix.set_chartarea({"border": {"color": ACCENT}})
    ws.insert_chart(21, 8, matrix)
