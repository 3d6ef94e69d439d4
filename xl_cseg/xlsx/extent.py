"""The extent of a worksheet's cells, checked before any native reader sees the sheet.

python-calamine and fastexcel (Rust) allocate one slot for every cell of the rectangle from
the first to the last cell used, before a single value is read: a lone value in ``XFD1048576``
asks for 17 billion slots and aborts the process ("memory allocation of 549755813888 bytes
failed"), a cell ``r="A99999999"`` in an 11 KB file grows past 6 GB. Here every cell and row
reference of the sheet is read (numpy over the raw bytes for the usual layout, a streaming
parse otherwise) and checked: a row 0 or beyond 1,048,576, a column beyond XFD or a reference
that is no reference is corruption, named with sheet and cell. The caller compares the
rectangle with the cells present (:func:`dense_ok`) and reads a sparse sheet by its own path.
"""

from __future__ import annotations

import io
import os
import re
from typing import NamedTuple

import numpy as np
from lxml import etree

from ..core import german
from .cellref import MAX_COLS, MAX_ROWS, a1
from .errors import CorruptWorkbook, WorkbookError
from .safexml import check_prolog, local
from .sheetxml import Layout, data_bounds

MAX_GRID_CELLS = 1 << 25
"""Largest rectangle (rows x columns from A1) handed to the native readers: 32 columns of
Excel's 1,048,576 rows. A sheet's XML within the part limit holds at most ~20 million cells,
so only a sparse sheet (few cells far apart) can exceed it."""
MAX_SHEET_CELLS = 24_000_000
"""Most cells of one sheet: Excel's 1,048,576 rows of 22 columns (this project's own output for
a list at Excel's maximum has 16); a 500 MiB sheet of repeated cells in a 2.6 MB file holds
35 million."""
MAX_SPARSE_CELLS = 2_000_000
"""Most cells of a sheet read by the own (sparse) path."""

_CELL = np.frombuffer(b'<c r="', np.uint8)
_ROW = np.frombuffer(b'<row r="', np.uint8)
_CHUNK = 1 << 24
# a shared-string cell whose value is not a plain index ("1,5" reads as 1 natively), and a cell
# type that is none of SpreadsheetML's; both start with a literal (fast to search for)
_BAD_STRING_INDEX = re.compile(rb't="s"[^>]*>\s*<v>(?!\s*\d+\s*</v>)([^<]{0,40})')
_BAD_TYPE = re.compile(rb' t="(?!(?:s|n|b|e|str|inlineStr|d|array|shared|dataTable|normal)")'
                       rb'([^"]{0,20})"')  # the last four: formula types (<f t="shared">)
_WINDOW = 16  # bytes after the opening quote that are looked at: 3 letters, 7 digits, quote


class BadReference(CorruptWorkbook):
    """A cell, row or range reference outside Excel's grid (``A0``, ``XFE1``, row 2,000,000)."""

    def __init__(self, source: str | os.PathLike[str] | None, sheet: str, ref: str,
                 why: str) -> None:
        self.sheet, self.ref = sheet, ref
        super().__init__(source, f"Blatt „{sheet}“: Bezug „{ref}“ {why}")


class Extent(NamedTuple):
    """Cells present and the last row and column holding one (0-based; -1 when empty), with
    the reference of a cell in that last row and of one in that last column."""

    cells: int
    last_row: int
    last_col: int
    row_cell: str = ""
    col_cell: str = ""

    @property
    def grid_cells(self) -> int:
        """Slots of the rectangle from A1 to the last row and column."""
        return (self.last_row + 1) * (self.last_col + 1)

    def dense_ok(self) -> bool:
        """Whether the native readers may read the sheet: its rectangle is within
        :data:`MAX_GRID_CELLS`."""
        return self.grid_cells <= MAX_GRID_CELLS


def why_bad(ref: str) -> str:
    """Why a cell reference is not one of Excel's cells ("" when it is)."""
    m = re.fullmatch(r"\$?([A-Za-z]+)\$?([0-9]+)", ref)
    if not m:
        return "ist kein Zellbezug"
    letters, digits = m.groups()
    col = 0
    for ch in letters.upper()[:4]:
        col = col * 26 + ord(ch) - 64
    if len(letters) > 3 or col > MAX_COLS:
        return "liegt rechts von Spalte XFD, der letzten Spalte in Excel"
    row = int(digits[:9])
    if row < 1:
        return "hat die Zeile 0, Zeilen beginnen bei 1"
    if row > MAX_ROWS:
        return "liegt unterhalb von Zeile 1.048.576, der letzten Zeile in Excel"
    return ""


def check_ref(ref: str, sheet: str, source: str | os.PathLike[str] | None) -> None:
    """Raise :class:`BadReference` unless ``ref`` is a cell or a range of cells of Excel's grid
    ("A1", "A1:D6"; no sheet name)."""
    parts = ref.split(":")
    if not ref or len(parts) > 2:
        raise BadReference(source, sheet, ref, "ist kein Zellbereich")
    for part in parts:
        why = why_bad(part)
        if why:
            raise BadReference(source, sheet, ref, why)


class Tags(NamedTuple):
    """What one pass over the row and cell tags of a sheet's ``<sheetData>`` finds (numpy over
    the raw bytes; :func:`sheet_tags`)."""

    layout: Layout  # the <sheetData> offsets the pass ran over
    unnumbered: bool  # a <row> or <c> without a leading r attribute: not regular
    formula: bool  # a <f> tag
    rows: np.ndarray  # the numbers of the <row r="..."> tags, in order
    row_ends: np.ndarray  # the offsets of the "</row>"
    extent: Extent
    bad: tuple[int, bool] | None  # the first reference outside the grid: offset, in a row tag
    column_cells: np.ndarray  # cells per column (1-based: [0] is unused); not set after a bad


def sheet_tags(xml: bytes, layout: Layout) -> Tags:
    """One pass over the tags in ``layout`` (from :func:`sheetxml.data_bounds`): rows and
    cells, their references, the ends of the rows and whether formulas occur, a chunk of
    :data:`_CHUNK` bytes at a time. A bad reference is noted, not raised (the layout does not
    depend on it; :func:`sheet_extent` raises it)."""
    data = np.frombuffer(xml, np.uint8)
    cells, last_row, last_col, row_cell, col_cell = 0, -1, -1, "", ""
    unnumbered = formula = False
    bad: tuple[int, bool] | None = None
    row_numbers: list[np.ndarray] = []
    row_ends: list[np.ndarray] = []
    column_cells = np.zeros(MAX_COLS + 1, np.int64)
    for start in range(layout.start, layout.end, _CHUNK):
        stop = min(start + _CHUNK, layout.end)
        rows, found, closing, has_formula = _tags(data, start, stop)
        formula |= has_formula
        row_tags = rows[(data[rows + 2] == 0x6F) & (data[rows + 3] == 0x77)
                        & _TAG_END[data[rows + 4]]]  # "<row" and a space, ">" or "/"
        rows = _starts(data, row_tags, _ROW)
        unnumbered |= len(row_tags) > len(rows)
        row_ends.append(_starts(data, closing, _ROW_END))
        if len(rows):
            numbers, wrong = _numbers(data, rows + len(_ROW), letters=False)
            row_numbers.append(numbers)
            if wrong is not None and bad is None:
                bad = (int(rows[wrong]) + len(_ROW), True)
        cell_tags = found[_TAG_END[data[found + 2]]]  # "<c" and a space, ">" or "/"
        found = _starts(data, cell_tags, _CELL)
        unnumbered |= len(cell_tags) > len(found)
        if not len(found):
            continue
        refs = found + len(_CELL)
        cols, numbers, wrong = _refs(data, refs)
        if wrong is not None and bad is None:
            bad = (int(refs[wrong]), False)
        if bad is not None:  # the extent is not used then: the rest only for the layout
            continue
        cells += len(found)
        column_cells += np.bincount(cols, minlength=MAX_COLS + 1)
        i, j = int(np.argmax(numbers)), int(np.argmax(cols))
        if numbers[i] - 1 > last_row:
            last_row, row_cell = int(numbers[i]) - 1, a1(int(numbers[i]) - 1, int(cols[i]) - 1)
        if cols[j] - 1 > last_col:
            last_col, col_cell = int(cols[j]) - 1, a1(int(numbers[j]) - 1, int(cols[j]) - 1)
    joined = (lambda parts: np.concatenate(parts) if parts else np.empty(0, np.int64))
    return Tags(layout, unnumbered, formula, joined(row_numbers).astype(np.int64, copy=False),
                joined(row_ends).astype(np.int64, copy=False),
                Extent(cells, last_row, last_col, row_cell, col_cell), bad, column_cells)


def sheet_extent(xml: bytes, sheet: str, part: str,
                 source: str | os.PathLike[str] | None = None, *,
                 tags: Tags | None | bool = True) -> Extent:
    """The sheet's :class:`Extent`; raises :class:`BadReference` for a reference outside the
    grid and :class:`CorruptWorkbook` for XML that does not parse. ``tags``: the sheet's
    :func:`sheet_tags` if known (None: the sheet is not regular)."""
    check_prolog(xml, part, source)
    if tags is True:
        bounds = data_bounds(xml)
        tags = None if bounds is None else sheet_tags(xml, bounds)
    if tags is None or tags.unnumbered:
        return _tag_extent(xml, sheet, part, source) or _parsed_extent(xml, sheet, part, source)
    layout = tags.layout
    for pattern, what in ((_BAD_STRING_INDEX, "ist keine Nummer eines gemeinsamen Textes"),
                          (_BAD_TYPE, "ist kein Zelltyp")):
        for found in pattern.finditer(xml, layout.start, layout.end):
            tag = xml.rfind(b"<", layout.start, found.start())
            if pattern is _BAD_TYPE and xml[tag:tag + 3] != b"<c ":
                continue  # another element's t (a formula's)
            start = xml.rfind(b'<c r="', layout.start, found.start())
            ref = xml[start + 6:xml.find(b'"', start + 6)].decode("utf-8", "replace") \
                if start >= 0 else "?"
            value = found.group(1).decode("utf-8", "replace")
            raise CorruptWorkbook(source, f"Blatt „{sheet}“, Zelle {ref}: „{value}“ {what}")
    if tags.bad is not None:
        _raise_bad(xml, tags.bad[0], sheet, source, row=tags.bad[1])
    return tags.extent


_ROW_END = np.frombuffer(b"</row>", np.uint8)
_TAG_END = np.zeros(256, bool)  # the bytes that may follow a tag's name
_TAG_END[list(b" \t\r\n>/")] = True


def _tags(data: np.ndarray, start: int, stop: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Offsets of the "<r", of the "<c" and of the "</" in ``data[start:stop]`` that have room
    for a row tag after them, and whether a "<f" is there (passes over the bytes side by side,
    no gather of every tag's next byte: a cell has four tags)."""
    stop = min(stop, len(data) - len(_ROW))
    if stop <= start:
        empty = np.empty(0, np.intp)
        return empty, empty, empty, False
    tag, after = data[start:stop] == 0x3C, data[start + 1:stop + 1]
    return (np.flatnonzero(tag & (after == _ROW[1])) + start,
            np.flatnonzero(tag & (after == _CELL[1])) + start,
            np.flatnonzero(tag & (after == 0x2F)) + start,
            bool((tag & (after == 0x66)).any()))


def _starts(data: np.ndarray, tags: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """The ``tags`` (their first two bytes those of ``pattern``) that begin ``pattern``."""
    hits = tags
    for k in range(2, len(pattern)):
        hits = hits[data[hits + k] == pattern[k]]
    return hits


def _window(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The :data:`_WINDOW` bytes from each offset (fewer at the very end: padded with 0)."""
    if len(data) - int(offsets[-1]) < _WINDOW:
        data = np.concatenate([data[int(offsets[0]):], np.zeros(_WINDOW, np.uint8)])
        offsets = offsets - offsets[0]
    return np.lib.stride_tricks.sliding_window_view(data, _WINDOW)[offsets]


def _refs(data: np.ndarray, offsets: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """1-based columns and rows of the references starting at ``offsets`` and the position of
    the first one that is not a cell of Excel's grid (None when all are)."""
    w = _window(data, offsets)
    upper = w[:, :4] & np.uint8(0xDF)  # a-z as A-Z
    letter = (upper >= 65) & (upper <= 90)
    n_letters = np.argmin(letter, axis=1)  # the first non-letter (4 letters: 0, bad anyway)
    cols = np.zeros(len(offsets), np.int64)
    for k in range(3):
        cols = np.where(k < n_letters, cols * 26 + upper[:, k].astype(np.int64) - 64, cols)
    rows, bad_rows = _digits(w, n_letters)
    bad = (n_letters < 1) | (cols > MAX_COLS) | bad_rows
    first = int(np.argmax(bad)) if bad.any() else None
    return cols, rows, first


def _numbers(data: np.ndarray, offsets: np.ndarray, letters: bool
             ) -> tuple[np.ndarray, int | None]:
    """Row numbers at ``offsets`` and the position of the first that is not a row of the grid."""
    w = _window(data, offsets)
    rows, bad = _digits(w, np.zeros(len(offsets), np.int64))
    return rows, (int(np.argmax(bad)) if bad.any() else None)


def _digits(w: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decimal numbers in each window row from column ``first`` to the closing quote, and
    which rows hold no number of 1..1,048,576 ended by the quote."""
    quote = w == 0x22
    end = np.argmax(quote, axis=1)  # no quote: 0, bad below
    bad = ~quote[np.arange(len(w)), end] | (end - first < 1) | (end - first > 7)
    value = np.zeros(len(w), np.int64)
    for j in range(int(end.max()) if len(w) else 0):
        inside = (first <= j) & (j < end)
        digit = w[:, j] - np.uint8(48)  # bytes below "0" wrap around: > 9
        bad |= inside & (digit > 9)
        value = np.where(inside, value * 10 + digit, value)
    bad |= (value < 1) | (value > MAX_ROWS)
    return value, bad




def _raise_bad(xml: bytes, offset: int, sheet: str, source: str | os.PathLike[str] | None,
               row: bool = False) -> None:
    end = xml.find(b'"', offset, offset + 64)
    text = xml[offset:end if end >= 0 else offset + 16].decode("utf-8", "replace")
    if row:
        why = "ist keine Zeilennummer von 1 bis 1.048.576" if not text.isdigit() or \
            not 1 <= int(text) <= MAX_ROWS else ""
        raise BadReference(source, sheet, f"Zeile {text}", why or "ist ungültig")
    raise BadReference(source, sheet, text, why_bad(text) or "ist ungültig")


_SHEET_DATA_ANY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s>/]")
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*["\']([^"\']*)["\']')
_S_TYPE = re.compile(rb'(?:^|\s)t\s*=\s*["\']s["\']')


def _tag_extent(xml: bytes, sheet: str, part: str, source: str | os.PathLike[str] | None
                ) -> Extent | None:
    """The extent from the row and cell tags of a UTF-8 sheet whose layout is not the usual
    one (prefixed names, cells without ``r``): one regular expression over the tags, positions
    following their predecessors as the native readers count them; about a hundred times
    faster than a streaming parse. None where the sheet needs the parse (another encoding,
    comments or CDATA among the rows)."""
    head = xml[:200].lstrip(b"\xef\xbb\xbf")
    if xml.startswith((b"\xff\xfe", b"\xfe\xff")) or (
            head.startswith(b"<?xml") and b"encoding" in head.split(b"?>")[0]
            and not re.search(rb"""encoding\s*=\s*["'](?i:utf-?8)["']""", head)):
        return None
    start = _SHEET_DATA_ANY.search(xml)
    if start is None:
        return Extent(0, -1, -1)
    end = xml.find(b"sheetData>", start.end())
    end = len(xml) if end < 0 else end
    if xml.find(b"<!--", start.end(), end) >= 0 or xml.find(b"<![CDATA[", start.end(), end) >= 0:
        return None
    cells, last_row, last_col, row_cell, col_cell = 0, -1, -1, "", ""
    row = col = -1
    for m in _ROW_OR_CELL.finditer(xml, start.end(), end):
        attrs = m.group(2)
        r = _R_ATTR.search(attrs) if b"r" in attrs else None
        if m.group(1) == b"row":
            if r is not None:
                text = r.group(1).decode("utf-8", "replace")
                if not text.strip().isdigit() or not 1 <= int(text) <= MAX_ROWS:
                    raise BadReference(source, sheet, f"Zeile {text}",
                                       "ist keine Zeilennummer von 1 bis 1.048.576")
                row = int(text) - 1
            else:
                row += 1
            col = -1
            continue
        ref = None if r is None else r.group(1).decode("utf-8", "replace")
        col, cell_row = _cell_position(ref, row, col, source, sheet)
        cells += 1
        if cell_row > last_row:
            last_row, row_cell = cell_row, a1(cell_row, col)
        if col > last_col:
            last_col, col_cell = col, a1(cell_row, col)
    return Extent(cells, last_row, last_col, row_cell, col_cell)


def _cell_position(ref: str | None, row: int, col: int,
                   source: str | os.PathLike[str] | None, sheet: str) -> tuple[int, int]:
    """(column, row), 0-based, of a cell with reference ``ref`` (checked), or of a cell without
    one: the next column of the current ``row`` after ``col``, as the native readers count."""
    if ref is None:
        col, cell_row = col + 1, max(row, 0)
        if col >= MAX_COLS:
            raise BadReference(source, sheet, f"Zeile {cell_row + 1}",
                               "hat mehr als 16.384 Zellen")
        return col, cell_row
    why = why_bad(ref)
    if why:
        raise BadReference(source, sheet, ref, why)
    letters = ref.rstrip("0123456789").lstrip("$")
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col - 1, int(ref[len(ref.rstrip("0123456789")):]) - 1


def _parsed_extent(xml: bytes, sheet: str, part: str,
                   source: str | os.PathLike[str] | None) -> Extent:
    """The extent by a streaming parse (prefixed names, cells without ``r``: positions follow
    their predecessors, as the native readers count them)."""
    cells, last_row, last_col, row_cell, col_cell = 0, -1, -1, "", ""
    row = -1
    try:
        events = etree.iterparse(io.BytesIO(xml), events=("start", "end"), resolve_entities=False,
                                 no_network=True, huge_tree=True, load_dtd=False)
        col = -1
        for event, el in events:
            name = local(el.tag)
            if event == "start" and name == "row" or event == "end" and name == "c":
                if name == "row":
                    r = el.get("r")
                    if r is not None and (not r.strip().isdigit() or
                                          not 1 <= int(r) <= MAX_ROWS):
                        raise BadReference(source, sheet, f"Zeile {r}",
                                           "ist keine Zeilennummer von 1 bis 1.048.576")
                    row = int(r) - 1 if r is not None else row + 1
                    col = -1
                elif name == "c":
                    col, cell_row = _cell_position(el.get("r"), row, col, source, sheet)
                    cells += 1
                    if el.get("t") == "s":
                        v = next((child.text or "" for child in el if local(child.tag) == "v"),
                                 None)
                        if v is not None and not v.strip().isdigit():
                            raise CorruptWorkbook(source, f"Blatt „{sheet}“, Zelle "
                                                  f"{a1(cell_row, col)}: „{v[:40]}“ ist keine "
                                                  "Nummer eines gemeinsamen Textes")
                    if cell_row > last_row:
                        last_row, row_cell = cell_row, a1(cell_row, col)
                    if col > last_col:
                        last_col, col_cell = col, a1(cell_row, col)
            if event == "end" and name in ("c", "row"):
                el.clear()
    except etree.XMLSyntaxError as exc:
        raise CorruptWorkbook(source, f"{part}: {exc}") from exc
    except WorkbookError:
        raise
    return Extent(cells, last_row, last_col, row_cell, col_cell)


class TooManyCells(WorkbookError):
    """A sheet with more cells than :data:`MAX_SHEET_CELLS`."""

    def __init__(self, source: str | os.PathLike[str] | None, sheet: str, cells: int,
                 limit: int = MAX_SHEET_CELLS) -> None:
        name = os.path.basename(os.fspath(source)) if source is not None else "Die Arbeitsmappe"
        super().__init__(
            f"„{name}“, Blatt „{sheet}“: {german.number(cells)} belegte Zellen, erlaubt sind "
            f"{german.number(limit)} (mögliche Zip-Bombe). Aus Sicherheitsgründen wird das "
            "Blatt nicht gelesen. Bitte nicht benötigte Zeilen und Spalten löschen und erneut "
            "speichern.", path=source)


class SheetTooSparse(WorkbookError):
    """A sheet whose few cells span a rectangle the readers cannot hold."""

    def __init__(self, source: str | os.PathLike[str] | None, sheet: str, extent: Extent) -> None:
        name = os.path.basename(os.fspath(source)) if source is not None else "Die Arbeitsmappe"
        far = extent.row_cell if extent.last_row >= extent.last_col else extent.col_cell
        cells = german.number(extent.cells)
        super().__init__(
            f"„{name}“, Blatt „{sheet}“: die Zelle {far} liegt weit außerhalb der übrigen "
            f"Zellen (belegter Bereich A1:{a1(extent.last_row, extent.last_col)} mit nur "
            f"{cells} Zellen); so ein Blatt wird nicht gelesen. Bitte den Inhalt von {far} "
            "(oder die leeren Zeilen und Spalten hinter der Liste) löschen, speichern und "
            "erneut versuchen.", path=source)


MAX_SHARED_TEXT = 256 * 1024 * 1024
"""Most bytes of shared strings one sheet's cells may refer to in total: the native readers
copy a shared string into every cell that refers to it (a 1,000-character text referred to by
three million cells of a 326 KB file grew past 7 GB)."""
_SHARED_INDEX = re.compile(rb't="s"[^>]*>\s*<v>\s*(\d{1,9})\s*</v>')


class TooMuchText(WorkbookError):
    """A sheet whose cells refer to more shared text than the readers can hold."""

    def __init__(self, source: str | os.PathLike[str] | None, sheet: str, total: int) -> None:
        name = os.path.basename(os.fspath(source)) if source is not None else "Die Arbeitsmappe"
        super().__init__(
            f"„{name}“, Blatt „{sheet}“: die Zellen verweisen zusammen auf "
            f"{german.number(total / 2**20)} MiB gemeinsamer Texte (erlaubt sind "
            f"{german.number(MAX_SHARED_TEXT / 2**20)} MiB; lange Texte in sehr vielen Zellen, "
            "mögliche Zip-Bombe). Aus Sicherheitsgründen wird das Blatt nicht gelesen. Bitte die "
            "wiederholten langen Texte entfernen und erneut speichern.", path=source)


def string_sizes(sst: bytes) -> np.ndarray:
    """Bytes of each ``<si>`` item of a shared-string table (markup included: an upper bound
    of its text), in order."""
    data = np.frombuffer(sst, np.uint8)
    if not len(data):
        return np.empty(0, np.int64)
    lt = np.flatnonzero(data[:-3] == 0x3C)
    starts = lt[(data[lt + 1] == 0x73) & (data[lt + 2] == 0x69) &  # "<si" then ">" or space
                ((data[lt + 3] == 0x3E) | (data[lt + 3] == 0x20) | (data[lt + 3] == 0x2F))]
    return np.diff(np.append(starts, len(data))).astype(np.int64)


def check_shared_text(sheet_xml: bytes, sizes: np.ndarray, sheet: str,
                      source: str | os.PathLike[str] | None = None) -> None:
    """Refuse a sheet whose cells refer to more than :data:`MAX_SHARED_TEXT` bytes of shared
    strings (:class:`TooMuchText`): a bound from the count of shared-string cells and the
    longest string first, counted exactly only when the bound is exceeded."""
    if not len(sizes):
        return
    cells = sheet_xml.count(b't="s"')
    if cells * int(sizes.max()) <= MAX_SHARED_TEXT:
        return
    index = np.array(_SHARED_INDEX.findall(sheet_xml), dtype=np.int64)
    index = index[index < len(sizes)]  # one beyond the table: reported by the reader
    total = int(sizes[index].sum())
    if total > MAX_SHARED_TEXT:
        raise TooMuchText(source, sheet, total)
