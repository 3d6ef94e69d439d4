"""The table part writer: a table's range and columns grown for appended columns."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .cellref import parse_range, range_ref
from .safexml import check_prolog
from .xmltext import clean_text, decode_xstring, escape, unescape

_TABLE_TAG = re.compile(rb"<(?:(\w+):)?table\b[^>]*>")
_REF_ATTR = re.compile(rb'(\sref=")([^"]*)(")')
_TOTALS = re.compile(rb'\stotalsRowCount="(\d+)"')


def patch_table(xml: bytes, *, ref: str, add_columns: Sequence[str] = ()) -> bytes:
    """Set a table part's ``ref`` (and its autoFilter's) and append columns.

    New ``<tableColumn>`` entries get fresh ids; ``count`` is updated. The new range must be
    exactly as wide as the old columns plus ``add_columns``; names must be unique. The
    header cells in the sheet must be written with the same names (see
    :func:`sheetwriter.write_sheet`).
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
