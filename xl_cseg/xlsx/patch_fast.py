"""Byte-level cell writer for regular sheets (see :func:`sheetxml.fast_layout`).

Copies the sheet XML in slices and emits new bytes only for edited cells, touching only
rows that have edits; work is proportional to the number of edits plus a few C-level
scans of the whole ``<sheetData>``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise

from .cellref import MAX_COLS, col_index, col_letter
from .cellvalue import CellValue, grown_ref, render_value, widened_spans
from .errors import SharedFormulaConflict
from .sheetxml import Layout

ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_LETTERS = re.compile(rb"[A-Za-z]+")
_DROP_ATTRS = re.compile(rb'\s(?:t|cm|vm)="[^"]*"')
_SPANS = re.compile(rb'\sspans="(\d+):(\d+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"')
_SHARED_MASTER = re.compile(rb'<f\s(?=[^>]*\bt="shared")(?=[^>]*\sref=")[^>]*\bsi="(\d+)"')

Row = list[tuple[int, CellValue]]
"""Edits of one row: (col, value), columns ascending and unique."""


class Styles:
    """Style of new cells: per cell, else per column, else none."""

    def __init__(self, by_col: Mapping[int, int], by_cell: Mapping[tuple[int, int], int]) -> None:
        self.by_col, self.by_cell = by_col, by_cell
        self._col_attrs = {col: b' s="%d"' % style for col, style in by_col.items()}

    def attr(self, row: int, col: int) -> bytes:
        """The `` s="N"`` attribute (or b"") for the byte-level writer."""
        if self.by_cell and (row, col) in self.by_cell:
            return b' s="%d"' % self.by_cell[row, col]
        return self._col_attrs.get(col, b"")

    def of(self, row: int, col: int) -> int | None:
        return self.by_cell.get((row, col), self.by_col.get(col))


@lru_cache(maxsize=MAX_COLS)
def _cell_prefix(col: int) -> bytes:
    return b'<c r="' + col_letter(col).encode("ascii")


@lru_cache(maxsize=4096)
def _col_of(letters: bytes) -> int:
    return col_index(letters.decode("ascii"))


class _Unordered(Exception):
    """Rows or cells out of order: the fast path gives up and lxml takes over."""


class _Writer:
    """Byte-level fast path: copies the sheet in slices, emitting new bytes only for edits.

    ``out`` collects slices of the original interleaved with new bytes; ``cursor`` is the
    position in ``xml`` up to which everything has been emitted.
    """

    def __init__(self, xml: bytes, layout: Layout, styles: Styles) -> None:
        self.xml = xml
        self.layout = layout
        self.style_attr = styles.attr
        self.styled = bool(styles.by_col or styles.by_cell)
        self.out: list[bytes] = []
        self.cursor = layout.start
        self.box: list[int] | None = None  # [first_row, first_col, last_row, last_col]
        self._strings: dict[str, bytes | None] = {}
        self._templates: dict[tuple[int, ...], bytes] = {}
        self.cell_styled_rows = {row for row, _col in styles.by_cell}

    def render(self, value: CellValue) -> bytes | None:
        if type(value) is str:  # text values repeat a lot (segments, labels): cache them
            cached = self._strings.get(value)
            if cached is None:
                cached = self._strings[value] = render_value(value)
            return cached
        return render_value(value)

    def new_cell(self, col: int, n: int, tail: bytes) -> bytes:
        return b'%s%d"%s%s' % (_cell_prefix(col), n, self.style_attr(n - 1, col), tail)

    def new_cells(self, n: int, items: Row) -> tuple[bytes, list[int]]:
        render = self.render
        cols: list[int] = []
        args: list[object] = []
        for col, value in items:
            tail = render(value)
            if tail is not None:
                cols.append(col)
                args += (n, tail)
        if not cols:
            return b"", cols
        if self.cell_styled_rows and n - 1 in self.cell_styled_rows:
            style_attr = self.style_attr
            return b"".join(b'%s%d"%s%s' % (_cell_prefix(c), n, style_attr(n - 1, c), t)
                            for c, t in zip(cols, args[1::2])), cols
        key = tuple(cols)  # rows with the same columns share one template: one % per row
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = b"".join(
                _cell_prefix(c) + b'%d"' + self.style_attr(-1, c).replace(b"%", b"%%") + b"%s"
                for c in cols)
        return template % tuple(args), cols

    def missing_row(self, n: int, items: Row, next_row: int | None) -> None:
        cells, cols = self.new_cells(n, items)
        if cells:
            xml, end = self.xml, self.layout.end
            pos = end if next_row is None else xml.find(b'<row r="%d"' % next_row, self.cursor, end)
            self.out += (xml[self.cursor : pos], b'<row r="%d">%s</row>' % (n, cells))
            self.cursor = pos
            self.note(n, cols)

    def empty_row(self, n: int, items: Row, row_start: int, gt: int) -> None:
        """A self-closing ``<row .../>``; ``gt`` is the index of its ``>``."""
        cells, cols = self.new_cells(n, items)
        if cells:
            xml = self.xml
            head = _widen_spans(xml[row_start : gt - 1], cols)
            self.out += (xml[self.cursor : row_start], b"%s>%s</row>" % (head, cells))
            self.cursor = gt + 1
            self.note(n, cols)

    def row(self, n: int, items: Row, row_start: int, gt: int) -> None:
        """A row with content; ``gt`` is the index of the ``>`` ending its start tag."""
        xml, out, render = self.xml, self.out, self.render
        start = gt + 1
        end = xml.index(b"</row>", start)
        last = xml.rfind(b'<c r="', start, end)
        last_col = _col_of(_LETTERS.match(xml, last + 6)[0]) if last >= 0 else -1
        if items[0][0] > last_col:  # appends only: the common case of new columns
            cells, cols = self.new_cells(n, items)
            if cells:
                head = xml[row_start:start]
                out += (
                    xml[self.cursor : row_start],
                    _widen_spans(head, cols),
                    xml[start:end],
                    cells,
                )
                self.cursor = end
                self.note(n, cols)
            return
        out += (xml[self.cursor : row_start], xml[row_start:start])
        head = len(out) - 1  # patched below if cells are created and the row has spans
        cursor = start
        suffix = b'%d"' % n
        # per-row flags spare most cells the search for formulas and cm/vm attributes
        formulas = xml.find(b"<f", start, end) >= 0
        metadata = xml.find(b'm="', start, end) >= 0
        created: list[int] = []
        written: list[int] = []
        for col, value in items:
            tail = render(value)
            pos = -1 if col > last_col else xml.find(_cell_prefix(col) + suffix, start, end)
            if pos >= 0:
                frm, to, new = self.replace(pos, tail, formulas, metadata)
            elif tail is None:
                continue
            else:
                frm = to = end if col > last_col else _insert_position(xml, start, end, col)
                new = self.new_cell(col, n, tail)
                created.append(col)
            if frm < cursor:
                raise _Unordered
            out += (xml[cursor:frm], new)
            cursor = to
            if tail is not None:
                written.append(col)
        self.cursor = cursor
        if created:
            out[head] = _widen_spans(out[head], created)
        self.note(n, written)

    def replace(
        self, pos: int, tail: bytes | None, formulas: bool, metadata: bool
    ) -> tuple[int, int, bytes]:
        """Edit for the existing cell at ``pos``: (copy up to, resume at, new bytes).

        Attributes other than t/cm/vm are kept. ``formulas``/``metadata``: whether the row
        contains any ``<f`` / ``m="`` at all.
        """
        xml = self.xml
        gt = xml.index(b">", pos)
        if xml[gt - 1] == 0x2F:  # "/>"
            tag_close, cell_end = gt - 1, gt + 1
        else:
            tag_close, cell_end = gt, xml.index(b"</c>", gt) + 4
            if formulas and xml.find(b"<f", gt, cell_end) >= 0:
                self.check_shared_master(pos, gt, cell_end)
        tail = b"/>" if tail is None else tail
        t_pos = xml.find(b't="', pos, tag_close)  # no other cell attribute ends in "t"
        cut = tag_close if t_pos < 0 else t_pos - 1
        if (t_pos < 0 or xml.index(b'"', t_pos + 3) + 1 == tag_close) and (
            not metadata or xml.find(b'm="', pos, cut) < 0
        ):
            return cut, cell_end, tail  # keep the start tag up to t="..." (usually last)
        attrs = _DROP_ATTRS.sub(b"", xml[pos + 2 : tag_close]).rstrip()
        return pos, cell_end, b"<c%s%s" % (attrs, tail)

    def check_shared_master(self, pos: int, body: int, end: int) -> None:
        xml, layout = self.xml, self.layout
        master = _SHARED_MASTER.search(xml, body, end)
        if master and xml.count(b'si="%s"' % master[1], layout.start, layout.end) > 1:
            raise SharedFormulaConflict(xml[pos + 6 : xml.index(b'"', pos + 6)].decode("ascii"))

    def note(self, n: int, cols: list[int]) -> None:
        """Track the bounding box of written values (``cols`` ascending)."""
        if not cols:
            return
        box = self.box
        if box is None:
            self.box = [n - 1, cols[0], n - 1, cols[-1]]
        else:
            box[2] = n - 1  # rows are processed in ascending order
            box[1] = min(box[1], cols[0])
            box[3] = max(box[3], cols[-1])

    def finish(self) -> list[bytes]:
        box = tuple(self.box) if self.box else None
        return finish(self.xml, self.layout, [*self.out, self.xml[self.cursor : self.layout.end]],
                      box)


def finish(xml: bytes, layout: Layout, body: list[bytes],
           box: tuple[int, int, int, int] | None) -> list[bytes]:
    """The sheet in chunks: ``body`` as the new ``<sheetData>`` content, the ``<dimension>``
    grown to ``box`` (first_row, first_col, last_row, last_col) of the written values."""
    prefix = xml[: layout.tag_start] if layout.self_closing else xml[: layout.start]
    prefix = grow_dimension(prefix, box)
    if layout.self_closing:
        return [prefix, b"<sheetData>", *body, b"</sheetData>", xml[layout.end :]]
    return [prefix, *body, xml[layout.end :]]


def grow_dimension(head: bytes, box: tuple[int, int, int, int] | None) -> bytes:
    """``head`` (the sheet up to or into ``<sheetData>``) with its ``<dimension>`` grown to
    ``box``."""
    dim = _DIMENSION.search(head)
    if dim and box:
        old = dim[1].decode("ascii", "replace")
        new = grown_ref(old, box)
        if new != old:
            return head[: dim.start(1)] + new.encode("ascii") + head[dim.end(1) :]
    return head


def patch_fast(xml: bytes, layout: Layout, rows: Mapping[int, Row], styles: Styles
               ) -> list[bytes] | None:
    """Apply ``rows`` (row -> edits); the new sheet as chunks, None if the sheet turns out to be
    out of order."""
    existing = list(map(int, ROW_NUMBER.findall(xml, layout.start, layout.end)))
    if any(b <= a for a, b in pairwise(existing)):
        return None
    writer = _Writer(xml, layout, styles)
    try:
        for row in sorted(rows):
            items = rows[row]
            if not items:
                continue
            n = row + 1
            i = bisect_left(existing, n)
            if i == len(existing) or existing[i] != n:
                writer.missing_row(n, items, existing[i] if i < len(existing) else None)
                continue
            row_start = xml.find(b'<row r="%d"' % n, writer.cursor, layout.end)
            gt = xml.index(b">", row_start)
            if xml[gt - 1] == 0x2F:
                writer.empty_row(n, items, row_start, gt)
            else:
                writer.row(n, items, row_start, gt)
    except _Unordered:
        return None
    return writer.finish()


def _insert_position(xml: bytes, start: int, end: int, col: int) -> int:
    """Start of the first cell in ``xml[start:end]`` right of ``col`` (or ``end``)."""
    pos = xml.find(b'<c r="', start, end)
    while pos >= 0:
        if _col_of(_LETTERS.match(xml, pos + 6)[0]) > col:
            return pos
        pos = xml.find(b'<c r="', pos + 6, end)
    return end


def _widen_spans(head: bytes, created: list[int]) -> bytes:
    """Row start tag ``head`` with its optional ``spans`` covering the ``created`` columns."""
    m = _SPANS.search(head) if created else None
    if not m:
        return head
    lo, hi = int(m[1]), int(m[2])
    if widened_spans(lo, hi, created) == (lo, hi):
        return head
    return head[: m.start()] + b' spans="%d:%d"' % widened_spans(lo, hi, created) + head[m.end() :]
