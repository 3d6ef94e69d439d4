"""Rewrite selected cells of a worksheet part, leaving every other byte as it was.

Values are written as numbers (``<v>``), booleans (``t="b"``) or inline strings
(``t="inlineStr"``), so ``sharedStrings.xml`` never changes and text such as
``=HYPERLINK("x")`` stays text. Writing to a cell drops its formula and cached value;
callers are expected to target value cells only. A shared-formula master whose dependents
exist is refused with :class:`SharedFormulaConflict`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .cellref import MAX_COLS, MAX_ROWS, parse_range, range_ref
from .cellvalue import CellValue, encode_value
from .patch_fast import Row, Styles, patch_fast
from .patch_tree import patch_tree
from .safexml import check_prolog
from .sheetxml import fast_layout
from .xmltext import clean_text, decode_xstring, escape, unescape


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
    styles = Styles(default_styles or {}, cell_styles or {})
    layout = fast_layout(xml)
    patched = patch_fast(xml, layout, rows, styles) if layout else None
    if patched is not None:
        return patched
    edits = {row: [(col, encode_value(v)) for col, v in items] for row, items in rows.items()}
    return patch_tree(xml, edits, styles.of)


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
