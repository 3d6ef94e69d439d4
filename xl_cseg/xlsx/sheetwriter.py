"""The sheet writer: cells written into a worksheet part, every other byte left as it was.

Values are written as numbers (``<v>``), booleans (``t="b"``) or inline strings
(``t="inlineStr"``), so ``sharedStrings.xml`` never changes and text such as
``=HYPERLINK("x")`` stays text (rendered by :mod:`cellvalue`). Writing to a cell drops its
formula and cached value; callers are expected to target value cells only. A shared-formula
master whose dependents exist is refused with :class:`SharedFormulaConflict`.

The sheet is patched at byte level when it is regular (:attr:`SheetScan.layout`): copied in
slices, new bytes only for edited cells. A column block (the same rows in several columns) is
written in one of three ways there: *append columns* (no cell at or right of the block yet:
every edit goes before a row's ``</row>``), *rewrite tails* (the block's columns were written
before and are the last cells of their rows: those cells are rebuilt, keeping their styles) or
cell by cell. Sheets the byte level cannot handle (prefixed namespaces, implicit positions,
comments inside ``<sheetData>``, other encodings) go through lxml, which re-serializes them.
"""

from __future__ import annotations

import functools
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, pairwise, repeat
from operator import eq, is_not, itemgetter

import numpy as np
from lxml import etree

from .cellref import MAX_COLS, MAX_ROWS, a1, col_index, col_letter
from .chunks import Chunks
from .cellvalue import (KEEP, CellValue, Encoded, NumberColumn, bounds, cell_tail, column_tails,
                        encode_value, grown_ref, keeps_blanks, render_value, widened_spans)
from .errors import SharedFormulaConflict
from .safexml import local, parse_xml
from .scan import SheetScan, cells_from
from .sheetxml import ROW_NUMBER, Layout, numbered_cells, numbered_rows, sheet_data

Row = list[tuple[int, CellValue]]
"""Edits of one row: (col, value), columns ascending and unique."""


@dataclass(frozen=True)
class ColumnBlock:
    """Values for the same rows in several columns, without one dict entry per cell."""

    rows: Sequence[int]
    columns: Mapping[int, Sequence[CellValue]]  # col -> one value per row (or KEEP)


class _Edits(Mapping[int, Row]):
    """Row -> edits of that row (columns ascending), built on demand from cells and a block."""

    def __init__(self, cells: Mapping[tuple[int, int], CellValue], block: ColumnBlock | None):
        self.by_row: dict[int, dict[int, CellValue]] = {}
        for (row, col), value in cells.items():
            self.by_row.setdefault(row, {})[col] = value
        self.block = block
        self.cols = sorted(block.columns) if block else []

    @functools.cached_property
    def index(self) -> dict[int, int]:
        """Block row -> its position (built only when written cell by cell)."""
        return {row: i for i, row in enumerate(self.block.rows)} if self.block else {}

    @property
    def empty(self) -> bool:
        return not self.by_row and not (self.block and self.block.rows)

    def __getitem__(self, row: int) -> Row:
        i = self.index.get(row)
        extra = self.by_row.get(row)
        if i is None:
            return sorted(extra.items(), key=lambda item: item[0]) if extra else []
        columns = self.block.columns
        if not extra:  # the common case: block columns only, already in order
            return [(c, v) for c in self.cols if (v := columns[c][i]) is not KEEP]
        items = {c: v for c in self.cols if (v := columns[c][i]) is not KEEP}
        items.update(extra)
        return sorted(items.items(), key=lambda item: item[0])

    def by_row_items(self) -> dict[int, Row]:
        """The single cells per row (columns ascending), without the block."""
        return {row: sorted(cells.items()) for row, cells in self.by_row.items()}

    def __iter__(self):
        return iter(self.index.keys() | self.by_row.keys())

    def __len__(self) -> int:
        return len(self.index.keys() | self.by_row.keys())

    def check_bounds(self) -> None:
        block_rows = self.block.rows if self.block and self.block.rows else []
        rows = [*self.by_row, *((min(block_rows), max(block_rows)) if block_rows else ())]
        cols = [c for cells in self.by_row.values() for c in cells] + self.cols
        if rows and (min(rows) < 0 or max(rows) >= MAX_ROWS):
            raise ValueError("row index out of range")
        if cols and (min(cols) < 0 or max(cols) >= MAX_COLS):
            raise ValueError("column index out of range")


def write_sheet(
    sheet: SheetScan,
    cells: Mapping[tuple[int, int], CellValue],
    *,
    default_styles: Mapping[int, int] | None = None,
    cell_styles: Mapping[tuple[int, int], int] | None = None,
    block: ColumnBlock | None = None,
) -> list[bytes]:
    """Write ``cells`` ((row, col) 0-based -> value) and ``block`` into the scanned sheet.

    Existing cells keep their ``s`` attribute. New cells get ``cell_styles[(row, col)]``,
    else ``default_styles[col]``, else no style.
    ``None`` empties an existing cell (style kept) and creates nothing where no cell exists;
    :data:`KEEP` in a block leaves the cell alone; ``cells`` win over the block.
    The ``<dimension>`` grows to cover written values. Raises ``ValueError`` for positions
    outside the sheet, non-finite numbers and over-long text. The result comes in chunks so that
    a big sheet can be streamed into the zip without a joined copy.
    """
    xml = sheet.xml
    rows = _Edits(cells, block)
    if rows.empty:
        return [xml]
    rows.check_bounds()
    styles = Styles(default_styles or {}, cell_styles or {})
    patched = None
    if sheet.layout and block is not None and block.rows:
        patched = _column_block(sheet, rows.by_row_items(), block.rows, block.columns, styles)
    if sheet.layout and patched is None:
        patched = _cell_by_cell(sheet, rows, styles)
    if patched is not None:
        return patched
    edits = {row: [(col, encode_value(v)) for col, v in items]
             for row, items in rows.items() if items}
    return [_tree(xml, edits, styles.of)]


# --- byte level, cell by cell --------------------------------------------------

_LETTERS = re.compile(rb"[A-Za-z]+")
_DROP_ATTRS = re.compile(rb'\s(?:t|cm|vm)="[^"]*"')
_ROW_SPANS = re.compile(rb'\sspans="(\d+):(\d+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"')
_SHARED_MASTER = re.compile(rb'<f\s(?=[^>]*\bt="shared")(?=[^>]*\sref=")[^>]*\bsi="(\d+)"')


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
    """Rows or cells out of order: the byte level gives up and lxml takes over."""


class _Writer:
    """Cell by cell at byte level: copies the sheet in slices, new bytes only for edits.

    ``out`` collects slices of the original interleaved with new bytes; ``cursor`` is the
    position in ``xml`` up to which everything has been emitted.
    """

    def __init__(self, xml: bytes, layout: Layout, styles: Styles) -> None:
        self.xml = xml
        self.layout = layout
        self.style_attr = styles.attr
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
        return _finish(self.xml, self.layout, [*self.out, self.xml[self.cursor : self.layout.end]],
                      box)


def _finish(xml: bytes, layout: Layout, body: list[bytes],
           box: tuple[int, int, int, int] | None) -> list[bytes]:
    """The sheet in chunks: ``body`` as the new ``<sheetData>`` content, the ``<dimension>``
    grown to ``box`` (first_row, first_col, last_row, last_col) of the written values."""
    prefix = xml[: layout.tag_start] if layout.self_closing else xml[: layout.start]
    prefix = _grow_dimension(prefix, box)
    if layout.self_closing:
        return [prefix, b"<sheetData>", *body, b"</sheetData>", xml[layout.end :]]
    return [prefix, *body, xml[layout.end :]]


def _grow_dimension(head: bytes, box: tuple[int, int, int, int] | None) -> bytes:
    """``head`` (the sheet up to or into ``<sheetData>``) with its ``<dimension>`` grown to
    ``box``."""
    dim = _DIMENSION.search(head)
    if dim and box:
        old = dim[1].decode("ascii", "replace")
        new = grown_ref(old, box)
        if new != old:
            return head[: dim.start(1)] + new.encode("ascii") + head[dim.end(1) :]
    return head


def _cell_by_cell(sheet: SheetScan, rows: Mapping[int, Row], styles: Styles
                  ) -> list[bytes] | None:
    """Apply ``rows`` (row -> edits) to a regular sheet; the new sheet as chunks, None if the
    sheet turns out to be out of order."""
    xml, layout = sheet.xml, sheet.layout
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
    m = _ROW_SPANS.search(head) if created else None
    if not m:
        return head
    lo, hi = int(m[1]), int(m[2])
    if widened_spans(lo, hi, created) == (lo, hi):
        return head
    return head[: m.start()] + b' spans="%d:%d"' % widened_spans(lo, hi, created) + head[m.end() :]


# --- byte level, column blocks -------------------------------------------------

def _has_cells_from(sheet: SheetScan, col: int) -> bool:
    """Whether a cell of ``<sheetData>`` lies at column ``col`` or right of it."""
    layout = sheet.layout
    return cells_from(col).search(sheet.xml, layout.start, layout.end) is not None


_ROW_END = re.compile(rb"</row>")


def _row_bounds(sheet: SheetScan, data: bytes) -> tuple[array, array]:
    """Where the pieces of ``data`` (the sheet, its spans widened) split at each ``</row>`` of
    ``<sheetData>`` start and stop (8 bytes per row, not an int object); the scan's row ends
    where the spans stayed."""
    if data is sheet.xml:
        stops = array("q", sheet.row_ends.tobytes())
    else:
        layout = sheet.layout
        end = layout.end + len(data) - len(sheet.xml)
        stops = array("q", map(re.Match.start, _ROW_END.finditer(data, layout.start, end)))
    starts = array("q", [0])
    starts.extend(map((6).__add__, stops))
    stops.append(len(data))
    return starts, stops


JOINED_ROWS = 4096  # rows per chunk of a patched sheet


def _joined(data: bytes, starts: Sequence[int], stops: Sequence[int],
            ends: Callable[[int, int], Sequence[bytes]], replaced: Mapping[int, bytes]) -> Chunks:
    """The patched sheet in chunks of :data:`JOINED_ROWS` rows, each made when it is read:
    piece ``i`` of ``data`` (``data[starts[i]:stops[i]]``, or ``replaced[i]``) followed by its
    end (``ends(lo, hi)``: those of pieces ``lo`` to ``hi - 1``)."""
    view = memoryview(data)
    count = len(starts)

    def make(chunk: int) -> bytes:
        lo = chunk * JOINED_ROWS
        hi = min(lo + JOINED_ROWS, count)
        pieces = list(map(view.__getitem__, map(slice, starts[lo:hi], stops[lo:hi])))
        for i in (i for i in replaced if lo <= i < hi):
            pieces[i - lo] = replaced[i]
        return b"".join(chain.from_iterable(zip(pieces, ends(lo, hi))))

    return Chunks(make, range(-(-count // JOINED_ROWS)))


def _listed(at: np.ndarray, *arrays: np.ndarray) -> Iterator[tuple[int, ...]]:
    """(position, then each array's item there) for the positions ``at``, as Python ints made
    a chunk of :data:`JOINED_ROWS` at a time (not a list of a million each)."""
    for lo in range(0, len(at), JOINED_ROWS):
        part = at[lo:lo + JOINED_ROWS]
        yield from zip(part.tolist(), *(array[part].tolist() for array in arrays))


def _row_array(rows: Sequence[int]) -> np.ndarray:
    """``rows`` as an array of 8-byte integers (a range without an int object per row, as
    numpy's conversion of a sequence would make)."""
    if isinstance(rows, range):
        return np.arange(rows.start, rows.stop, rows.step, dtype=np.int64)
    return np.asarray(rows, dtype=np.int64)


def _pieces_of(filled: np.ndarray, rows: Sequence[int]) -> np.ndarray | None:
    """Index of each (0-based) row among the rows with content; None if one has none."""
    wanted = _row_array(rows) + 1
    at = np.searchsorted(filled, wanted)
    if len(wanted) and (at.max() >= len(filled) or not np.array_equal(filled[at], wanted)):
        return None
    return at


def _column_block(sheet: SheetScan, cells: Mapping[int, list[tuple[int, CellValue]]],
                  block_rows: Sequence[int], block: Mapping[int, Sequence[CellValue]],
                  styles: Styles) -> list[bytes] | None:
    """The block and ``cells`` written by appending columns or rewriting the tails of rows;
    the patched sheet in chunks, or None when the cell-by-cell writer must do it.

    ``cells``: row -> edits (columns ascending) of rows written cell by cell (they may also be
    block rows); ``block``: col -> one value per ``block_rows`` row.
    """
    if sheet.layout.self_closing:
        return None
    columns = sorted(block)
    first = min([*columns, *(c for items in cells.values() for c, _v in items)])
    if _has_cells_from(sheet, first):
        return _rewrite_tails(sheet, cells, block_rows, block, styles, first)
    filled_rows = sheet.rows_with_content
    if filled_rows is None:
        return None
    # the document split at "</row>": piece i ends with the i-th row that has content
    special = sorted(set(cells) | {row for row, _col in styles.by_cell})
    targets = _pieces_of(filled_rows, block_rows)
    special_pieces = _pieces_of(filled_rows, special)
    if targets is None or special_pieces is None:
        return None
    piece_of = dict(zip(special, special_pieces.tolist()))
    written_rows: list[int] = []
    written_cols: set[int] = set()
    filled = _present(block, columns)
    position = _positions(block_rows, special)
    if position:
        filled[list(position.values())] = 0
    plans, kinds = _appended_plans(filled, columns, styles)
    _note_written(block_rows, filled != 0, [columns[k] for k in _bits(filled)], written_rows,
                  written_cols)
    fixed: dict[int, bytes] = {}
    for row in special:  # header cells, other single cells, rows with cell styles
        merged = {c: block[c][position[row]] for c in columns} if row in position else {}
        merged.update(cells.get(row, ()))
        row_cells, cols = _single_cells(row, sorted(merged.items()), styles)
        if row_cells:
            fixed[piece_of[row]] = row_cells + b"</row>"
            written_rows.append(row)
            written_cols.update(cols)
    if not written_rows:
        return [sheet.xml]
    box = (min(written_rows), min(written_cols), max(written_rows), max(written_cols))
    data = _widen(sheet, sorted(written_cols))
    starts, stops = _row_bounds(sheet, data)
    ends = _RowEnds(len(starts), targets, kinds, plans, block_rows,
                    [block[c] for c in columns], fixed)
    return _joined(data, starts, stops, ends,
                   {0: _grow_dimension(data[starts[0]:stops[0]], box)})


def _appended_plans(masks: np.ndarray, columns: list[int], styles: Styles
                    ) -> tuple[list[tuple[bytes, list[int]] | None], np.ndarray]:
    """The rows' new cells as appended (each column's cell with the column's style), one plan
    per distinct ``masks`` value (a bit per column in ``columns`` where a value is written):
    a ``%`` template (row number and value tail per used column) and the used column
    positions, or None where a row gets no cell; and the plan of each row."""
    keys, kinds = np.unique(masks, return_inverse=True)
    plans: list[tuple[bytes, list[int]] | None] = []
    for key in keys.tolist():
        used = [bit for bit in range(len(columns)) if key >> bit & 1]
        plans.append((b"".join(b'<c r="%s%%s"%s%%s' % (
            col_letter(columns[k]).encode("ascii"), styles.attr(-1, columns[k]).replace(
                b"%", b"%%")) for k in used) + b"</row>", used) if used else None)
    return plans, kinds.ravel()


def _unchanged(data: bytes, stops: Sequence[int], targets: np.ndarray, cut_of: Sequence[int],
               present: np.ndarray, block_rows: Sequence[int], values: Sequence[Sequence],
               columns: list[int], styles: Styles) -> np.ndarray:
    """Per block row: whether its cells from the first output column on (from ``cut_of`` of
    its piece to its ``</row>``) are byte for byte those a first run appends for its values
    now. Such a row (a rerun of a list that did not change there) stays as it is: nothing in
    it but cells of the block with their columns' styles, and no cell to rebuild."""
    plans, kinds = _appended_plans(present, columns, styles)
    made = _RowEnds(len(stops), targets, kinds, plans, block_rows, values, {})
    same = np.zeros(len(stops), dtype=bool)  # per piece
    pieces = len(cut_of)  # the pieces that end in a row's </row>
    # a first look at 256 rows, then JOINED_ROWS at a time; where most rows of a look changed,
    # the rest are rebuilt without one (a row is written alike either way)
    for lo, hi in pairwise([0, *range(256, pieces, JOINED_ROWS), pieces]):
        old = map(data.__getitem__, map(slice, cut_of[lo:hi], map((6).__add__, stops[lo:hi])))
        same[lo:hi] = np.fromiter(map(eq, old, made(lo, hi)), bool, hi - lo)  # (bytes, not
        if 2 * int(same[lo:hi].sum()) < hi - lo:  # views: compared several times faster)
            break
    return same[targets]


def _bits(masks: np.ndarray) -> list[int]:
    """The bits set in any of ``masks``."""
    union = int(np.bitwise_or.reduce(masks)) if len(masks) else 0
    return [bit for bit in range(union.bit_length()) if union >> bit & 1]


def _note_written(block_rows: Sequence[int], valued: np.ndarray, cols: Sequence[int],
                  rows: list[int], written_cols: set[int]) -> None:
    """Add the first and last of the block rows where ``valued`` (a value is written) to
    ``rows`` and ``cols`` to ``written_cols`` (for the ``<dimension>``)."""
    at = np.flatnonzero(valued)
    if len(at) and cols:
        numbers = _row_array(block_rows)[at]
        rows += (int(numbers.min()), int(numbers.max()))
        written_cols.update(cols)


class _RowEnds:
    """What follows each piece of a patched sheet: ``</row>``, or a block row's new cells and
    ``</row>``, made for a run of pieces at a time (the values of those rows rendered only
    then), so that neither the cell tails nor the rendered rows are ever held all at once.

    ``targets``: the piece of each block row; ``kinds``: per block row its plan, ``plans[kind]``
    a ``%`` template (row number and value tail per used column, or the row number alone for
    a used column ``-1 - k``: an emptied cell) and the used column positions, or None (the
    piece ends in ``</row>`` alone); ``values``: per column position one value per block row;
    ``fixed``: piece -> its end, made already."""

    def __init__(self, pieces: int, targets: np.ndarray, kinds: np.ndarray,
                 plans: Sequence[tuple[bytes, list[int]] | None], block_rows: Sequence[int],
                 values: Sequence[Sequence[CellValue]], fixed: Mapping[int, bytes]) -> None:
        self.pieces = pieces
        targets = np.asarray(targets, dtype=np.int64)
        numbers = block_rows if isinstance(block_rows, range) else _row_array(block_rows)
        self.order: np.ndarray | range = range(len(targets))  # block rows in piece order
        if len(targets) > 1 and not bool(np.all(targets[1:] >= targets[:-1])):
            self.order = np.argsort(targets, kind="stable")
            targets, kinds = targets[self.order], np.asarray(kinds)[self.order]
            numbers = _row_array(numbers)[self.order]
        self.targets, self.kinds, self.numbers = targets, np.asarray(kinds, dtype=np.int64), numbers
        self.plans, self.values, self.fixed = plans, values, fixed

    def __call__(self, lo: int, hi: int) -> list[bytes]:
        """The ends of pieces ``lo`` to ``hi - 1``."""
        ends = [b"</row>"] * (hi - lo)
        if hi == self.pieces:
            ends[-1] = b""
        a, b = np.searchsorted(self.targets, (lo, hi)).tolist()
        if a < b:
            order = self.order[a:b]
            positions = list(order) if isinstance(order, range) else order.tolist()
            kinds = self.kinds[a:b]
            at = (self.targets[a:b] - lo).tolist()
            numbers = list(map(b"%d".__mod__, (n + 1 for n in self.numbers[a:b])
                               if isinstance(self.numbers, range) else
                               (self.numbers[a:b] + 1).tolist()))
            tails: dict[int, list[bytes | None]] = {}
            for kind in np.unique(kinds).tolist():
                plan = self.plans[kind]
                if plan is None:
                    continue
                template, used = plan
                idx = np.flatnonzero(kinds == kind).tolist()
                row_numbers = _take(numbers, idx)
                args: list[tuple] = []
                for k in used:
                    if k < 0:
                        args.append(row_numbers)
                        continue
                    if k not in tails:
                        tails[k] = column_tails(_subset(self.values[k], positions))
                    args += (row_numbers, _take(tails[k], idx))
                for i, text in zip(_take(at, idx), map(template.__mod__, zip(*args))):
                    ends[i] = text
        for i, end in self.fixed.items():
            if lo <= i < hi:
                ends[i - lo] = end
        return ends


_TAIL_CELL = re.compile(rb'<c r="([A-Za-z]+)[0-9]+"([^>]*?)(/?)>')
_STYLE = re.compile(rb'\ss="([0-9]+)"')
_DIGITS = b"0123456789"
_STYLE_DIGITS = re.compile(rb's="([0-9]+)"')  # every _STYLE and a few more


def _rewrite_tails(sheet: SheetScan, cells: Mapping[int, list[tuple[int, CellValue]]],
                   block_rows: Sequence[int], block: Mapping[int, Sequence[CellValue]],
                   styles: Styles, first: int) -> list[bytes] | None:
    """Output columns written before (a rerun): every row's cells from column ``first`` on are
    rebuilt, keeping each existing cell's style. None (cell by cell) unless those cells are
    all block columns without formulas or metadata and the single cells only add new ones."""
    filled_rows = sheet.rows_with_content
    columns = sorted(block)
    if filled_rows is None or not columns or any(_may_keep(block[c]) for c in columns):
        return None
    special = sorted(set(cells) | {row for row, _col in styles.by_cell})
    target_array = _pieces_of(filled_rows, block_rows)
    special_pieces = _pieces_of(filled_rows, special)
    if target_array is None or special_pieces is None or _positions(block_rows, special):
        return None
    piece_of = dict(zip(special, special_pieces.tolist()))
    col_of = {col_letter(c).encode("ascii"): c for c in columns}
    starts_at = cells_from(first)
    data = _widen(sheet, columns)
    starts, stops = _row_bounds(sheet, data)
    for row in special:  # e.g. headers of new columns: only after the existing cells
        piece = data[starts[piece_of[row]]:stops[piece_of[row]]]
        if any(c <= col_of.get(found[0].upper(), -1) for c, _v in cells.get(row, ())
               for found in _TAIL_CELL.findall(piece)) or \
                (starts_at.search(piece) and row in styles.by_cell):
            return None
    present = _present(block, columns)
    values = [block[c] for c in columns]
    cut_of = sheet.first_cells(first) if data is sheet.xml else None  # found by the reader
    same = np.zeros(len(block_rows), dtype=bool) if cut_of is None else \
        _unchanged(data, stops, target_array, cut_of, present, block_rows, values, columns,
                   styles)
    # rows with the same cells (and styles) and the same values present share a template.
    # A row's cells are known by their text without digits and their styles: the digits are
    # those of the row number and of the values (one regex over the row for each new kind)
    templates: dict[tuple, int] = {}
    plans: list[tuple[bytes, list[int]]] = []
    marked: dict[int, bool] = {}  # kind -> whether its rows may hold "<f" or 'm="'
    kinds_array = np.zeros(len(block_rows), dtype=np.int64)
    first_cell = b'<c r="' + col_letter(first).encode("ascii")
    for i, piece_index, mask in _listed(np.flatnonzero(~same), target_array, present):
        row = block_rows[i]
        start, stop = starts[piece_index], stops[piece_index]
        if cut_of is not None:
            cut = cut_of[piece_index]
        else:
            cut = data.find(b'%s%d"' % (first_cell, row + 1), start, stop)  # usually there
            if cut < 0:
                found = starts_at.search(data, start, stop)
                cut = found.start() if found else stop
        tail = data[cut:stop]
        key = (tail.translate(None, _DIGITS), tuple(_STYLE_DIGITS.findall(tail)), mask)
        kind = templates.get(key)
        if kind is None:
            # a formula or metadata is never copied (nor are they in rows alike but for digits)
            marked[len(plans)] = b"<f" in key[0] or b'm="' in key[0]
            style_of = _styles_found(_TAIL_CELL.findall(tail), col_of)
            if style_of is None:
                return None
            kind = templates[key] = len(plans)
            plans.append(_tail_template(style_of, mask, columns, styles))
        if marked[kind] and (b"<f" in tail or b'm="' in tail):
            return None
        stops[piece_index] = cut  # the piece goes up to its first output cell
        kinds_array[i] = kind
    written_cols: set[int] = set()
    rows_written: list[int] = []
    _note_written(block_rows, same & (present != 0), [columns[k] for k in _bits(present[same])],
                  rows_written, written_cols)  # the rows left as they are
    kinds_array[same] = len(plans)
    plans.append((b"", []))  # their piece ends in its </row>
    present_kinds = np.unique(kinds_array).tolist()
    valued = np.zeros(len(plans), dtype=bool)  # the dimension covers values, not emptied cells
    for kind in present_kinds:
        valued[kind] = any(k >= 0 for k in plans[kind][1])
    _note_written(block_rows, valued[kinds_array] if len(plans) else valued,
                  sorted({columns[k] for kind in present_kinds for k in plans[kind][1]
                          if k >= 0}), rows_written, written_cols)
    row_plans = [(template + b"</row>", used) if used else None for template, used in plans]
    replaced: dict[int, bytes] = {}
    for row in special:
        row_cells, cols = _single_cells(row, cells.get(row, ()), styles)
        if row_cells:
            at = piece_of[row]
            replaced[at] = data[starts[at]:stops[at]] + row_cells
            rows_written.append(row)
            written_cols.update(cols)
    if rows_written:
        first_piece = replaced.get(0, data[starts[0]:stops[0]])
        replaced[0] = _grow_dimension(first_piece, (min(rows_written), min(written_cols),
                                                    max(rows_written), max(written_cols)))
    ends = _RowEnds(len(starts), target_array, kinds_array, row_plans, block_rows, values, {})
    return _joined(data, starts, stops, ends, replaced)


def _styles_found(existing: Sequence[tuple[bytes, bytes, bytes]], col_of: Mapping[bytes, int]
                  ) -> dict[int, bytes] | None:
    """Column -> `` s="N"`` attribute (or b"") of the cells ``existing`` (letters, attributes,
    "/"); None if one is not in ``col_of`` (a cell of the user's) or comes twice."""
    style_of: dict[int, bytes] = {}
    for letters, attrs, _slash in existing:
        col = col_of.get(letters.upper())
        if col is None or col in style_of:
            return None
        style = _STYLE.search(attrs)
        style_of[col] = b' s="%s"' % style[1] if style else b""
    return style_of


def _tail_template(style_of: Mapping[int, bytes], mask: int, columns: list[int], styles: Styles
                   ) -> tuple[bytes, list[int]]:
    """For rows whose existing cells in ``columns`` have the styles ``style_of`` and whose
    values are present per ``mask`` (bit per column): the new cells as a ``%`` template (row
    number and value tail per used column) and the used column positions."""
    parts: list[bytes] = []
    used: list[int] = []
    for k, col in enumerate(columns):
        letters = col_letter(col).encode("ascii").replace(b"%", b"%%")
        attr = style_of[col] if col in style_of else styles.attr(-1, col)
        attr = attr.replace(b"%", b"%%")
        if mask >> k & 1:
            parts.append(b'<c r="%s%%s"%s%%s' % (letters, attr))
            used.append(k)
        elif col in style_of:  # None empties an existing cell, its style stays
            parts.append(b'<c r="%s%%s"%s/>' % (letters, attr))
            used.append(-1 - k)
    return b"".join(parts), used


def _present(block: Mapping[int, Sequence[CellValue]], columns: list[int]) -> np.ndarray:
    """Per row a bit per column (in ``columns`` order) where a cell is written (a value other
    than None and :data:`KEEP`)."""
    written = np.zeros(len(block[columns[0]]) if columns else 0, dtype=np.int64)
    for bit, c in enumerate(columns):
        if isinstance(block[c], NumberColumn):
            written |= block[c].present().astype(np.int64) << bit
            continue
        types = set(map(type, block[c]))
        if type(None) not in types and type(KEEP) not in types:  # a cell in every row
            written |= 1 << bit
            continue
        present = np.fromiter(map(is_not, block[c], repeat(None)), bool, len(block[c]))
        if type(KEEP) in types:
            present &= np.fromiter(map(is_not, block[c], repeat(KEEP)), bool, len(block[c]))
        written |= present.astype(np.int64) << bit
    return written


def _single_cells(row: int, items: Sequence[tuple[int, CellValue]], styles: Styles
                  ) -> tuple[bytes, list[int]]:
    """New cells of one row written cell by cell (columns ascending), and their columns."""
    parts, cols = [], []
    for c, v in items:
        tail = cell_tail(v)
        if tail is not None:
            parts.append(b'<c r="%s%d"%s%s' % (col_letter(c).encode("ascii"), row + 1,
                                               styles.attr(row, c), tail))
            cols.append(c)
    return b"".join(parts), cols


def _positions(rows: Sequence[int], wanted: Sequence[int]) -> dict[int, int]:
    """Position in ``rows`` of each of the (few) ``wanted`` rows found there."""
    if not wanted:
        return {}
    found = np.flatnonzero(np.isin(_row_array(rows), wanted)).tolist()
    return {rows[i]: i for i in found}


def _subset(values: Sequence[CellValue], positions: list[int]) -> Sequence[CellValue]:
    """The values at ``positions`` (of a number column: as one)."""
    return values.take(positions) if isinstance(values, NumberColumn) else _take(values, positions)


def _may_keep(values: Sequence[CellValue]) -> bool:
    """Whether :data:`KEEP` may be among ``values``."""
    return not isinstance(values, NumberColumn) and type(KEEP) in set(map(type, values))


def _take(seq: Sequence, idx: list[int]) -> tuple:
    return itemgetter(*idx)(seq) if len(idx) > 1 else (seq[idx[0]],)


def _widen(sheet: SheetScan, cols: list[int]) -> bytes:
    """The sheet with every row's ``spans`` widened to cover ``cols`` (spans are a hint for
    blocks of rows; a range wider than a row's cells is valid, XlsxWriter writes such ranges)."""
    xml = sheet.xml
    for found in sheet.spans:
        lo, hi = int(found[0]), int(found[1])
        new = widened_spans(lo, hi, cols)
        if new != (lo, hi):
            xml = xml.replace(b' spans="%s:%s"' % found, b' spans="%d:%d"' % new)
    return xml


# --- lxml fallback -------------------------------------------------------------

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_SPANS_TEXT = re.compile(r"(\d+):(\d+)")

RowEdits = dict[int, list[tuple[int, Encoded | None]]]
StyleOf = Callable[[int, int], "int | None"]


def _tree(xml: bytes, edits: RowEdits, style_of: StyleOf) -> bytes:
    """Apply ``edits`` (row -> [(col, encoded value or None)], cols ascending);
    ``style_of(row, col)`` gives the style of a new cell."""
    root = parse_xml(xml, "worksheet")
    data = sheet_data(root)
    ns = etree.QName(data).namespace

    def q(name: str) -> str:
        return f"{{{ns}}}{name}" if ns else name

    rows = sorted(numbered_rows(data), key=lambda item: item[0])
    for row, el in rows:
        el.set("r", str(row + 1))
    row_nums = [row for row, _ in rows]
    row_map = dict(rows)
    for row in sorted(edits):
        items = edits[row]
        row_el = row_map.get(row)
        if row_el is None:
            if all(enc is None for _, enc in items):
                continue
            row_el = data.makeelement(q("row"), {"r": str(row + 1)})
            _insert_in_order(data, row_nums, row_map, row, row_el)
        _patch_row(data, row_el, row, items, style_of, q)
    box = bounds((row, col) for row, items in edits.items() for col, enc in items if enc)
    for child in root:
        if local(child.tag) == "dimension" and child.get("ref") is not None:
            child.set("ref", grown_ref(child.get("ref", ""), box))
    tree = root.getroottree()
    return etree.tostring(
        tree, encoding="UTF-8", xml_declaration=True, standalone=tree.docinfo.standalone
    )


def _insert_in_order(parent: etree._Element, keys: list[int], by_key: dict[int, etree._Element],
                     key: int, el: etree._Element) -> None:
    """``el`` (a row or cell numbered ``key``) put into ``parent`` before the first child with a
    higher number; ``keys`` (sorted) and ``by_key`` are kept up to date."""
    i = bisect_right(keys, key)
    if i < len(keys):
        by_key[keys[i]].addprevious(el)
    else:
        parent.append(el)
    keys.insert(i, key)
    by_key[key] = el


def _patch_row(
    data: etree._Element,
    row_el: etree._Element,
    row: int,
    items: list[tuple[int, Encoded | None]],
    style_of: StyleOf,
    q: Callable[[str], str],
) -> None:
    cells = list(numbered_cells(row_el))
    for col, cell in cells:
        cell.set("r", a1(row, col))
    cols = [col for col, _ in cells]
    cell_map = dict(cells)
    created: list[int] = []
    for col, enc in items:
        cell = cell_map.get(col)
        if cell is None:
            if enc is None:
                continue
            cell = row_el.makeelement(q("c"), {"r": a1(row, col)})
            style = style_of(row, col)
            if style is not None:
                cell.set("s", str(style))
            _insert_in_order(row_el, cols, cell_map, col, cell)
            created.append(col)
        else:
            _check_shared_master(data, cell, q)
            for child in list(cell):
                cell.remove(child)
            cell.text = None
            for attr in ("t", "cm", "vm"):
                cell.attrib.pop(attr, None)
        if enc is not None:
            _set_value(cell, enc, q)
    spans = _SPANS_TEXT.fullmatch(row_el.get("spans", ""))
    if spans and created:
        lo, hi = widened_spans(int(spans[1]), int(spans[2]), created)
        row_el.set("spans", f"{lo}:{hi}")


def _set_value(cell: etree._Element, enc: Encoded, q: Callable[[str], str]) -> None:
    t, text, inline = enc
    if t:
        cell.set("t", t)
    if inline:
        t_el = etree.SubElement(etree.SubElement(cell, q("is")), q("t"))
        if keeps_blanks(text):
            t_el.set(XML_SPACE, "preserve")
        t_el.text = text
    else:
        etree.SubElement(cell, q("v")).text = text


def _check_shared_master(
    data: etree._Element, cell: etree._Element, q: Callable[[str], str]
) -> None:
    f = cell.find(q("f"))
    if f is None or f.get("t") != "shared" or f.get("ref") is None:
        return
    si = f.get("si")
    users = sum(1 for el in data.iter(q("f")) if el.get("t") == "shared" and el.get("si") == si)
    if users > 1:
        raise SharedFormulaConflict(cell.get("r", "?"))
