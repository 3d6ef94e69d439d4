"""Rewrite selected cells of a worksheet part, leaving every other byte as it was.

Values are written as numbers (``<v>``), booleans (``t="b"``) or inline strings
(``t="inlineStr"``), so ``sharedStrings.xml`` never changes and text such as
``=HYPERLINK("x")`` stays text. Writing to a cell drops its formula and cached value;
callers are expected to target value cells only. A shared-formula master whose dependents
exist is refused with :class:`SharedFormulaConflict`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .cellref import MAX_COLS, MAX_ROWS, parse_range, range_ref
from .cellvalue import KEEP, CellValue, encode_value
from .patch_append import patch_append
from .patch_fast import Row, Styles, patch_fast
from .patch_tree import patch_tree
from .safexml import check_prolog
from .sheetxml import fast_layout
from .xmltext import clean_text, decode_xstring, escape, unescape


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
        """Block row -> its position (built only for the general writer)."""
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


def patch_sheet(xml: bytes, cells: Mapping[tuple[int, int], CellValue], **options) -> bytes:
    """:func:`patch_sheet_chunks` joined into one ``bytes``."""
    return b"".join(patch_sheet_chunks(xml, cells, **options))


def patch_sheet_chunks(
    xml: bytes,
    cells: Mapping[tuple[int, int], CellValue],
    *,
    default_styles: Mapping[int, int] | None = None,
    cell_styles: Mapping[tuple[int, int], int] | None = None,
    block: ColumnBlock | None = None,
) -> list[bytes]:
    """Write ``cells`` ((row, col) 0-based -> value) and ``block`` into worksheet ``xml``.

    Existing cells keep their ``s`` attribute. New cells get ``cell_styles[(row, col)]``,
    else ``default_styles[col]``, else no style.
    ``None`` empties an existing cell (style kept) and creates nothing where no cell exists;
    :data:`KEEP` in a block leaves the cell alone; ``cells`` win over the block.
    The ``<dimension>`` grows to cover written values. Raises ``ValueError`` for positions
    outside the sheet, non-finite numbers and over-long text. The result comes in chunks so that
    a big sheet can be streamed into the zip without a joined copy.
    """
    check_prolog(xml, "worksheet")
    rows = _Edits(cells, block)
    if rows.empty:
        return [xml]
    rows.check_bounds()
    styles = Styles(default_styles or {}, cell_styles or {})
    layout = fast_layout(xml)
    patched = None
    if layout and block is not None and block.rows:
        patched = patch_append(xml, layout, rows.by_row_items(), block.rows, block.columns,
                               styles)
    if layout and patched is None:
        patched = patch_fast(xml, layout, rows, styles)
    if patched is not None:
        return patched
    edits = {row: [(col, encode_value(v)) for col, v in items]
             for row, items in rows.items() if items}
    return [patch_tree(xml, edits, styles.of)]


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
    new_ref = range_ref(r1, c1, r2, c2).encode("ascii")
    head = _REF_ATTR.sub(lambda m: m[1] + new_ref + m[3], table[0], count=1)
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
