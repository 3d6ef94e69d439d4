"""A1 cell references; rows and columns are 0-based (A1 == (0, 0))."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

_A1 = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


@lru_cache(maxsize=MAX_COLS)
def col_letter(idx: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    if not 0 <= idx < MAX_COLS:
        raise ValueError(f"column index out of range: {idx}")
    letters = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """ "A" -> 0, "AA" -> 26 (case-insensitive)."""
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"invalid column letters: {letters!r}")
    idx = 0
    for ch in letters.upper():
        idx = idx * 26 + ord(ch) - 64
    if idx > MAX_COLS:
        raise ValueError(f"column out of range: {letters!r}")
    return idx - 1


def a1(row: int, col: int) -> str:
    """(1, 1) -> "B2"."""
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"row index out of range: {row}")
    return f"{col_letter(col)}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """ "B2" -> (1, 1); "$B$2" is accepted too."""
    m = _A1.fullmatch(ref.strip())
    if not m:
        raise ValueError(f"invalid cell reference: {ref!r}")
    row = int(m.group(2)) - 1
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"row out of range: {ref!r}")
    return row, col_index(m.group(1))


def parse_range(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """ "A1:K20" -> ((0, 0), (19, 10)): top-left and bottom-right corner; "B2" -> one cell."""
    first, sep, last = ref.strip().partition(":")
    r1, c1 = parse_a1(first)
    r2, c2 = parse_a1(last) if sep else (r1, c1)
    return (min(r1, r2), min(c1, c2)), (max(r1, r2), max(c1, c2))


def range_ref(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """(0, 0, 19, 10) -> "A1:K20"; a single cell gives "B2"."""
    start, end = a1(first_row, first_col), a1(last_row, last_col)
    return start if start == end else f"{start}:{end}"
