"""The ``Was-wäre-wenn`` sheet: the what-if table and a native chart of the customers per class
in every scenario (one layout for every writer)."""

from __future__ import annotations

from typing import Any

from ..core.whatif import RESULT_COLUMNS, VARIABLES, WhatIf
from ..xlsx.new_sheet import Chart, SheetContent

SHEET = "Was-wäre-wenn"
TITLE = "Was-wäre-wenn: C-Kunden-Schwelle und Klassen je Szenario"
HEAD = 3  # header row (0-based)
CHART_ROWS = 60  # scenarios the chart shows (the table has them all)
_FORMAT = {"C-Schwelle": "eur", "A-Schwelle": "eur", "A Umsatz": "eur", "B Umsatz": "eur",
           "C Umsatz": "eur", "A Kunden": "int", "B Kunden": "int", "C Kunden": "int",
           "Klassenwechsel": "int", "neu C": "int", "nicht mehr C": "int"}


def _value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    return value


def whatif_content(result: WhatIf) -> SheetContent:
    table = result.table
    columns = ["Szenario", *result.keys, *RESULT_COLUMNS]
    headers = ["Szenario", *(VARIABLES[k][1] for k in result.keys), *RESULT_COLUMNS]
    cells: dict[tuple[int, int], Any] = {(0, 0): TITLE}
    formats: dict[tuple[int, int], str] = {(0, 0): "bold"}
    p = result.params
    cells[(1, 0)] = (
        "C-Schwelle = Besuche B-Kunde x Kosten je Besuch / max. Vertriebskostenanteil, A-Schwelle "
        "mit den Besuchen eines A-Kunden. „heute“ = die Parameter der Mappe; Klassenwechsel = "
        f"Kunden, deren ABC-Klasse sich gegenüber heute ändert ({result.customers} Kunden mit "
        "Umsatz). Neu rechnen mit xl-cseg whatif.")
    for c, text in enumerate(headers):
        cells[(HEAD, c)] = text
        formats[(HEAD, c)] = "header"
    for c, column in enumerate(columns):
        fmt = _FORMAT.get(column)
        if column in VARIABLES:
            fmt = "pct" if VARIABLES[column][2] == "%" else "eur" if VARIABLES[column][2] == \
                "EUR" else "dec"
        for i, value in enumerate(table[column].tolist()):
            cells[(HEAD + 1 + i, c)] = _value(value)
            if fmt:
                formats[(HEAD + 1 + i, c)] = fmt
    last = HEAD + min(len(table), CHART_ROWS)
    width = len(columns)
    chart = Chart(title="Kunden je ABC-Klasse je Szenario", categories=(0, HEAD + 1, last),
                  series=tuple((f"{k}-Kunden", columns.index(f"{k} Kunden")) for k in "ABC"),
                  kind="bar", stacked=True, y_title="Kunden",
                  anchor=(width + 1, HEAD, width + 11, HEAD + 22))
    widths = {0: 24, **{c: 14 for c in range(1, width)}}
    return SheetContent(name=SHEET, cells=cells, formats=formats, widths=widths, chart=chart,
                        freeze_row=HEAD + 1, notes=(1,))


def is_ours(grid: list[list[Any]]) -> bool:
    return bool(grid) and bool(grid[0]) and str(grid[0][0]).strip() == TITLE
