"""Rows of a customer list that are no customers: totals, subtotals and group headings.

A total row is labelled (``Summe``, ``Gesamt:``, ``Total``, ``Σ``, ``Zwischensumme Nord`` in any
text cell of a row without customer number) or unlabelled (its amounts equal the sum of the
customer rows above it, since the previous total or from the top). A group heading is a row with
a single text and nothing else (``Region Nord``). None of them counts in any figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .headings import folded

TOTAL_WORDS = frozenset(("summe", "summen", "gesamt", "gesamtsumme", "insgesamt", "total",
                         "totals", "gesamttotal", "zwischensumme", "teilsumme", "endsumme",
                         "ergebnis", "gesamtergebnis", "sum", "subtotal", "grandtotal", "σ", "∑"))
# a customer's name may start like a total ("Total Energies GmbH"): legal forms say it is one
LEGAL_FORMS = frozenset(("gmbh", "ag", "kg", "ohg", "se", "ug", "mbh", "co", "ek", "ev", "gbr",
                         "kgaa", "ltd", "inc", "llc", "sa", "sarl", "bv", "nv", "spa", "srl"))
_WORDS = re.compile(r"[\w∑σ]+")
MAX_LABEL_WORDS = 4


def is_total_label(value: Any) -> bool:
    """``Summe``, ``Gesamt:``, ``Σ``, ``Zwischensumme Nord``, ``Total 2025``: a total's label."""
    if not isinstance(value, str):
        return False
    words = _WORDS.findall(folded(value))
    if not words or len(words) > MAX_LABEL_WORDS:
        return False
    return words[0] in TOTAL_WORDS and not LEGAL_FORMS.intersection(words[1:])


def is_heading(cells: Sequence[Any]) -> bool:
    """A group heading: one text, nothing else in the row (``Region Nord``, ``A-Kunden``)."""
    filled = [v for v in cells if not _blank(v)]
    return len(filled) == 1 and isinstance(filled[0], str) and \
        _WORDS.search(folded(filled[0])) is not None


def unlabelled_totals(amounts: Sequence[np.ndarray], candidates: np.ndarray,
                      excluded: np.ndarray | None = None, boundaries: np.ndarray | None = None
                      ) -> np.ndarray:
    """Rows among ``candidates`` whose amounts (every amount the row has, one at least not 0)
    equal the sum of the customer rows above them: since the previous total, or from the top.
    ``excluded``: rows known not to be customers (labelled totals, headings); ``boundaries``:
    the labelled totals among them (a block of rows ends there)."""
    n = len(candidates)
    found = np.zeros(n, dtype=bool)
    if not n or not candidates.any() or not amounts:
        return found
    skip = np.zeros(n, dtype=bool) if excluded is None else np.asarray(excluded, dtype=bool)
    ends = np.zeros(n, dtype=bool) if boundaries is None else np.asarray(boundaries, dtype=bool)
    arrays = [np.asarray(a, dtype=float) for a in amounts]
    present = [~np.isnan(a) for a in arrays]
    counted = [np.where(skip, 0.0, np.nan_to_num(a)) for a in arrays]
    # sums over the rows before each position (prefix[i] = rows 0..i-1), then minus the totals
    # found on the way
    prefix = [np.concatenate(([0.0], np.cumsum(c))) for c in counted]
    rows = np.concatenate(([0], np.cumsum(~skip)))
    removed = [0.0] * len(arrays)
    removed_rows = 0
    block = [0.0] * len(arrays)  # customer sums up to the block's start
    block_rows = 0
    for pos in np.flatnonzero(candidates | ends):
        above = [p[pos] - r for p, r in zip(prefix, removed)]
        if ends[pos]:
            block, block_rows = above, rows[pos] - removed_rows
            continue
        if skip[pos]:
            continue
        has = [p[pos] for p in present]
        customers_above = rows[pos] - removed_rows
        in_block = customers_above - block_rows
        if not any(has) or customers_above < 2:
            continue
        mine = [arrays[i][pos] for i, h in enumerate(has) if h]
        if any(mine) and all(not h or (in_block >= 2 and _same(arrays[i][pos],
                                                                 above[i] - block[i]))
                             or _same(arrays[i][pos], above[i]) for i, h in enumerate(has)):
            found[pos] = True
            for i in range(len(arrays)):
                removed[i] += counted[i][pos]
            removed_rows += 1
            block = [p[pos + 1] - r for p, r in zip(prefix, removed)]
            block_rows = rows[pos + 1] - removed_rows
    return found


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.005, 1e-9 * abs(b))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or \
        (isinstance(value, str) and not value.strip())
