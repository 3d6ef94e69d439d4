"""Where the ``Planung`` sheet's computed values live: one cell map for the builder and the writer.

The builder writes these cells with formats; ``xl-cseg plan`` patches the same cells (values only,
the template's styles stay). Reserved rows that a run does not need are cleared.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.columns import EUR_FORMAT, PERCENT_FORMAT
from ..core.params import CODES
from ..core.planning import CANDIDATE_COLUMNS, ROW_COLUMNS, Capacity, Gap

SHEET = "Planung"
ROW_HEAD = ROW_COLUMNS
GAP_TITLE, GAP_HEAD, GAP_ROWS = 3, 4, 16
CAP_TITLE = GAP_HEAD + GAP_ROWS + 2
CAP_HEAD, CAP_ROWS = CAP_TITLE + 1, 34
SIDE_COL = 5  # column F: candidates and per-code table
CAND_TITLE, CAND_HEAD, CAND_ROWS = 3, 4, 15
CODE_TITLE = CAND_HEAD + CAND_ROWS + 2
CODE_HEAD = CODE_TITLE + 1
CODE_TABLE = ("Kunden", "Besuche", "Kontakte", "Umsatz je Besuch", "Besuche streichen")
CHART_COL = 16  # column Q: the chart's data (formulas onto the gap block)
# chart bars: label -> the gap figures it adds up
CHART_ROWS = (("Umsatz Vorjahr", ("Umsatz Vorjahr",)), ("Erwartete Basis", ("Erwartete Basis",)),
              ("Basis + gewichtete Pipeline", ("Erwartete Basis", "Gewichtete Pipeline")),
              ("Umsatzziel", ("Umsatzziel",)))


def cell_value(value: Any) -> Any:
    """A computed figure as a cell value: numpy scalars as Python's, NaN as blank."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


GAP_LABELS = ("Umsatz Vorjahr", "Umsatzziel", "Gesicherte Basis", "Umsatz gefährdeter Kunden",
               "Erwarteter Verlust", "Erwartete Basis", "Lücke zum Ziel", "Gewonnene Maßnahmen",
               "Offene Pipeline (ungewichtet)", "Gewichtete Pipeline", "Deckungsgrad",
               "Benötigte Pipeline (ungewichtet)", "Überplanung erreicht", "Noch zu planen")


# the unit of each gap figure (``Gap.as_rows`` gives the same; tested): the template formats
# these value cells before any run
GAP_UNITS = {label: "%" if label == "Deckungsgrad" else "" if label == "Überplanung erreicht"
             else "EUR" for label in GAP_LABELS}
NUMBER_FORMAT = "#,##0.0"  # days, visits, contacts, FTE
UNIT_FORMATS = {"%": PERCENT_FORMAT, "EUR": EUR_FORMAT, "Kunden": "#,##0"}


def unit_format(unit: Any) -> str:
    """The number format of a value cell of the figure blocks, by the figure's unit (as the
    core names it or as the sheet shows it)."""
    shown = {v: k for k, v in UNIT_SHOWN.items()}
    if not isinstance(unit, str):
        return NUMBER_FORMAT
    return UNIT_FORMATS.get(shown.get(unit, unit), NUMBER_FORMAT)


def value_formats(cells: dict[tuple[int, int], Any]) -> dict[tuple[int, int], str]:
    """Number format of every value cell (column B) of the gap and capacity blocks for the
    units in ``cells`` (rows shift between runs: a row's format follows its figure)."""
    rows = [GAP_HEAD + 1 + i for i in range(GAP_ROWS)] + [CAP_HEAD + 1 + i
                                                          for i in range(CAP_ROWS)]
    return {(r, 1): unit_format(cells.get((r, 2))) for r in rows}


ROW_HEIGHT = 15.0  # points: one line of the sheet's 11-point font
NOTE_WIDTH = 60  # width of the explanation column D (characters)
NOTE_CHARS = 66  # characters of an italic explanation on one line of column D (as LibreOffice wraps)
UNIT_SHOWN = {"EUR": "€"}  # the unit as the Einheit column shows it


def note_lines(text: Any) -> int:
    """Lines a wrapped explanation takes in column D (words are not split)."""
    if not isinstance(text, str) or not text:
        return 1
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > NOTE_CHARS:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def row_heights(cells: dict[tuple[int, int], Any]) -> dict[int, float]:
    """Height of every row of the gap and capacity blocks: as many lines as its explanation
    needs, so that a long one does not run into the next row."""
    rows = [GAP_HEAD + 1 + i for i in range(GAP_ROWS)] + [CAP_HEAD + 1 + i
                                                          for i in range(CAP_ROWS)]
    return {r: ROW_HEIGHT * note_lines(cells.get((r, 3))) for r in rows}


def gap_value_row(label: str) -> int:
    """Sheet row of a gap figure by its label (``Gap.as_rows`` keeps this order; tested)."""
    return GAP_HEAD + 1 + GAP_LABELS.index(label)


def plan_cells(gap: Gap, cap: Capacity) -> dict[tuple[int, int], Any]:
    """Every owned value cell of the Planung sheet for one planning run."""
    cells: dict[tuple[int, int], Any] = {}

    def block(head: int, rows: list, reserved: int) -> None:
        for i in range(reserved):
            row = rows[i] if i < len(rows) else None
            for c in range(4):
                cells[(head + 1 + i, c)] = cell_value(row[c]) if row is not None else None
            if row is not None:
                cells[(head + 1 + i, 2)] = UNIT_SHOWN.get(row[2], row[2])

    block(GAP_HEAD, list(gap.as_rows()), GAP_ROWS)
    block(CAP_HEAD, list(cap.as_rows()), CAP_ROWS)
    cand = gap.growth_candidates.head(CAND_ROWS)
    records = cand[list(CANDIDATE_COLUMNS)].to_numpy().tolist() if not cand.empty else []
    for i in range(CAND_ROWS):
        for c in range(len(CANDIDATE_COLUMNS)):
            cells[(CAND_HEAD + 1 + i, SIDE_COL + c)] = cell_value(records[i][c]) if i < len(records) \
                else None
    by_code = cap.by_code
    for i, code in enumerate(CODES):
        for c, column in enumerate(CODE_TABLE, start=1):
            value = by_code.at[code, column] if code in by_code.index else None
            cells[(CODE_HEAD + 1 + i, SIDE_COL + c)] = cell_value(value)
    return cells
