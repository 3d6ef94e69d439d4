"""The first rows of a worksheet, read straight from its XML, valued as python-calamine does.

Cells holding dates (a date
number format, or ``t="d"``) are not valued here: :func:`head_rows` returns None and the caller
reads the sheet with python-calamine, which turns them into ``datetime`` values.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from .cellref import a1
from .errors import CorruptWorkbook, WorkbookError
from .package import FORMAT_LITERALS, Package
from .safexml import check_prolog, local, parse_xml
from .sheetxml import SHEET_DATA, numbered_cells, numbered_rows, sheet_data
from .xmltext import decode_xstring


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# number formats python-calamine may turn into dates or times: builtin ids and custom codes with
# a date/time letter outside quotes, brackets and escapes (a superset: never a date missed)
_DATE_IDS = frozenset(range(14, 23)) | frozenset(range(27, 82))
_DATE_LETTERS = re.compile("[dmyhsegbDMYHSEGB]")


def date_styles(package: Package) -> frozenset[int]:
    """``cellXfs`` indices whose number format may show a date or time."""
    return frozenset(
        index for index, (fmt, code) in enumerate(package.cell_formats)
        if fmt in _DATE_IDS or (code and _DATE_LETTERS.search(FORMAT_LITERALS.sub("", code)))
    )


class SharedStrings:
    """The shared-string table, parsed only as far as it is asked for."""

    def __init__(self, package: Package) -> None:
        part = package.shared_strings_part()
        data = package.read(part) if part else b""
        if data:
            check_prolog(data, part or "sharedStrings", str(package.path))
        self._items = etree.iterparse(io.BytesIO(data), events=("end",), tag=f"{{{MAIN_NS}}}si",
                                      resolve_entities=False, no_network=True, huge_tree=True) \
            if data else iter(())
        self._texts: list[str] = []
        self._part, self.source = part or "sharedStrings", str(package.path)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise ValueError(f"shared string index {index}")
        try:
            while len(self._texts) <= index:
                _event, si = next(self._items)
                self._texts.append(_text(si))
                si.clear()
        except StopIteration:
            raise CorruptWorkbook(self.source, f"{self._part}: Text Nr. {index} fehlt, die "
                                  f"Tabelle hat nur {len(self._texts)}") from None
        except etree.XMLSyntaxError as exc:
            raise CorruptWorkbook(self.source, f"{self._part}: {exc}") from exc
        return self._texts[index]


def _text(el: etree._Element) -> str:
    """Text of an ``<si>`` or ``<is>``: its ``<t>`` runs, without phonetic runs."""
    parts = []
    for node in el.iter(f"{{{MAIN_NS}}}t"):
        parent = node.getparent()
        if parent is not None and local(parent.tag) == "rPh":
            continue
        parts.append(node.text or "")
    return decode_xstring("".join(parts))


def head_rows(xml: bytes, count: int, strings: SharedStrings,
              dates: Callable[[], frozenset[int]], part: str = "worksheet"
              ) -> list[list[Any]] | None:
    """Values of rows ``0..count-1`` (blanks ""), each as long as its last value (``xml`` may be
    cut after them); ``dates()`` gives the styles that may show dates. None when a cell there
    would be a date, or the sheet is not plain SpreadsheetML (a prefixed namespace,
    a comment where the rows are cut)."""
    data = SHEET_DATA.search(xml)
    if data is None or data[1]:
        return None
    end = xml.find(b"</sheetData>", data.end())
    end = len(xml) if end < 0 else end
    cut = pos = data.end()
    for _ in range(count):  # rows ascend: the count-th "</row>" closes a row numbered >= count
        pos = xml.find(b"</row>", pos, end)
        if pos < 0:
            cut = end
            break
        pos += 6
        cut = pos
    try:
        root = parse_xml(xml[:cut] + b"</sheetData></worksheet>", part)
    except WorkbookError:  # e.g. a comment around the cut: python-calamine reads this sheet
        return None
    rows: list[list[Any]] = []
    styles = _Lazy(dates)
    for r, row_el in numbered_rows(sheet_data(root)):
        if r >= count:
            break
        values: dict[int, Any] = {}
        for c, cell in numbered_cells(row_el):
            try:
                value = _value(cell, strings, styles)
            except ValueError:
                text = next((child.text or "" for child in cell if local(child.tag) == "v"), "")
                raise CorruptWorkbook(strings.source, f"{part}, Zelle {a1(r, c)}: Wert „{text[:40]}“ "
                                      f"passt nicht zum Zelltyp „{cell.get('t', 'n')}“") from None
            if value is None:
                return None
            values[c] = value
        while len(rows) < r:
            rows.append([])
        rows.append([values.get(c, "") for c in range(max(values, default=-1) + 1)])
    return rows


class _Lazy:
    """The date styles, parsed from styles.xml only when a styled number is met."""

    def __init__(self, load: Callable[[], frozenset[int]]) -> None:
        self.load, self.found = load, None

    def __contains__(self, style: int) -> bool:
        if self.found is None:
            self.found = self.load()
        return style in self.found


def _value(cell: etree._Element, strings: SharedStrings, dates: _Lazy) -> Any:
    """The cell's value as python-calamine gives it; None for a date."""
    kind = cell.get("t", "n")
    v = next((child.text or "" for child in cell if local(child.tag) == "v"), None)
    if kind == "inlineStr":
        inline = next((child for child in cell if local(child.tag) == "is"), None)
        return _text(inline) if inline is not None else ""
    if v is None or kind == "e":
        return ""
    if kind == "s":
        return strings[int(v)]
    if kind == "str":
        return decode_xstring(v)
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind not in ("n", "d"):
        raise ValueError(f"cell type {kind!r}")
    style = int(cell.get("s", "0"))
    if kind == "d" or style in dates:
        return None
    return float(v) if v.strip() else ""
