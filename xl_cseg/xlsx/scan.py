"""Fast read-only scans of worksheet XML: formula/error cells, merged ranges."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import NamedTuple

from lxml import etree

from .cellref import MAX_ROWS, a1, parse_range
from .extent import check_ref
from .safexml import check_prolog, local, parse_xml
from .sheetxml import cell_ref, fast_layout, per_document, numbered_cells, numbered_rows, sheet_data, tag_end
from .xmltext import unescape

_HIT = re.compile(rb"<f[\s>/]|\st=\"e\"")
_T_ATTR = re.compile(rb'\st="([^"]*)"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_F = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>(.*?)</f>)", re.S)
_V = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>(.*?)</v>)", re.S)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([^"]+)"')


_FORMULA_OR_ERROR = (b"<f", b":f", b'"e"', b"'e'")  # formula tags (also prefixed), t="e"


class SpecialCell(NamedTuple):
    """A cell holding a formula or an error value."""

    kind: str  # "formula" or "error"
    formula: str | None  # formula text ("" for shared-formula dependents); None for errors
    has_cached: bool  # whether a cached value (<v>) exists
    cached_value: str | None  # raw <v> text, e.g. "42", "#DIV/0!"
    error: str | None  # error code if the (cached) value is an error, e.g. "#N/A"


@per_document
def has_formula_or_error(xml: bytes) -> bool:
    """Whether the sheet may hold a formula or an error cell (a byte search, no parsing)."""
    return any(mark in xml for mark in _FORMULA_OR_ERROR)


@per_document
def _merge_refs(xml: bytes) -> list[bytes]:
    return _MERGE.findall(xml) if b"mergeCell" in xml else []


def _area(
    min_row: int, max_row: int | None, cols: Collection[int] | None
) -> Callable[[int, int], bool]:
    """Predicate for "(row, col) lies in the requested rows and columns"."""
    last = max_row if max_row is not None else MAX_ROWS
    wanted_cols = frozenset(cols) if cols is not None else None

    def inside(row: int, col: int) -> bool:
        return min_row <= row <= last and (wanted_cols is None or col in wanted_cols)

    return inside


def special_cells(
    xml: bytes,
    min_row: int = 0,
    max_row: int | None = None,
    cols: Collection[int] | None = None,
    *,
    part: str = "worksheet",
    source: str | None = None,
) -> dict[tuple[int, int], SpecialCell]:
    """Formula and error cells within rows ``min_row..max_row`` (inclusive) and ``cols``."""
    check_prolog(xml, part, source)
    if not has_formula_or_error(xml):  # most lists: no scan needed
        return {}
    inside = _area(min_row, max_row, cols)
    layout = fast_layout(xml)
    if layout is None:
        return _special_cells_tree(parse_xml(xml, part, source), inside)
    found: dict[tuple[int, int], SpecialCell] = {}
    last_cell = -1
    for hit in _HIT.finditer(xml, layout.start, layout.end):
        start = xml.rfind(b'<c r="', layout.start, hit.start() + 1)
        if start <= last_cell:
            continue
        last_cell = start
        rc = cell_ref(xml, start)
        if not inside(*rc):
            continue
        body_start, closed = tag_end(xml, start)
        body = b"" if closed else xml[body_start : xml.index(b"</c>", body_start)]
        t = _T_ATTR.search(xml, start, body_start)
        cell = _make(
            t.group(1).decode() if t else None,
            _group_text(_F.search(body)),
            _group_text(_V.search(body)),
        )
        if cell is not None:
            found[rc] = cell
    return found


def _group_text(m: re.Match[bytes] | None) -> str | None:
    if m is None:
        return None
    return unescape(m.group(1).decode("utf-8")) if m.group(1) is not None else ""


def _make(t: str | None, formula: str | None, value: str | None) -> SpecialCell | None:
    error = (value or "#N/A") if t == "e" else None
    if formula is not None:
        return SpecialCell("formula", formula, value is not None, value, error)
    if error is not None:
        return SpecialCell("error", None, value is not None, value, error)
    return None


def _special_cells_tree(
    root: etree._Element, inside: Callable[[int, int], bool]
) -> dict[tuple[int, int], SpecialCell]:
    found: dict[tuple[int, int], SpecialCell] = {}
    for row, row_el in numbered_rows(sheet_data(root)):
        for col, cell in numbered_cells(row_el):
            if not inside(row, col):
                continue
            children = {local(child.tag): child for child in cell}
            f, v = children.get("f"), children.get("v")
            made = _make(
                cell.get("t"),
                None if f is None else (f.text or ""),
                None if v is None else (v.text or ""),
            )
            if made is not None:
                found[row, col] = made
    return found


def cell_style(
    xml: bytes, row: int, col: int, *, part: str = "worksheet", source: str | None = None
) -> int | None:
    """Style index of the cell at (row, col): 0 without ``s``, None if the cell is absent."""
    check_prolog(xml, part, source)
    layout = fast_layout(xml)
    if layout is None:
        for r, row_el in numbered_rows(sheet_data(parse_xml(xml, part, source))):
            if r == row:
                return next(
                    (int(c.get("s", 0)) for n, c in numbered_cells(row_el) if n == col), None
                )
        return None
    pos = xml.find(b'<c r="%s"' % a1(row, col).encode("ascii"), layout.start, layout.end)
    if pos < 0:
        return None
    style = _S_ATTR.search(xml, pos, xml.index(b">", pos))
    return int(style[1]) if style else 0


def merged_ranges(
    xml: bytes, *, part: str = "worksheet", source: str | None = None, sheet: str | None = None
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged areas as ((first_row, first_col), (last_row, last_col)); a range outside the
    grid is corruption (:class:`extent.BadReference`)."""
    check_prolog(xml, part, source)
    ranges = []
    for raw in _merge_refs(xml):
        ref = raw.decode("utf-8", "replace")
        check_ref(ref, sheet or part, source)
        ranges.append(parse_range(ref))
    return ranges
