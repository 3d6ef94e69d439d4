"""The ``Planung`` sheet: gap to target, capacity, growth candidates, with native charts."""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.params import CODES
from ..core.planning import CANDIDATE_COLUMNS
from ..io import plan_layout as L
from ..xlsx.cellref import a1
from .formats import ACCENT, CODE_COLOURS, Formats, computed_by_format, write_value


def write_planung_sheet(wb: Workbook, ws: Worksheet, fmt: Formats,
                        cells: dict[tuple[int, int], Any]) -> None:
    """Headings and formats; ``cells`` from :func:`plan_layout.plan_cells` (demo) or empty."""
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 15)
    ws.set_column(2, 2, 13)
    ws.set_column(3, 3, L.NOTE_WIDTH)
    ws.set_column(4, 4, 3)
    ws.set_column(L.SIDE_COL, L.SIDE_COL + len(CANDIDATE_COLUMNS) - 1, 15)
    ws.set_column(L.SIDE_COL + 1, L.SIDE_COL + 1, 36)
    ws.set_column(L.CHART_COL, L.CHART_COL, 26)
    ws.set_column(L.CHART_COL + 1, L.CHART_COL + 1, 14)
    ws.write_string(0, 0, "Planung: Ziel, Lücke und Kapazität", fmt.title)
    ws.write_string(1, 0, "Wird mit „Planung berechnen“ (oder xl-cseg plan) aus Kunden, Maßnahmen "
                          "und Parametern gefüllt.", fmt.note_line)
    for r, height in L.row_heights(cells).items():
        ws.set_row(r, height)
    for head in (L.CAND_HEAD, L.CODE_HEAD):  # two-line headers of the side tables
        ws.set_row(head, 2 * L.ROW_HEIGHT)
    blocks = ((L.GAP_TITLE, L.GAP_HEAD, L.GAP_ROWS, "Umsatzziel und Lücke"),
              (L.CAP_TITLE, L.CAP_HEAD, L.CAP_ROWS, "Kapazität Außendienst und Inside Sales"))
    for title, head, rows, text in blocks:
        ws.write_string(title, 0, text, fmt.subtitle)
        for c, h in enumerate(L.ROW_HEAD):
            ws.write_string(head, c, h, fmt.header)
        for i in range(rows):
            r = head + 1 + i
            unit = cells.get((r, 2))
            if not cells and head == L.GAP_HEAD:  # the template: the gap figures are fixed
                unit = L.GAP_UNITS[L.GAP_LABELS[i]] if i < len(L.GAP_LABELS) else None
            value_fmt = computed_by_format(fmt, L.unit_format(unit))
            write_value(ws, r, 0, cells.get((r, 0)), fmt.text, blank=True)
            write_value(ws, r, 1, cells.get((r, 1)), value_fmt, blank=True)
            write_value(ws, r, 2, unit, fmt.text, blank=True)
            write_value(ws, r, 3, cells.get((r, 3)), fmt.note, blank=True)

    ws.write_string(L.CAND_TITLE, L.SIDE_COL, "Wachstumskandidaten (größtes offenes Potenzial)",
                    fmt.subtitle)
    for c, h in enumerate(CANDIDATE_COLUMNS):
        ws.write_string(L.CAND_HEAD, L.SIDE_COL + c, h, fmt.header)
    money = {"Umsatz Vorjahr", "Potenzial", "Offenes Potenzial", "Gewichtete Pipeline"}
    for i in range(L.CAND_ROWS):
        for c, h in enumerate(CANDIDATE_COLUMNS):
            r = L.CAND_HEAD + 1 + i
            write_value(ws, r, L.SIDE_COL + c, cells.get((r, L.SIDE_COL + c)),
                        fmt.eur if h in money else fmt.text, blank=True)

    ws.write_string(L.CODE_TITLE, L.SIDE_COL, "Besuche und Kontakte je Segment", fmt.subtitle)
    ws.write_string(L.CODE_HEAD, L.SIDE_COL, "Segment", fmt.header)
    for c, h in enumerate(L.CODE_TABLE, start=1):
        ws.write_string(L.CODE_HEAD, L.SIDE_COL + c, h, fmt.header)
    for i, code in enumerate(CODES):
        r = L.CODE_HEAD + 1 + i
        ws.write_string(r, L.SIDE_COL, code, fmt.codes[code])
        for c, h in enumerate(L.CODE_TABLE, start=1):
            write_value(ws, r, L.SIDE_COL + c, cells.get((r, L.SIDE_COL + c)),
                        fmt.eur if h == "Umsatz je Besuch" else fmt.num, blank=True)

    # chart data: formulas onto the gap block, so the chart follows every planning run
    top = L.GAP_HEAD + 1
    ws.write_string(top - 1, L.CHART_COL, "Diagrammdaten", fmt.note)
    values = {label: cells.get((L.gap_value_row(label), 1)) or 0 for label in L.GAP_LABELS}
    for i, (label, sources) in enumerate(L.CHART_ROWS):
        r = top + i
        ws.write_string(r, L.CHART_COL, label, fmt.text)
        formula = "=" + "+".join(f"N({a1(L.gap_value_row(s), 1)})" for s in sources)
        ws.write_formula(r, L.CHART_COL + 1, formula, fmt.eur,
                         sum(float(values[s]) for s in sources))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "Vom Vorjahr zum Ziel",
        "categories": [L.SHEET, top, L.CHART_COL, top + len(L.CHART_ROWS) - 1, L.CHART_COL],
        "values": [L.SHEET, top, L.CHART_COL + 1, top + len(L.CHART_ROWS) - 1, L.CHART_COL + 1],
        "points": [{"fill": {"color": c}} for c in ("#9CA3AF", ACCENT, "#5DB075", "#C2410C")],
        "data_labels": {"value": True, "num_format": '#,##0 "€"'},
    })
    chart.set_title({"name": "Vom Vorjahr zum Ziel"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": '#,##0 "€"'})
    chart.set_size({"width": 560, "height": 300})
    ws.insert_chart(L.CODE_HEAD + len(CODES) + 3, L.SIDE_COL, chart)

    visits = wb.add_chart({"type": "bar"})
    visits.add_series({
        "name": "Besuche pro Jahr",
        "categories": [L.SHEET, L.CODE_HEAD + 1, L.SIDE_COL, L.CODE_HEAD + len(CODES), L.SIDE_COL],
        "values": [L.SHEET, L.CODE_HEAD + 1, L.SIDE_COL + 2, L.CODE_HEAD + len(CODES),
                   L.SIDE_COL + 2],
        "points": [{"fill": {"color": CODE_COLOURS[c][0]}} for c in CODES],
    })
    visits.set_title({"name": "Besuchsbedarf je Segment"})
    visits.set_legend({"none": True})
    visits.set_y_axis({"reverse": True})
    visits.set_size({"width": 560, "height": 300})
    ws.insert_chart(L.CODE_HEAD + len(CODES) + 19, L.SIDE_COL, visits)

