"""Workbook-level defined names that point at single cells (the controller's parameters)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..xlsx.cellref import a1, col_index, col_letter, parse_a1
from ..xlsx.package import Package

_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!(\$?[A-Za-z]{1,3}\$?\d{1,7})$")


@dataclass(frozen=True)
class NamedCell:
    name: str
    sheet: str
    row: int
    col: int

    @property
    def address(self) -> str:
        quoted = f"'{self.sheet}'" if not self.sheet.replace("_", "").isalnum() else self.sheet
        return f"{quoted}!{a1(self.row, self.col)}"


def named_cells(pkg: Package) -> dict[str, NamedCell]:
    """Workbook-scoped names referring to one cell, keyed by name (as written)."""
    out: dict[str, NamedCell] = {}
    for name, local_sheet, text in pkg.defined_names():
        if local_sheet is not None or name.startswith("_xlnm."):
            continue
        match = _REF.match(text.strip())
        if not match:
            continue
        sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
        row, col = parse_a1(match.group(3))
        out[name] = NamedCell(name, sheet, row, col)
    return out



# -- the marker of the columns this project owns ----------------------------------------------
OWNED_NAME = "_xlcseg_owned"
"""Sheet-local, hidden defined name listing the output columns this project created on the
sheet, as a union of whole columns (``Kunden!$K:$K,Kunden!$L:$L``). A name rather than a
document property: Excel keeps names through every save and moves their references with the
columns (a column inserted before ours shifts the reference; one deleted turns into
``#REF!``), so the marker names the right columns after the rep rearranged the sheet."""

_PART = re.compile(r"(?:'((?:[^']|'')+)'|([^!',\s=]+))!\$?([A-Za-z]{1,3})(?:\$?\d+)?"
                   r"(?::\$?([A-Za-z]{1,3})(?:\$?\d+)?)?$")


_UNION = re.compile(r"(?:'(?:[^']|'')*'|[^,])+")


def quoted_sheet(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else \
        "'" + sheet.replace("'", "''") + "'"


def owned_formula(sheet: str, cols: Iterable[int]) -> str:
    """The marker's reference: each column on its own (an insertion never widens it)."""
    name = quoted_sheet(sheet)
    return ",".join(f"{name}!${col_letter(c)}:${col_letter(c)}" for c in sorted(set(cols)))


def owned_columns(names: Iterable[tuple[str, Any, str]], sheet: str) -> set[int]:
    """The columns of ``sheet`` the marker names (in any of the names called like it)."""
    cols: set[int] = set()
    for name, _local, text in names:
        if name.rpartition("!")[2] != OWNED_NAME:
            continue
        for part in _UNION.findall(text.lstrip("=")):
            match = _PART.match(part.strip())
            if not match:
                continue  # #REF! after the rep deleted the column
            owner = (match.group(1) or "").replace("''", "'") or match.group(2)
            if owner != sheet:
                continue
            first = col_index(match.group(3).upper())
            last = col_index((match.group(4) or match.group(3)).upper())
            cols.update(range(first, last + 1))
    return cols
