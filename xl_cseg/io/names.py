"""Workbook-level defined names that point at single cells (the controller's parameters)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..xlsx.cellref import a1, parse_a1
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

