"""Add a sheet of our own (values, formulas, a native chart) to an existing workbook package.

The user's workbook is never loaded and saved as a whole: the new worksheet part (and its drawing
and chart parts) are added as new zip members; ``workbook.xml`` gets one ``<sheet>`` element
appended to ``<sheets>``, its relationships and ``[Content_Types].xml`` one entry each, and
``styles.xml`` the few cell formats the sheet needs appended (existing indices unchanged). Every
other member is copied byte for byte by :func:`atomic.write_package`.

When the sheet exists already and is ours (the caller checks its marker cell), its part is
rewritten in place, and its chart part too when it has one.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from xml.sax.saxutils import quoteattr


from .cellref import a1, col_letter
from .cellvalue import render_value
from .package import CONTENT_TYPES, Package
from .safexml import local, parse_xml
from .styles import StyleSheet
from .xmltext import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = REL_NS + "/worksheet"
DRAWING_TYPE = REL_NS + "/drawing"
CHART_TYPE = REL_NS + "/chart"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

# the looks a sheet of ours may ask for, by key: (number format code or None for General, bold,
# wrapped text); the workbook builder gives the same keys its own look
FORMATS: dict[str, tuple[str | None, bool, bool]] = {
    "header": (None, True, True), "bold": (None, True, False), "note": (None, False, True),
    "eur": ('#,##0 "€"', False, False), "eur_bold": ('#,##0 "€"', True, False),
    "pct": ("0.0%", False, False), "pct_bold": ("0.0%", True, False),
    "int": ("#,##0", False, False), "int_bold": ("#,##0", True, False),
    "dec": ("#,##0.0", False, False), "date": ("DD.MM.YYYY", False, False),
    "time": ("hh:mm", False, False),
}
LINE_HEIGHT = 15.0  # points per line of text at the default font
NOTE_WIDTH = 150.0  # characters an explanation spans at most (landscape, fit to width)


@dataclass(frozen=True)
class Formula:
    """A formula cell (text without "=") with the value it computes to."""

    text: str
    cached: Any = None


@dataclass(frozen=True)
class Chart:
    """A native column or line chart over ranges of the sheet itself (0-based, inclusive)."""

    title: str
    categories: tuple[int, int, int]  # (column, first row, last row)
    series: tuple[tuple[str, int], ...]  # (name, column): values in the category rows
    kind: str = "bar"  # bar (columns) | line
    stacked: bool = False
    anchor: tuple[int, int, int, int] = (0, 0, 10, 20)  # from col, from row, to col, to row
    y_title: str = ""


@dataclass
class SheetContent:
    """Everything a sheet of ours holds: cells by (row, col), format keys, column widths."""

    name: str
    cells: dict[tuple[int, int], Any]
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    chart: Chart | None = None
    freeze_row: int | None = None
    notes: tuple[int, ...] = ()  # rows whose text in column A explains the sheet: wrapped

# -- styles ------------------------------------------------------------------------------------
def format_indices(styles_xml: bytes, keys: Sequence[str]) -> tuple[bytes, dict[str, int]]:
    """``styles.xml`` with the number formats of ``keys`` appended where missing (existing
    entries unchanged, see :class:`styles.StyleSheet`) and each key's cell format index."""
    sheet = StyleSheet(styles_xml)
    indices = {}
    for key in dict.fromkeys(keys):
        code, bold, wrap = FORMATS[key]
        indices[key] = sheet.with_look(code, bold=bold, wrap=wrap)
    return sheet.patched(), indices


# -- the layout: widths, wrapped notes, row heights ------------------------------------------------
def laid_out(content: SheetContent) -> tuple[dict[int, float], dict[int, float],
                                             list[tuple[int, int, int]]]:
    """Column widths (each wide enough for the longest word of its headers), row heights (for
    the wrapped header and note rows) and the merged note cells (row, first col, last col)."""
    widths = dict(content.widths)
    head_lines: dict[int, int] = {}
    for (r, c), key in content.formats.items():
        text = content.cells.get((r, c))
        if key != "header" or not isinstance(text, str):
            continue
        words = text.split() or [""]
        widths[c] = max(widths.get(c, 8.43), max(len(w) for w in words) * 1.1 + 2)
        head_lines[r] = max(head_lines.get(r, 1), _lines(text, widths[c]))
    for (r, c), key in content.formats.items():  # the lines once every width is known
        text = content.cells.get((r, c))
        if key == "header" and isinstance(text, str):
            head_lines[r] = max(head_lines.get(r, 1), _lines(text, widths[c]))
    heights = {r: n * LINE_HEIGHT for r, n in head_lines.items() if n > 1}
    merges = []
    if content.notes:
        last_col = max(c for _r, c in content.cells)
        span, total = 0, 0.0
        while span <= last_col and total < NOTE_WIDTH:
            total += widths.get(span, 8.43)
            span += 1
        for r in content.notes:
            text = content.cells.get((r, 0))
            if not isinstance(text, str):
                continue
            if span > 1:
                merges.append((r, 0, span - 1))
            heights[r] = _lines(text, total) * LINE_HEIGHT
    return widths, heights, merges


def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a cell ``width`` characters wide (words kept whole)."""
    room = max(width - 1.5, 4.0)
    lines, used = 1, 0.0
    for word in text.split():
        need = len(word) * 1.05 + (1 if used else 0)
        if used and used + need > room:
            lines, used = lines + 1, len(word) * 1.05
        else:
            used += need
    return lines


# -- the worksheet part ------------------------------------------------------------------------
def render_sheet(content: SheetContent, styles: Mapping[str, int], drawing_rid: str | None,
                 sheet_pr: bytes = b"") -> bytes:
    """The worksheet XML of ``content`` (inline strings, formulas with their cached values);
    ``sheet_pr``: the ``<sheetPr>`` element to keep (a VBA code name of a rewritten sheet)."""
    by_row: dict[int, list[tuple[int, Any]]] = {}
    for (r, c), value in content.cells.items():
        by_row.setdefault(r, []).append((c, value))
    widths, heights, merges = laid_out(content)
    formats = dict(content.formats)
    for r in content.notes:
        if isinstance(content.cells.get((r, 0)), str):
            formats[(r, 0)] = "note"
    out = [b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
           f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'.encode(), _fit_to_page(sheet_pr)]
    if content.cells:
        rows = [r for r, _c in content.cells]
        cols = [c for _r, c in content.cells]
        out.append(f'<dimension ref="A1:{a1(max(rows), max(cols))}"/>'.encode())
    out.append(b'<sheetViews><sheetView workbookViewId="0">')
    if content.freeze_row:
        out.append(f'<pane ySplit="{content.freeze_row}" topLeftCell="A{content.freeze_row + 1}" '
                   'activePane="bottomLeft" state="frozen"/>'.encode())
    out.append(b'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    if widths:
        out.append(b"<cols>")
        for col, width in sorted(widths.items()):
            out.append(f'<col min="{col + 1}" max="{col + 1}" width="{width:g}" '
                       'customWidth="1"/>'.encode())
        out.append(b"</cols>")
    out.append(b"<sheetData>")
    for r in sorted(by_row):
        height = f' ht="{heights[r]:g}" customHeight="1"' if r in heights else ""
        out.append(f'<row r="{r + 1}"{height}>'.encode())
        for c, value in sorted(by_row[r], key=lambda item: item[0]):
            out.append(_cell(r, c, value, styles.get(formats.get((r, c), ""))))
        out.append(b"</row>")
    out.append(b"</sheetData>")
    if merges:
        out.append(f'<mergeCells count="{len(merges)}">'.encode())
        out += [f'<mergeCell ref="{a1(r, c0)}:{a1(r, c1)}"/>'.encode() for r, c0, c1 in merges]
        out.append(b"</mergeCells>")
    out.append(b'<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" '
               b'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
               b'fitToHeight="0"/>')
    if drawing_rid:
        out.append(f'<drawing r:id="{drawing_rid}"/>'.encode())
    out.append(b"</worksheet>")
    return b"".join(out)


def _fit_to_page(sheet_pr: bytes) -> bytes:
    """The ``<sheetPr>`` to write (the kept one or a new one) with ``fitToPage`` set, so that
    the page setup's fit to width applies."""
    if not sheet_pr:
        return b'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
    if b"pageSetUpPr" in sheet_pr:
        return sheet_pr
    if sheet_pr.endswith(b"/>") and sheet_pr.count(b">") == 1:
        return sheet_pr[:-2].rstrip() + b'><pageSetUpPr fitToPage="1"/></sheetPr>'
    return sheet_pr.replace(b"</sheetPr>", b'<pageSetUpPr fitToPage="1"/></sheetPr>')


def _cell(r: int, c: int, value: Any, style: int | None) -> bytes:
    head = f'<c r="{a1(r, c)}"' + (f' s="{style}"' if style else "")
    if isinstance(value, Formula):
        cached = value.cached
        if isinstance(cached, str):
            tail = f' t="str"><f>{escape(value.text)}</f><v>{escape(cached)}</v></c>'
        elif cached is None or (isinstance(cached, float) and cached != cached):
            tail = f"><f>{escape(value.text)}</f></c>"
        else:
            tail = f"><f>{escape(value.text)}</f><v>{float(cached)!r}</v></c>"
        return (head + tail).encode("utf-8")
    if value is None or (isinstance(value, float) and value != value):
        return (head + "/>").encode() if style else b""
    if hasattr(value, "item"):
        value = value.item()
    return head.encode() + render_value(value)


# -- chart -------------------------------------------------------------------------------------
def _ref(sheet: str, col: int, first: int, last: int) -> str:
    quoted = "'" + sheet.replace("'", "''") + "'"
    letters = col_letter(col)
    return f"{quoted}!${letters}${first + 1}:${letters}${last + 1}"


COLOURS = ("1F4E79", "2E75B6", "9DC3E6", "C55A11", "70AD47", "7F7F7F")


def chart_xml(sheet: str, chart: Chart) -> bytes:
    """A DrawingML chart part (c:chartSpace) with one column or line chart."""
    col, first, last = chart.categories
    series = []
    for i, (name, vcol) in enumerate(chart.series):
        colour = COLOURS[i % len(COLOURS)]
        look = (f'<c:spPr><a:ln w="28575"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
                '</a:ln></c:spPr><c:marker><c:symbol val="circle"/><c:size val="5"/></c:marker>'
                if chart.kind == "line" else
                f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></c:spPr>'
                '<c:invertIfNegative val="0"/>')
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx><c:v>{escape(name)}</c:v></c:tx>'
            f'{look}<c:cat><c:strRef><c:f>{escape(_ref(sheet, col, first, last))}</c:f>'
            '</c:strRef></c:cat>'
            f'<c:val><c:numRef><c:f>{escape(_ref(sheet, vcol, first, last))}</c:f></c:numRef>'
            '</c:val>' + ('<c:smooth val="0"/>' if chart.kind == "line" else "") + "</c:ser>")
    if chart.kind == "line":
        plot = ('<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>'
                + "".join(series) + '<c:marker val="1"/>'
                '<c:axId val="50010001"/><c:axId val="50010002"/></c:lineChart>')
    else:
        grouping = "stacked" if chart.stacked else "clustered"
        plot = ('<c:barChart><c:barDir val="col"/>'
                f'<c:grouping val="{grouping}"/><c:varyColors val="0"/>' + "".join(series)
                + '<c:gapWidth val="80"/>'
                + ('<c:overlap val="100"/>' if chart.stacked else "")
                + '<c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>')
    y_title = (f'<c:title><c:tx><c:rich><a:bodyPr rot="-5400000" vert="horz"/><a:p><a:r>'
               f'<a:t>{escape(chart.y_title)}</a:t></a:r></a:p></c:rich></c:tx>'
               '<c:overlay val="0"/></c:title>') if chart.y_title else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        f'xmlns:r="{REL_NS}">'
        '<c:roundedCorners val="0"/>'
        '<c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r>'
        f'<a:t>{escape(chart.title)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/>'
        '</c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>' + plot +
        '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>' + y_title +
        '<c:numFmt formatCode="#,##0" sourceLinked="0"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')
    return xml.encode("utf-8")


def drawing_xml(anchor: tuple[int, int, int, int], chart_rid: str) -> bytes:
    c0, r0, c1, r1 = anchor
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<xdr:twoCellAnchor><xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>0</xdr:colOff>'
        f'<xdr:row>{r0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
        f'<xdr:to><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row>'
        '<xdr:rowOff>0</xdr:rowOff></xdr:to>'
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Diagramm 1"/>'
        '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/>'
        '<a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData '
        'uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="{REL_NS}" r:id="{chart_rid}"/>'
        '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>'
        '</xdr:wsDr>').encode("utf-8")


def _rels(items: Sequence[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
                   for rid, kind, target in items)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{body}</Relationships>').encode()


# -- the package changes -------------------------------------------------------------------------
@dataclass
class PackageChanges:
    replacements: dict[str, bytes] = field(default_factory=dict)
    additions: dict[str, bytes] = field(default_factory=dict)


def _free_name(pkg: Package, taken: set[str], pattern: str) -> str:
    n = 1
    while (pkg.has_part(pattern.format(n)) or pattern.format(n) in taken):
        n += 1
    return pattern.format(n)


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source))


def sheet_changes(pkg: Package, contents: Sequence[SheetContent],
                  changes: PackageChanges | None = None) -> PackageChanges:
    """The parts to replace and to add so that the workbook holds ``contents`` (new sheets
    appended after the last sheet; a sheet of the same name rewritten in place)."""
    changes = changes or PackageChanges()
    keys = sorted({k for c in contents for k in c.formats.values()}
                  | ({"note"} if any(c.notes for c in contents) else set()))
    styles_part = next((r.target for r in pkg.relationships(pkg.workbook_part)
                        if r.type.endswith("/styles") and not r.external), None)
    indices: dict[str, int] = {}
    if keys and styles_part and pkg.has_part(styles_part):
        current = changes.replacements.get(styles_part) or pkg.read(styles_part)
        changes.replacements[styles_part], indices = format_indices(current, keys)
    existing = {s.name: s for s in pkg.sheets()}
    wb_part = pkg.workbook_part
    wb_rels_part = posixpath.join(posixpath.dirname(wb_part), "_rels",
                                  posixpath.basename(wb_part) + ".rels")
    workbook = changes.replacements.get(wb_part) or pkg.read(wb_part)
    wb_rels = changes.replacements.get(wb_rels_part) or pkg.read(wb_rels_part)
    types = changes.replacements.get(CONTENT_TYPES) or pkg.read(CONTENT_TYPES)
    taken = set(changes.additions)
    for content in contents:
        if content.name in existing:
            types = _insert(types, b"</Types>", _rewrite(pkg, existing[content.name].part,
                                                         content, indices, changes, taken))
            continue
        part = _free_name(pkg, taken, "xl/worksheets/sheet{}.xml")
        taken.add(part)
        rid = _free_rid(wb_rels)
        wb_rels = _insert(wb_rels, b"</Relationships>", _rels_entry(
            rid, WORKSHEET_TYPE, _relative(wb_part, part)))
        workbook = _append_sheet(workbook, content.name, rid)
        types = _insert(types, b"</Types>", _override(part, CT_WORKSHEET))
        drawing_rid = None
        if content.chart is not None:
            drawing_rid, overrides = _add_chart(pkg, part, content, changes, taken)
            types = _insert(types, b"</Types>", overrides)
        changes.additions[part] = render_sheet(content, indices, drawing_rid)
    changes.replacements[wb_part] = workbook
    changes.replacements[wb_rels_part] = wb_rels
    changes.replacements[CONTENT_TYPES] = types
    return changes


def _add_chart(pkg: Package, part: str, content: SheetContent, changes: PackageChanges,
               taken: set[str]) -> tuple[str, bytes]:
    """New drawing and chart parts for the sheet ``part`` (whose relationships part is new);
    the drawing's relationship id and the content-type overrides to add."""
    drawing = _free_name(pkg, taken, "xl/drawings/drawing{}.xml")
    taken.add(drawing)
    chart = _free_name(pkg, taken, "xl/charts/chart{}.xml")
    taken.add(chart)
    changes.additions[_rels_of(part)] = _rels([("rId1", DRAWING_TYPE, _relative(part, drawing))])
    changes.additions[drawing] = drawing_xml(content.chart.anchor, "rId1")
    changes.additions[_rels_of(drawing)] = _rels([("rId1", CHART_TYPE,
                                                   _relative(drawing, chart))])
    changes.additions[chart] = chart_xml(content.name, content.chart)
    return "rId1", _override(drawing, CT_DRAWING) + _override(chart, CT_CHART)


def _rewrite(pkg: Package, part: str, content: SheetContent, indices: Mapping[str, int],
             changes: PackageChanges, taken: set[str]) -> bytes:
    """An existing sheet of ours: its part rewritten, its chart rewritten (or added when the
    sheet has no relationships yet); the content-type overrides to add."""
    drawing_rid, overrides = None, b""
    if content.chart is not None:
        drawings = [r for r in pkg.relationships(part) if r.type == DRAWING_TYPE]
        charts = [r for r in pkg.relationships(drawings[0].target) if r.type == CHART_TYPE] \
            if drawings else []
        if drawings and charts and pkg.has_part(charts[0].target):
            drawing_rid = drawings[0].id
            changes.replacements[charts[0].target] = chart_xml(content.name, content.chart)
        elif not pkg.relationships(part):
            drawing_rid, overrides = _add_chart(pkg, part, content, changes, taken)
    old = pkg.read(part)
    found = _SHEET_PR.search(old[:4096])
    changes.replacements[part] = render_sheet(content, indices, drawing_rid,
                                              found[0] if found else b"")
    return overrides


# the first child of an unprefixed worksheet: its VBA code name and properties, kept on rewrite
_SHEET_PR = re.compile(rb"<sheetPr\b[^>]*/>|<sheetPr\b[^>]*>.*?</sheetPr>", re.S)


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _free_rid(rels: bytes) -> str:
    used = {int(m) for m in re.findall(rb'Id="rId(\d+)"', rels)}
    n = max(used, default=0) + 1
    return f"rId{n}"


def _rels_entry(rid: str, kind: str, target: str) -> bytes:
    return f'<Relationship Id="{rid}" Type="{kind}" Target={quoteattr(target)}/>'.encode()


def _override(part: str, content_type: str) -> bytes:
    return f'<Override PartName="/{part}" ContentType="{content_type}"/>'.encode()


def _insert(xml: bytes, before: bytes, item: bytes) -> bytes:
    """``item`` inserted before the last ``before`` (the closing tag of the root, possibly with
    a prefix)."""
    pos = xml.rfind(before)
    if pos < 0:  # a prefixed root element: </x:Types>
        name = before[2:-1]
        match = list(re.finditer(rb"</[A-Za-z0-9_]+:" + re.escape(name) + rb">", xml))
        if not match:
            raise ValueError(f"{before!r} not found")
        pos = match[-1].start()
        prefix = match[-1].group(0)[2:].split(b":")[0]
        item = re.sub(rb"<(\w)", rb"<" + prefix + rb":\1", item)
    return xml[:pos] + item + xml[pos:]


def _append_sheet(workbook: bytes, name: str, rid: str) -> bytes:
    """``<sheet>`` appended to ``<sheets>``, with the relationships prefix the part declares."""
    root = parse_xml(workbook, "xl/workbook.xml")
    sheets = [el for el in root if local(el.tag) == "sheets"]
    ids = [int(el.get("sheetId", "0")) for el in sheets[0] if local(el.tag) == "sheet"] \
        if sheets else []
    r_prefix = next((p for p, uri in root.nsmap.items() if uri == REL_NS and p), None)
    main_prefix = next((p for p, uri in root.nsmap.items() if uri == root.nsmap.get(
        root.prefix)), None) if root.prefix else None
    tag = f"{root.prefix}:sheet" if root.prefix else "sheet"
    rattr = f"{r_prefix}:id" if r_prefix else "r:id"
    decl = "" if r_prefix else f' xmlns:r="{REL_NS}"'
    item = (f"<{tag} name={quoteattr(name)} sheetId=\"{max(ids, default=0) + 1}\" "
            f'{rattr}="{rid}"{decl}/>').encode("utf-8")
    del main_prefix
    close = f"</{root.prefix}:sheets>" if root.prefix else "</sheets>"
    pos = workbook.find(close.encode())
    if pos < 0:
        raise ValueError("workbook.xml without <sheets>")
    return workbook[:pos] + item + workbook[pos:]


def content_types_ok(types: bytes) -> bool:
    return b"<Types" in types or b":Types" in types
