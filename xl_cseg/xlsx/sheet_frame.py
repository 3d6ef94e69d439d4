"""What surrounds the cells of a worksheet part: column widths, the autofilter, cell styles.

Byte-level edits of a (patched) worksheet given as chunks, like the sheet writer returns them:
:func:`widen_columns` adjusts ``<cols>`` for the named columns only (never narrower, hidden
columns untouched, ranges split so that other columns keep every attribute),
:func:`extend_autofilter` widens a worksheet ``<autoFilter>`` and :func:`restyle_cells` sets the
``s`` attribute of existing cells the job owns. Every other byte stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .cellref import a1, parse_range, range_ref
from .chunks import spliced

DEFAULT_WIDTH = 8.43  # Excel's column width when a sheet names none (Calibri 11)
_TAG_ATTR = rb'\s%s="([^"]*)"'


def _attr(tag: bytes, name: bytes) -> bytes | None:
    found = re.search(_TAG_ATTR % name, tag)
    return found[1] if found else None


def _set_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    if re.search(_TAG_ATTR % name, tag):
        return re.sub(rb'(\s%s=")[^"]*(")' % name, lambda m: m[1] + value + m[2], tag, count=1)
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + b' %s="%s"' % (name, value) + tag[end:]


def _head(chunks: Sequence[bytes], marker: bytes) -> tuple[bytes, int] | None:
    """The chunks joined up to and including the one holding ``marker``, and how many."""
    joined = b""
    for i, chunk in enumerate(chunks):
        joined += chunk
        if marker in joined:
            return joined, i + 1
    return None


def _prefix(xml_head: bytes) -> bytes:
    found = re.search(rb"<(?:(\w+):)?sheetData\b", xml_head)
    return found[1] + b":" if found and found[1] else b""


def widen_columns(chunks: Sequence[bytes], widths: Mapping[int, float]) -> Sequence[bytes]:
    """The worksheet with columns ``widths`` (0-based col -> width) at least that wide."""
    split = _head(chunks, b"sheetData") if widths else None
    if split is None:
        return chunks
    head, count = split
    p = _prefix(head)
    data = re.search(rb"<%ssheetData\b" % re.escape(p), head)
    if data is None:
        return chunks
    fmt = re.search(rb"<%ssheetFormatPr\b[^>]*>" % re.escape(p), head)
    default = float(_attr(fmt[0], b"defaultColWidth") or DEFAULT_WIDTH) if fmt else DEFAULT_WIDTH
    cols = re.search(rb"<%scols\b[^>]*>(.*?)</%scols>" % (re.escape(p), re.escape(p)), head,
                     re.S)
    entries: list[tuple[int, int, bytes]] = []  # (min, max, tag), 1-based like the XML
    if cols is not None:
        for tag in re.finditer(rb"<%scol\b[^>]*?/>" % re.escape(p), cols[1]):
            lo, hi = _attr(tag[0], b"min"), _attr(tag[0], b"max")
            if lo is None or hi is None:
                return chunks  # not a plain list of ranges: leave it alone
            entries.append((int(lo), int(hi), tag[0]))
    wanted = {c + 1: w for c, w in widths.items()}
    changed = False
    result: list[tuple[int, int, bytes]] = []
    covered: set[int] = set()
    for lo, hi, tag in entries:
        inside = sorted(c for c in wanted if lo <= c <= hi)
        covered.update(inside)
        current = float(_attr(tag, b"width") or default)
        hidden = _attr(tag, b"hidden") in (b"1", b"true")
        grow = [c for c in inside if not hidden and wanted[c] > current + 1e-9]
        if not grow:
            result.append((lo, hi, tag))
            continue
        changed = True
        start = lo
        for c in grow:  # split the range around each column that grows
            if c > start:
                result.append((start, c - 1, _range_tag(tag, start, c - 1)))
            result.append((c, c, _sized(_range_tag(tag, c, c), wanted[c])))
            start = c + 1
        if start <= hi:
            result.append((start, hi, _range_tag(tag, start, hi)))
    for c in sorted(set(wanted) - covered):
        if wanted[c] > default + 1e-9:
            changed = True
            result.append((c, c, _sized(b'<%scol min="%d" max="%d"/>' % (p, c, c), wanted[c])))
    if not changed:
        return chunks
    result.sort(key=lambda e: e[0])
    body = b"".join(tag for _lo, _hi, tag in result)
    if cols is not None:
        head = head[:cols.start(1)] + body + head[cols.end(1):]
    else:
        head = head[:data.start()] + b"<%scols>%s</%scols>" % (p, body, p) + head[data.start():]
    return spliced(chunks, 0, count, head)


def column_style(xml: bytes, col: int) -> int | None:
    """The ``style`` of the ``<col>`` entry covering 0-based ``col`` (what Excel gives a cell
    typed into that column), None if there is none."""
    end = xml.find(b"sheetData")
    cols = re.search(rb"<(?:\w+:)?cols\b[^>]*>(.*?)</(?:\w+:)?cols>", xml[:end if end >= 0 else None],
                     re.S)
    if cols is None:
        return None
    for tag in re.finditer(rb"<(?:\w+:)?col\b[^>]*?/?>", cols[1]):
        lo, hi, style = (_attr(tag[0], name) for name in (b"min", b"max", b"style"))
        if lo and hi and style and int(lo) <= col + 1 <= int(hi):
            return int(style)
    return None


def _range_tag(tag: bytes, lo: int, hi: int) -> bytes:
    return _set_attr(_set_attr(tag, b"min", b"%d" % lo), b"max", b"%d" % hi)


def _sized(tag: bytes, width: float) -> bytes:
    text = (b"%.2f" % width).rstrip(b"0").rstrip(b".")
    return _set_attr(_set_attr(tag, b"width", text), b"customWidth", b"1")


def _tail(chunks: Sequence[bytes]) -> tuple[int, bytes]:
    """(index, joined chunks from it): the shortest tail of the document holding the end of
    ``<sheetData>`` (what follows it: autofilter, merged cells, page setup, ...)."""
    for start in range(len(chunks) - 1, -1, -1):
        tail = b"".join(chunks[start:])
        if tail.rfind(b"sheetData>") >= 0:
            return start, tail
    return 0, b"".join(chunks)


_FILTER = re.compile(rb'<(?:\w+:)?autoFilter\b[^>]*?\sref="([^"]*)"')


def _find_filter(tail: bytes) -> re.Match[bytes] | None:
    end = tail.rfind(b"sheetData>")
    return _FILTER.search(tail, end) if end >= 0 else None


def autofilter_ref(chunks: Sequence[bytes]) -> str | None:
    """The ``ref`` of the worksheet's ``<autoFilter>``, if it has one."""
    found = _find_filter(_tail(chunks)[1]) if chunks else None
    return found[1].decode("ascii", "replace") if found is not None else None


def extend_autofilter(chunks: Sequence[bytes], ref: str) -> Sequence[bytes]:
    """The worksheet with its ``<autoFilter>`` covering ``ref`` (unchanged without one)."""
    start, tail = _tail(chunks)
    found = _find_filter(tail)
    if found is None:
        return chunks
    return spliced(chunks, start, len(chunks),
                   tail[:found.start(1)] + ref.encode("ascii") + tail[found.end(1):])


def filter_over(filter_ref: str, header_row: int, last_col: int, last_row: int) -> str | None:
    """``filter_ref`` widened to ``last_col`` and ``last_row`` when it is the filter of a table
    whose header is ``header_row`` (None when it is something else or nothing grows)."""
    try:
        (r0, c0), (r1, c1) = parse_range(filter_ref)
    except ValueError:
        return None
    if r0 != header_row or c1 >= last_col:
        return None
    return range_ref(r0, c0, max(r1, last_row), last_col)


def set_row_heights(chunks: Sequence[bytes], heights: Mapping[int, float]) -> Sequence[bytes]:
    """The worksheet with the existing rows of ``heights`` (0-based row -> points) that high.
    For the few owned rows of a small sheet (a row not found is left alone)."""
    if not heights:
        return chunks
    xml = b"".join(chunks)
    by_number = {b"%d" % (r + 1): h for r, h in heights.items()}
    pattern = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(%s)"[^>]*?/?>'
                         % b"|".join(sorted(by_number, key=len, reverse=True)))

    def sized(found: re.Match[bytes]) -> bytes:
        text = (b"%.2f" % by_number[found[1]]).rstrip(b"0").rstrip(b".")
        return _set_attr(_set_attr(found[0], b"ht", text), b"customHeight", b"1")

    return [pattern.sub(sized, xml)]


def restyle_cells(chunks: Sequence[bytes], styles: Mapping[tuple[int, int], int]
                  ) -> Sequence[bytes]:
    """The worksheet with the existing cells of ``styles`` ((row, col) -> cellXfs index) set to
    that style. For the few owned cells of a small sheet (a cell not found is left alone)."""
    if not styles:
        return chunks
    xml = b"".join(chunks)
    by_ref = {a1(r, c).encode("ascii"): s for (r, c), s in styles.items()}
    pattern = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="(%s)"[^>]*?(/?)>'
                         % b"|".join(sorted(by_ref, key=len, reverse=True)))

    def swap(found: re.Match[bytes]) -> bytes:
        tag = found[0]
        style = by_ref.get(found[1])
        return tag if style is None else _set_attr(tag, b"s", b"%d" % style)

    return [pattern.sub(swap, xml)]
