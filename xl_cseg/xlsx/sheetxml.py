"""Shared worksheet-XML plumbing for the byte-level writer and the lxml fallback.

The byte level is used when the sheet is "regular": UTF-8, unprefixed ``<sheetData>``, every
``<row`` and ``<c`` starting with an ``r`` attribute, and no comments/CDATA/processing
instructions inside ``<sheetData>`` (true for Excel and nearly all writers). Anything else goes
through lxml, which handles prefixes and implicit positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from .cellref import col_index, parse_a1
from .safexml import local

_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
SHEET_DATA = re.compile(rb"<sheetData\s*(/?)>")
ROW_NUMBER = re.compile(rb'<row r="(\d+)"')


class Layout(NamedTuple):
    """Byte offsets of the ``<sheetData>`` content; ``start == end`` for ``<sheetData/>``."""

    tag_start: int
    start: int
    end: int
    self_closing: bool


def data_bounds(xml: bytes) -> Layout | None:
    """The sheetData offsets if the sheet may be regular: UTF-8, an unprefixed ``<sheetData>``
    without comments, CDATA or processing instructions; whether every row and cell starts with
    its ``r`` is told by the pass over the tags (:func:`extent.sheet_tags`)."""
    if xml.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    decl = _DECL_ENCODING.match(xml.removeprefix(b"\xef\xbb\xbf"))
    if decl and decl.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    m = SHEET_DATA.search(xml)
    if m is None:
        return None
    if m.group(1):
        layout = Layout(m.start(), m.end(), m.end(), True)
    else:
        end = xml.find(b"</sheetData>", m.end())
        if end < 0:
            return None
        layout = Layout(m.start(), m.end(), end, False)
    s, e = layout.start, layout.end
    # comments, CDATA, PIs (a one-byte search first)
    for mark in (b"!", b"?"):
        if xml.find(mark, s, e) >= 0 and xml.find(b"<" + mark, s, e) >= 0:
            return None
    return layout


def cell_ref(xml: bytes, cell_start: int) -> tuple[int, int]:
    """(row, col) of the byte-level cell starting at ``cell_start`` (``<c r="...``)."""
    end = xml.index(b'"', cell_start + 6)
    return parse_a1(xml[cell_start + 6 : end].decode("ascii"))


def tag_end(xml: bytes, start: int) -> tuple[int, bool]:
    """Index just past the start tag at ``start`` and whether it is self-closing."""
    gt = xml.index(b">", start)
    return gt + 1, xml[gt - 1] == 0x2F  # "/"


def sheet_data(root: etree._Element) -> etree._Element:
    for child in root:
        if local(child.tag) == "sheetData":
            return child
    raise ValueError("worksheet XML has no <sheetData>")


def numbered_rows(sheet_data_el: etree._Element) -> Iterator[tuple[int, etree._Element]]:
    """Yield (0-based row, element); rows without ``r`` follow their predecessor."""
    row = -1
    for el in sheet_data_el:
        if local(el.tag) != "row":
            continue
        r = el.get("r")
        row = int(r) - 1 if r else row + 1
        yield row, el


def numbered_cells(row_el: etree._Element) -> Iterator[tuple[int, etree._Element]]:
    """Yield (0-based col, element); cells without ``r`` follow their predecessor."""
    col = -1
    for el in row_el:
        if local(el.tag) != "c":
            continue
        ref = el.get("r")
        col = col_index(ref.rstrip("0123456789").lstrip("$")) if ref else col + 1
        yield col, el
