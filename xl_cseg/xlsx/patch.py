"""Rewrite selected cells of a worksheet part, leaving every other byte as it was.

Values are written as numbers (``<v>``), booleans (``t="b"``) or inline strings
(``t="inlineStr"``), so ``sharedStrings.xml`` never changes and text such as
``=HYPERLINK("x")`` stays text. Writing to a cell drops its formula and cached value;
callers are expected to target value cells only. A shared-formula master whose dependents
exist is refused with :class:`SharedFormulaConflict`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from functools import lru_cache

from .cellref import MAX_COLS, MAX_ROWS, col_index, col_letter, parse_range, range_ref
from .cellvalue import CellValue, encode_value, grown_ref, render_value, widened_spans
from .errors import SharedFormulaConflict
from .patch_tree import patch_tree
from .safexml import check_prolog
from .sheetxml import Layout, fast_layout
from .xmltext import clean_text, decode_xstring, escape, unescape

_ROW_NUM = re.compile(rb'<row r="(\d+)"')
_LETTERS = re.compile(rb"[A-Za-z]+")
_DROP_ATTRS = re.compile(rb'\s(?:t|cm|vm)="[^"]*"')
_SPANS = re.compile(rb'\sspans="(\d+):(\d+)"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"')
_SHARED_MASTER = re.compile(rb'<f\s(?=[^>]*\bt="shared")(?=[^>]*\sref=")[^>]*\bsi="(\d+)"')

Row = list[tuple[int, CellValue]]


def patch_sheet(
    xml: bytes,
    cells: Mapping[tuple[int, int], CellValue],
    *,
    default_styles: Mapping[int, int] | None = None,
    cell_styles: Mapping[tuple[int, int], int] | None = None,
) -> bytes:
    """Write ``cells`` ((row, col) 0-based -> value) into worksheet ``xml``.

    Existing cells keep their ``s`` attribute. New cells get ``cell_styles[(row, col)]``,
    else ``default_styles[col]``, else no style.
    ``None`` empties an existing cell (style kept) and creates nothing where no cell exists.
    The ``<dimension>`` grows to cover written values. Raises ``ValueError`` for positions
    outside the sheet, non-finite numbers and over-long text.
    """
    check_prolog(xml, "worksheet")
    rows: dict[int, Row] = {}
    for (row, col), value in cells.items():
        items = rows.get(row)
        if items is None:
            rows[row] = [(col, value)]
        else:
            items.append((col, value))
    if not rows:
        return xml
    for items in rows.values():
        items.sort()  # columns are unique per row, so values are never compared
        if items[0][0] < 0 or items[-1][0] >= MAX_COLS:
            raise ValueError(f"column index out of range in {items!r:.80}")
    if min(rows) < 0 or max(rows) >= MAX_ROWS:
        raise ValueError("row index out of range")
    styles = _Styles(default_styles or {}, cell_styles or {})
    layout = fast_layout(xml)
    patched = _patch_fast(xml, layout, rows, styles) if layout else None
    if patched is not None:
        return patched
    edits = {row: [(col, encode_value(v)) for col, v in items] for row, items in rows.items()}
    return patch_tree(xml, edits, styles.of)


class _Styles:
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

    def __init__(self, xml: bytes, layout: Layout, styles: _Styles) -> None:
        self.xml = xml
        self.layout = layout
        self.style_attr = styles.attr
        self.styled = bool(styles.by_col or styles.by_cell)
        self.out: list[bytes] = []
        self.cursor = layout.start
        self.box: list[int] | None = None  # [first_row, first_col, last_row, last_col]
        self._strings: dict[str, bytes | None] = {}

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
        render, style_attr, styled = self.render, self.style_attr, self.styled
        row_ref = b'%d"' % n
        cells, cols = [], []
        for col, value in items:
            tail = render(value)
            if tail is not None:
                style = style_attr(n - 1, col) if styled else b""
                cells.append(b"".join((_cell_prefix(col), row_ref, style, tail)))
                cols.append(col)
        return b"".join(cells), cols

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
                out += (xml[self.cursor : row_start], _widen_spans(head, cols), xml[start:end], cells)
                self.cursor = end
                self.note(n, cols)
            return
        out += (xml[self.cursor : row_start], xml[row_start:start])
        head = len(out) - 1  # patched below if cells are created and the row has spans
        cursor = start
        suffix = b'%d"' % n
        formulas = xml.find(b"<f", start, end) >= 0
        created: list[int] = []
        written: list[int] = []
        for col, value in items:
            tail = render(value)
            pos = -1 if col > last_col else xml.find(_cell_prefix(col) + suffix, start, end)
            if pos >= 0:
                frm, to, new = self.replace(pos, tail, formulas)
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

    def replace(self, pos: int, tail: bytes | None, formulas: bool) -> tuple[int, int, bytes]:
        """Edit for the existing cell at ``pos``: (copy up to, resume at, new bytes).

        Attributes other than t/cm/vm are kept; ``formulas`` says whether the row has any ``<f``.
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
        t_pos = xml.find(b' t="', pos, tag_close)
        cut = tag_close if t_pos < 0 else t_pos
        if (t_pos < 0 or xml.index(b'"', t_pos + 4) + 1 == tag_close) and xml.find(
            b'm="', pos, cut
        ) < 0:
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

    def finish(self) -> bytes:
        xml, layout = self.xml, self.layout
        body = [*self.out, xml[self.cursor : layout.end]]
        prefix = xml[: layout.tag_start] if layout.self_closing else xml[: layout.start]
        dim = _DIMENSION.search(prefix)
        if dim and self.box:
            old = dim[1].decode("ascii", "replace")
            new = grown_ref(old, (self.box[0], self.box[1], self.box[2], self.box[3]))
            if new != old:
                prefix = prefix[: dim.start(1)] + new.encode("ascii") + prefix[dim.end(1) :]
        if layout.self_closing:
            return b"".join([prefix, b"<sheetData>", *body, b"</sheetData>", xml[layout.end :]])
        return b"".join([prefix, *body, xml[layout.end :]])


def _patch_fast(
    xml: bytes, layout: Layout, rows: dict[int, Row], styles: _Styles
) -> bytes | None:
    existing = list(map(int, _ROW_NUM.findall(xml, layout.start, layout.end)))
    if any(b <= a for a, b in zip(existing, existing[1:])):
        return None
    writer = _Writer(xml, layout, styles)
    try:
        for row in sorted(rows):
            n = row + 1
            i = bisect_left(existing, n)
            if i == len(existing) or existing[i] != n:
                writer.missing_row(n, rows[row], existing[i] if i < len(existing) else None)
                continue
            row_start = xml.find(b'<row r="%d"' % n, writer.cursor, layout.end)
            gt = xml.index(b">", row_start)
            if xml[gt - 1] == 0x2F:
                writer.empty_row(n, rows[row], row_start, gt)
            else:
                writer.row(n, rows[row], row_start, gt)
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


# --- tables ---------------------------------------------------------------------------

_TABLE_TAG = re.compile(rb"<(?:(\w+):)?table\b[^>]*>")
_REF_ATTR = re.compile(rb'(\sref=")([^"]*)(")')
_TOTALS = re.compile(rb'\stotalsRowCount="(\d+)"')


def patch_table(xml: bytes, *, ref: str, add_columns: Sequence[str] = ()) -> bytes:
    """Set a table part's ``ref`` (and its autoFilter's) and append columns.

    New ``<tableColumn>`` entries get fresh ids; ``count`` is updated. The new range must be
    exactly as wide as the old columns plus ``add_columns``; names must be unique. The
    header cells in the sheet must be written with the same names (see :func:`patch_sheet`).
    """
    check_prolog(xml, "table")
    (r1, c1), (r2, c2) = parse_range(ref)
    table = _TABLE_TAG.search(xml)
    if table is None:
        raise ValueError("not a table part")
    prefix = table[1] + b":" if table[1] else b""
    cols_re = re.compile(
        rb"<%stableColumns\b([^>]*)>(.*?)</%stableColumns>" % (prefix, prefix), re.S
    )
    columns = cols_re.search(xml, table.end())
    if columns is None:
        raise ValueError("table part has no <tableColumns>")
    col_tags = re.findall(rb"<%stableColumn\b[^>]*>" % prefix, columns[2])
    ids = [int(m[1]) for tag in col_tags if (m := re.search(rb'\sid="(\d+)"', tag))]
    names = {
        decode_xstring(unescape(m[1].decode("utf-8"))).casefold()
        for tag in col_tags
        if (m := re.search(rb'\sname="([^"]*)"', tag))
    }
    if c2 - c1 + 1 != len(col_tags) + len(add_columns):
        raise ValueError(
            f"range {ref} is {c2 - c1 + 1} columns wide, table would have "
            f"{len(col_tags) + len(add_columns)}"
        )
    new_entries = []
    next_id = max(ids, default=0) + 1
    for name in add_columns:
        if not name or name.casefold() in names:
            raise ValueError(f"table column name {name!r} is empty or not unique")
        names.add(name.casefold())
        attr = escape(clean_text(name)).replace("\n", "&#10;").replace("\t", "&#9;")
        new_entries.append(
            b'<%stableColumn id="%d" name="%s"/>' % (prefix, next_id, attr.encode("utf-8"))
        )
        next_id += 1

    totals = _TOTALS.search(table[0])
    filter_ref = range_ref(r1, c1, r2 - (int(totals[1]) if totals else 0), c2).encode("ascii")
    head = _REF_ATTR.sub(lambda m: m[1] + ref.encode("ascii") + m[3], table[0], count=1)
    cols_head = re.sub(
        rb'(\scount=")\d+(")', rb"\g<1>%d\g<2>" % (len(col_tags) + len(add_columns)), columns[1]
    )
    middle = xml[table.end() : columns.start()]
    auto_filter = re.compile(rb"<%sautoFilter\b[^>]*>" % prefix).search(middle)
    if auto_filter:
        new_filter = _REF_ATTR.sub(lambda m: m[1] + filter_ref + m[3], auto_filter[0], count=1)
        middle = middle[: auto_filter.start()] + new_filter + middle[auto_filter.end() :]
    return b"".join(
        [
            xml[: table.start()],
            head,
            middle,
            b"<%stableColumns%s>" % (prefix, cols_head),
            columns[2],
            *new_entries,
            b"</%stableColumns>" % prefix,
            xml[columns.end() :],
        ]
    )
