"""lxml-based cell writer for irregular sheets (namespace prefixes, implicit positions).

Row and cell positions are made explicit (``r`` attributes) before anything is inserted, so
implicitly numbered neighbours keep their place. The document is re-serialized, so unlike
the byte-level writer this path does not preserve formatting details of the XML text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from lxml import etree

from .cellref import a1
from .cellvalue import Encoded, bounds, grown_ref, widened_spans
from .errors import SharedFormulaConflict
from .safexml import local, parse_xml
from .sheetxml import numbered_cells, numbered_rows, sheet_data

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_SPANS = re.compile(r"(\d+):(\d+)")

RowEdits = dict[int, list[tuple[int, Encoded | None]]]
StyleOf = Callable[[int, int], "int | None"]


def patch_tree(xml: bytes, edits: RowEdits, style_of: StyleOf) -> bytes:
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
            i = bisect_right(row_nums, row)
            if i < len(row_nums):
                row_map[row_nums[i]].addprevious(row_el)
            else:
                data.append(row_el)
            row_nums.insert(i, row)
            row_map[row] = row_el
        _patch_row(data, row_el, row, items, style_of, q)
    box = bounds((row, col) for row, items in edits.items() for col, enc in items if enc)
    for child in root:
        if local(child.tag) == "dimension" and child.get("ref") is not None:
            child.set("ref", grown_ref(child.get("ref", ""), box))
    tree = root.getroottree()
    return etree.tostring(
        tree, encoding="UTF-8", xml_declaration=True, standalone=tree.docinfo.standalone
    )


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
            i = bisect_right(cols, col)
            if i < len(cols):
                cell_map[cols[i]].addprevious(cell)
            else:
                row_el.append(cell)
            cols.insert(i, col)
            cell_map[col] = cell
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
    spans = _SPANS.fullmatch(row_el.get("spans", ""))
    if spans and created:
        lo, hi = widened_spans(int(spans[1]), int(spans[2]), created)
        row_el.set("spans", f"{lo}:{hi}")


def _set_value(cell: etree._Element, enc: Encoded, q: Callable[[str], str]) -> None:
    t, text, inline = enc
    if t:
        cell.set("t", t)
    if inline:
        t_el = etree.SubElement(etree.SubElement(cell, q("is")), q("t"))
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
