"""The ``Preise & Kosten`` sheet: one layout for the workbook builder and ``xl-cseg pricing``.

Top: the totals per segment code and per ABC class as formulas (COUNTIFS/SUMIFS) over the
per-customer list below, each with the engine's value cached; so the sheet's totals always agree
with its rows, in Excel, in LibreOffice and in a file nobody recalculated. Below: one row per
customer as :func:`core.pricing.pricing` computes it.
"""

from __future__ import annotations

from typing import Any

from ..core import german
from ..core.distribution import TOTAL
from ..core.params import ABC_CLASSES, CODES, Parameters
from ..core.pricing import CUSTOMER_COLUMNS, NOT_COVERED, TOTAL_COLUMNS, PricingResult
from ..xlsx.cellref import a1
from ..xlsx.new_sheet import Formula, SheetContent
from .plan_layout import cell_value as _value

SHEET = "Preise & Kosten"
TITLE = "Preise & Kosten: Betreuungskosten und C-Kunden-Preispolitik"
CODE_HEAD = 4  # header row of the per-code table (0-based)
ABC_HEAD = CODE_HEAD + len(CODES) + 4
LIST_TITLE = ABC_HEAD + len(ABC_CLASSES) + 3
LIST_HEAD = LIST_TITLE + 1
FIRST = LIST_HEAD + 1  # first customer row

_COL = {name: i for i, name in enumerate(CUSTOMER_COLUMNS)}
_FORMAT = {"Umsatz Vorjahr": "eur", "Aufträge/Jahr": "int", "Ø Auftragswert": "eur",
           "Aufträge unter Mindestbestellwert": "int", "Pauschale/Jahr": "eur",
           "Bündelung spart": "eur", "Besuche/Jahr": "dec", "Betreuungskosten": "eur",
           "Kostenanteil": "pct", "Rabatt": "pct"}
_TOTAL_FORMAT = {"Kunden": "int", "Betroffene Kunden": "int",
                 "Aufträge unter Mindestbestellwert": "int", "Pauschale/Jahr": "eur",
                 "Bündelung spart": "eur", "Betreuungskosten": "eur", "Umsatz": "eur",
                 "Kostenanteil": "pct", "Nicht kostendeckend": "int",
                 "Listenpreis durchsetzen": "int"}
# per-customer column each total sums (None: counted)
_SUMS = {"Aufträge unter Mindestbestellwert": "Aufträge unter Mindestbestellwert",
         "Pauschale/Jahr": "Pauschale/Jahr", "Bündelung spart": "Bündelung spart",
         "Betreuungskosten": "Betreuungskosten", "Umsatz": "Umsatz Vorjahr"}


def _range(column: str, last: int) -> str:
    """Absolute range of one per-customer column, e.g. ``$E$26:$E$175``."""
    letters = a1(0, _COL[column])[:-1]
    return f"${letters}${FIRST + 1}:${letters}${last + 1}"


def _total_formula(column: str, key_col: str | None, key_cell: str | None, last: int) -> str:
    cond = f",{_range(key_col, last)},{key_cell}" if key_col else ""
    if column == "Kunden":
        return f"COUNTIFS({_range(key_col, last)},{key_cell})" if key_col else \
            f"COUNTA({_range('Kunden-Nr', last)})"
    if column == "Betroffene Kunden":
        return f'COUNTIFS({_range("Aufträge unter Mindestbestellwert", last)},">0"{cond})'
    if column == "Nicht kostendeckend":
        return f'COUNTIFS({_range("Bewertung", last)},"{NOT_COVERED}"{cond})'
    if column == "Listenpreis durchsetzen":
        return f'COUNTIFS({_range("Preis-Hinweis", last)},"<>"{cond})'
    source = _range(_SUMS[column], last)
    return f"SUMIFS({source}{cond})" if key_col else f"SUM({source})"


# where the parameters of the shipped workbook are
TEMPLATE_ORIGIN = "Parameter auf dem Blatt „Parameter“"


def params_origin(label: str, cells: dict[str, str]) -> str:
    """Where a run's parameters came from, as the sheet says it: the sheets of the workbook's
    parameter cells, the ``--params`` workbook, or the defaults (``label`` and ``cells`` as in
    :class:`jobs.ParameterValues`)."""
    if label.startswith("Standardwerte") or not cells:
        return ("Parameter: Standardwerte (die Mappe hat keine Parameterzellen; zentrale Werte "
                "mit xl-cseg pricing --params)")
    if not label.startswith("aus der Mappe"):
        return f"Parameter {label}"
    sheets = sorted({addr.rsplit("!", 1)[0].strip("'") for addr in cells.values() if "!" in addr})
    if not sheets:
        return "Parameter aus den benannten Zellen der Mappe"
    quoted = ", ".join(f"„{s}“" for s in sheets)
    return f"Parameter auf dem Blatt {quoted}" if len(sheets) == 1 else \
        f"Parameter auf den Blättern {quoted}"


def pricing_content(result: PricingResult | None, params: Parameters,
                    origin: str = TEMPLATE_ORIGIN) -> SheetContent:
    """Cells, formats and widths of the sheet (``result`` None: the empty template);
    ``origin``: where the parameters came from (see :func:`params_origin`)."""
    cells: dict[tuple[int, int], Any] = {}
    formats: dict[tuple[int, int], str] = {}
    cells[(0, 0)] = TITLE
    formats[(0, 0)] = "bold"
    cells[(1, 0)] = (
        f"Betreuungskosten = Besuche/Jahr x {german.amount(params.cost_per_visit)} + Aufträge/Jahr x "
        f"{german.amount(params.kosten_je_auftrag)}; über {german.percent(params.max_kostenanteil)} des Umsatzes: "
        f"„{NOT_COVERED}“. Aufträge unter {german.amount(params.mindestbestellwert)} zahlen "
        f"{german.amount(params.pauschale)} Pauschale; gebündelt auf den Mindestbestellwert spart jeder "
        f"entfallende Auftrag seine Prozesskosten. {origin}; "
        "neu rechnen mit „Preise & Kosten“ im Menüband oder xl-cseg pricing.")
    customers = result.customers if result is not None else None
    n = len(customers) if customers is not None else 0
    last = FIRST + max(n, 1) - 1

    def table(head: int, title: str, keys: tuple[str, ...], key_col: str, frame) -> None:
        cells[(head - 1, 0)] = title
        formats[(head - 1, 0)] = "bold"
        cells[(head, 0)] = key_col
        formats[(head, 0)] = "header"
        for c, column in enumerate(TOTAL_COLUMNS, start=1):
            cells[(head, c)] = column
            formats[(head, c)] = "header"
        for i, key in enumerate((*keys, TOTAL)):
            r = head + 1 + i
            cells[(r, 0)] = key
            formats[(r, 0)] = "bold"
            for c, column in enumerate(TOTAL_COLUMNS, start=1):
                cached = _value(frame.at[key, column]) if frame is not None and key in \
                    frame.index else 0
                if column == "Kostenanteil":
                    cost, rev = (a1(r, 1 + TOTAL_COLUMNS.index(x))
                                 for x in ("Betreuungskosten", "Umsatz"))
                    text = f'IF({rev}>0,{cost}/{rev},"")'
                    cached = "" if cached is None else cached
                elif key == TOTAL:
                    text = _total_formula(column, None, None, last)
                else:
                    text = _total_formula(column, key_col, f"$A${r + 1}", last)
                cells[(r, c)] = Formula(text, cached)
                formats[(r, c)] = _TOTAL_FORMAT[column] + ("_bold" if key == TOTAL and
                                                           _TOTAL_FORMAT[column] != "dec" else "")

    table(CODE_HEAD, "Je Segment", CODES, "Segment", result.by_code if result else None)
    table(ABC_HEAD, "Je ABC-Klasse", ABC_CLASSES, "ABC", result.by_abc if result else None)
    cells[(LIST_TITLE, 0)] = "Je Kunde"
    formats[(LIST_TITLE, 0)] = "bold"
    for c, column in enumerate(CUSTOMER_COLUMNS):
        cells[(LIST_HEAD, c)] = column
        formats[(LIST_HEAD, c)] = "header"
    if customers is not None:
        for c, column in enumerate(CUSTOMER_COLUMNS):
            fmt = _FORMAT.get(column)
            for i, value in enumerate(customers[column].tolist()):
                shown = _value(value)
                if shown is not None:
                    cells[(FIRST + i, c)] = shown
                    if fmt:
                        formats[(FIRST + i, c)] = fmt
    widths = {0: 14, 1: 28, 2: 12, 3: 7, 4: 14, 5: 12, 6: 14, 7: 16, 8: 26, 9: 14, 10: 14,
              11: 12, 12: 15, 13: 12, 14: 26, 15: 9, 16: 36}
    return SheetContent(name=SHEET, cells=cells, formats=formats, widths=widths,
                        freeze_row=None, notes=(1,))


def is_ours(grid: list[list[Any]]) -> bool:
    """The sheet holds this layout (its title in A1): a rerun may rewrite it."""
    return bool(grid) and bool(grid[0]) and str(grid[0][0]).strip() == TITLE
