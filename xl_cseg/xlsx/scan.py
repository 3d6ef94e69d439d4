"""What is learnt from a worksheet part's bytes, once per job: :class:`SheetScan`."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Collection
from functools import cached_property, lru_cache
from typing import NamedTuple

import numpy as np
from lxml import etree

from .cellref import MAX_ROWS, a1, col_letter, parse_range
from .extent import Extent, Tags, check_ref, sheet_extent, sheet_tags
from .safexml import check_prolog, local, parse_xml
from .sheetxml import (ROW_NUMBER, Layout, cell_ref, data_bounds, numbered_cells, numbered_rows,
                       sheet_data, tag_end)
from .xmltext import unescape

_HIT = re.compile(rb"<f[\s>/]|\st=\"e\"")
_T_ATTR = re.compile(rb'\st="([^"]*)"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_F = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>(.*?)</f>)", re.S)
_V = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>(.*?)</v>)", re.S)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([^"]+)"')
_ROW_TAG = re.compile(rb'<row r="(\d+)"[^>]*?(/?)>')
_SPANS = re.compile(rb' spans="(\d+):(\d+)"')
_FORMULA_OR_ERROR = (b"<f", b":f", b'"e"', b"'e'")  # formula tags (also prefixed), t="e"
_ERROR_TYPE = re.compile(rb't="e"')
ROWS_PER_CHUNK = 4096  # rows of a sheet made at a time


@lru_cache(maxsize=64)
def cells_from(col: int) -> re.Pattern[bytes]:
    """Matches a cell reference whose column is ``col`` or further right (any letter case),
    written as "not a column left of ``col``"."""
    letters = col_letter(col).encode("ascii")
    any_letter = b"[A-Za-z]"
    left = [any_letter + b"{1,%d}" % (len(letters) - 1)] if len(letters) > 1 else []
    for i, ch in enumerate(letters):
        if ch != ord("A"):  # same length, the same letters up to i, then an earlier one
            same = b"".join(b"[%c%c]" % (c, c + 32) for c in letters[:i])
            below = b"[A-%ca-%c]" % (ch - 1, ch + 31)
            left.append(same + below + any_letter * (len(letters) - i - 1))
    if not left:
        return re.compile(rb'<c r="[A-Za-z]{1,3}[0-9]')
    return re.compile(rb'<c r="(?!(?:%s)[0-9])[A-Za-z]{1,3}[0-9]' % b"|".join(left))


class SpecialCell(NamedTuple):
    """A cell holding a formula or an error value."""

    kind: str  # "formula" or "error"
    formula: str | None  # formula text ("" for shared-formula dependents); None for errors
    has_cached: bool  # whether a cached value (<v>) exists
    cached_value: str | None  # raw <v> text, e.g. "42", "#DIV/0!"
    error: str | None  # error code if the (cached) value is an error, e.g. "#N/A"


class SheetScan:
    """A worksheet part's bytes with what readers and the sheet writer learn from them (its
    layout, the rows with content, the row spans, merged cells, whether formulas or errors may
    occur), each found on first use and kept: a job makes one scan of a sheet part and passes
    it along. Raises :class:`UnsafeXml` for a DOCTYPE."""

    def __init__(self, xml: bytes, *, part: str = "worksheet", source: str | None = None,
                 sheet: str | None = None, reload: Callable[[], bytes] | None = None):
        check_prolog(xml, part, source)
        self._xml: bytes | None = xml
        self.part, self.source = part, source
        self.sheet = sheet or part  # the sheet's name in messages
        self._first_cells: dict[int, array | None] = {}
        self._reload = reload

    @property
    def xml(self) -> bytes:
        """The part's bytes (read again through ``reload`` after :meth:`release`)."""
        if self._xml is None:
            self._xml = self._reload()
        return self._xml

    @property
    def released(self) -> bool:
        return self._xml is None

    def release(self) -> None:
        """Let go of the bytes where they can be read again; what was found stays."""
        if self._reload is not None:
            self._xml = None

    @cached_property
    def extent(self) -> Extent:
        """Cells present and the last row and column, every reference checked (:mod:`extent`)."""
        return sheet_extent(self.xml, self.sheet, self.part, self.source, tags=self.tags)

    @cached_property
    def tags(self) -> Tags | None:
        """The one pass over the row and cell tags (:func:`extent.sheet_tags`) that the layout,
        the extent, the rows with content and the sheet writer share; None where the sheet is
        not UTF-8 or its ``<sheetData>`` is prefixed or holds comments."""
        bounds = data_bounds(self.xml)
        return None if bounds is None else sheet_tags(self.xml, bounds)

    @cached_property
    def layout(self) -> Layout | None:
        """The ``<sheetData>`` offsets if the sheet is regular (byte level), else None."""
        tags = self.tags
        return None if tags is None or tags.unnumbered else tags.layout

    @cached_property
    def may_hold_formula_or_error(self) -> bool:
        """Whether the sheet may hold a formula or an error cell (a byte search, no parsing)."""
        xml, layout = self.xml, self.layout
        if layout is None:
            return any(mark in xml for mark in _FORMULA_OR_ERROR)
        # regular sheets: only unprefixed formula tags and double-quoted t="e" count (as in
        # the scan of special_cells)
        return self.tags.formula or bool(_ERROR_TYPE.search(xml, layout.start, layout.end))

    @cached_property
    def row_ends(self) -> np.ndarray | None:
        """The offsets of the ``</row>`` of a regular sheet, ascending."""
        return self.tags.row_ends if self.layout else None

    @cached_property
    def merge_refs(self) -> list[bytes]:
        return _MERGE.findall(self.xml) if b"mergeCell" in self.xml else []

    @cached_property
    def rows_with_content(self) -> np.ndarray | None:
        """Numbers of the rows that end in ``</row>``, ascending; None unless the sheet is
        regular and its rows ascend."""
        xml, layout = self.xml, self.layout
        if layout is None:
            return None
        closed = len(self.tags.row_ends)
        existing = self.tags.rows if self.tags.bad is None else \
            np.array(ROW_NUMBER.findall(xml, layout.start, layout.end), dtype=np.int64)
        if len(existing) > 1 and not bool(np.all(existing[1:] > existing[:-1])):
            return None
        if closed == len(existing):  # no row is self-closing
            return existing
        tags = _ROW_TAG.findall(xml, layout.start, layout.end)
        if len(tags) != len(existing):
            return None
        filled = existing[np.array([not slash for _n, slash in tags], dtype=bool)]
        return filled if closed == len(filled) else None

    def first_cells(self, col: int) -> array | None:
        """Per row with content (:attr:`rows_with_content`): where its cells from column ``col``
        (0-based) on begin (its own cell of that column, else the first at or right of it,
        else its ``</row>``), the row's part starting after the ``</row>`` before it; None
        unless the sheet is regular. Found once per column and kept."""
        found = self._first_cells.get(col)
        if found is not None or col in self._first_cells:
            return found
        xml, layout, filled = self.xml, self.layout, self.rows_with_content
        if layout is None or filled is None or self.tags.bad is not None or not len(filled):
            self._first_cells[col] = None
            return None
        ends = self.tags.row_ends
        starts = np.concatenate([[0], ends[:-1] + 6]).tolist()
        stops = ends.tolist()
        needle = b'<c r="' + col_letter(col).encode("ascii").replace(b"%", b"%%") + b'%d"'
        cuts = list(map(xml.find, map(needle.__mod__, filled.tolist()), starts, stops))
        later = cells_from(col)
        for i in (i for i, cut in enumerate(cuts) if cut < 0):  # no cell of that column
            at = later.search(xml, starts[i], stops[i])
            cuts[i] = at.start() if at else stops[i]
        self._first_cells[col] = found = array("q", cuts)  # 8 bytes a row, kept
        return found

    def without_cells_from(self, col: int) -> list[bytes] | None:
        """The part, in chunks, with the cells from column ``col`` (0-based) on left out of
        every row, for a reader that needs only the columns left of it; None unless the sheet
        is regular and what is left out is exactly every cell at or right of ``col``: none is
        left, and as many cells as the sheet has left of ``col`` are (the tag pass counted)."""
        cuts = self.first_cells(col)
        if cuts is None:
            return None
        xml, later, ends = self.xml, cells_from(col), self.tags.row_ends
        starts = np.concatenate([[0], ends[:-1] + 6]).tolist()
        stops = ends.tolist()
        view = memoryview(xml)
        chunks, cells = [], 0
        for lo in range(0, len(cuts), ROWS_PER_CHUNK):
            hi = min(lo + ROWS_PER_CHUNK, len(cuts))
            chunk = b"</row>".join(map(view.__getitem__, map(slice, starts[lo:hi], cuts[lo:hi])))
            if later.search(chunk):
                return None
            cells += chunk.count(b'<c r="')
            chunks += (chunk, b"</row>")
        if cells != int(self.tags.column_cells[1:col + 1].sum()):
            return None
        return [*chunks, xml[stops[-1] + 6:]]

    @cached_property
    def spans(self) -> set[tuple[bytes, bytes]]:
        """The distinct row ``spans`` values of a regular sheet."""
        layout = self.layout
        return set(_SPANS.findall(self.xml, layout.start, layout.end)) if layout else set()

    def special_cells(self, min_row: int = 0, max_row: int | None = None,
                      cols: Collection[int] | None = None) -> dict[tuple[int, int], SpecialCell]:
        """Formula and error cells within rows ``min_row..max_row`` (inclusive) and ``cols``."""
        if not self.may_hold_formula_or_error:  # most lists: no scan needed
            return {}
        xml, layout = self.xml, self.layout
        inside = _area(min_row, max_row, cols)
        if layout is None:
            return _special_cells_tree(parse_xml(xml, self.part, self.source), inside)
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

    def cell_style(self, row: int, col: int) -> int | None:
        """Style index of the cell at (row, col): 0 without ``s``, None if the cell is absent."""
        xml, layout = self.xml, self.layout
        if layout is None:
            for r, row_el in numbered_rows(sheet_data(parse_xml(xml, self.part, self.source))):
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

    def merged_ranges(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Merged areas as ((first_row, first_col), (last_row, last_col)); a range outside the
        grid is corruption (:class:`extent.BadReference`)."""
        ranges = []
        for raw in self.merge_refs:
            ref = raw.decode("utf-8", "replace")
            check_ref(ref, self.sheet, self.source)
            ranges.append(parse_range(ref))
        return ranges


def _area(
    min_row: int, max_row: int | None, cols: Collection[int] | None
) -> Callable[[int, int], bool]:
    """Predicate for "(row, col) lies in the requested rows and columns"."""
    last = max_row if max_row is not None else MAX_ROWS
    wanted_cols = frozenset(cols) if cols is not None else None

    def inside(row: int, col: int) -> bool:
        return min_row <= row <= last and (wanted_cols is None or col in wanted_cols)

    return inside


def _group_text(m: re.Match[bytes] | None) -> str | None:
    if m is None:
        return None
    return unescape(m.group(1).decode("utf-8")) if m.group(1) is not None else ""


def _make(t: str | None, formula: str | None, value: str | None) -> SpecialCell | None:
    error = (value or "#N/A") if t == "e" else None
    if formula is not None:
        # an empty <v></v> caches nothing (openpyxl writes it for every formula), except for a
        # formula whose text result is empty (t="str")
        cached = value is not None and (value != "" or t == "str")
        return SpecialCell("formula", formula, cached, value if cached else None, error)
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
