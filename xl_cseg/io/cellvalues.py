"""Every source's cell values as the core's: the one converter.

The sources and how they deliver a cell:

- files (python-calamine, fastexcel, the first rows from the sheet XML): numbers as float, text
  as str, booleans, dates as ``datetime``; blanks, error cells and formulas without a cached
  value all as ``""`` — the last two come from the scan of the sheet XML (:class:`SpecialCell`);
- an open book through xlwings (``err_to_str``): blanks None, the classic errors as their code
  (``"#N/A"``); the newer ones (``#SPILL!`` …) xlwings leaves as COM error integers;
- UDF arguments (``convert="raw"``, pywin32): errors as COM integers (``-2146826246``), Currency
  as ``Decimal``, blanks None.

The core's values: float, str, bool, dates, None for a blank, :class:`CellError` for an error
value, :class:`UncachedFormula` for a formula without a computed value. The error vocabulary is
:mod:`core.cellerrors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..core import cellerrors
from ..core.numbers import CellError, UncachedFormula
from ..xlsx.scan import SpecialCell


# -- COM (UDF arguments) ----------------------------------------------------------------------

def from_com(value: Any) -> Any:
    """A raw COM cell value as the core expects it: error codes as CellError, Currency as float."""
    code = cellerrors.from_com(value)
    if code is not None:
        return CellError(code)
    if isinstance(value, Decimal):
        return float(value)
    return value


def is_com_odd(value: Any) -> bool:
    """Whether :func:`from_com` may change the value (an integer or a Currency)."""
    return type(value) in (int, Decimal)


# -- xlwings (an open book) -------------------------------------------------------------------

def xlwings_error(value: Any) -> str | None:
    """The error code of a value xlwings read with ``err_to_str``: its error texts (text that
    reads exactly like one is taken for the error: Excel itself makes typed "#N/A" an error),
    and the COM integers of the errors it does not translate."""
    if isinstance(value, str):
        return value if value in cellerrors.BY_CODE else None
    return cellerrors.from_com(value)


def from_xlwings(value: Any) -> Any:
    """A value as the file sources give it: blanks and errors "" (the errors come from
    :func:`xlwings_special`, as the scan gives them for files), numbers float."""
    if value is None or xlwings_error(value) is not None:
        return ""
    if type(value) is int:
        return float(value)
    return value


def xlwings_special(formula: Any, value: Any) -> SpecialCell | None:
    """A cell's formula (``Range.formula``) and value as the scan of a file would describe it."""
    error = xlwings_error(value)
    shown = error if error is not None else (None if value is None else str(value))
    # .formula of a text cell is its text, so "=..." entered as text equals its own value
    if isinstance(formula, str) and formula.startswith("=") and formula != value:
        return SpecialCell("formula", formula[1:], True, shown, error)
    if error is not None:
        return SpecialCell("error", None, True, error, error)
    return None


# -- files: a column of grid values with the scan's special cells -----------------------------

def special_value(cell: SpecialCell) -> CellError | None:
    """What a formula or error cell holds for the core: its error, or for a formula without a
    cached value an UncachedFormula; None where the grid's value stands."""
    if cell.error:
        return CellError(cell.error)
    if cell.kind == "formula" and not cell.has_cached:
        return UncachedFormula("=" + (cell.formula or ""))
    return None


def column(values: Sequence[Any], kinds: set[type], col: int, index: pd.Index,
           special: Mapping[tuple[int, int], SpecialCell]) -> np.ndarray:
    """One column of grid values (of the types ``kinds``; rows ``index``) as the core's raw
    values: blanks None, error cells CellError, uncached formulas UncachedFormula; float64 when
    all are numbers (or blanks)."""
    if kinds == {float}:
        array = np.array(values, dtype=float)
    elif kinds <= {float, str} and all(v == "" for v in values if type(v) is str):
        array = np.array([float("nan") if v == "" else v for v in values], dtype=float)
    else:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        if str in kinds:
            array[array == ""] = None
    marks = {r: mark for (r, c), cell in special.items()
             if c == col and r in index and (mark := special_value(cell)) is not None}
    if not marks:
        return array
    array = array.astype(object)
    for r, mark in marks.items():
        array[index.get_loc(r)] = mark
    return array
