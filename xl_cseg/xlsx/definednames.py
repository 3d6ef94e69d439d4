"""One sheet-local defined name set, replaced or removed in ``xl/workbook.xml``, byte for byte
elsewhere: only that ``<definedName>`` element (and a ``<definedNames>`` container when the
workbook has none) changes; every other byte of the part stays as it was."""

from __future__ import annotations

import html
import re

from .xmltext import escape as escape_text

_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?workbook[\s>]")
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _attrs(tag: bytes) -> dict[str, str]:
    return {m.group(1).decode(): html.unescape((m.group(2) if m.group(2) is not None
                                                else m.group(3)).decode("utf-8"))
            for m in _ATTR.finditer(tag)}


def sheet_index(xml: bytes, sheet: str) -> int | None:
    """0-based position of ``sheet`` among the workbook's sheets (what ``localSheetId`` counts)."""
    prefix = _prefix(xml)
    for i, m in enumerate(re.finditer(rb"<%ssheet\b[^>]*>" % prefix, xml)):
        if _attrs(m.group(0)).get("name") == sheet:
            return i
    return None


def _prefix(xml: bytes) -> bytes:
    root = _ROOT.search(xml)
    return (root.group(1) + b":") if root and root.group(1) else b""


def set_local_name(xml: bytes, name: str, sheet: str, formula: str | None, *,
                   hidden: bool = True) -> bytes:
    """``xml`` with the name ``name`` local to ``sheet`` set to ``formula`` (None: removed)."""
    index = sheet_index(xml, sheet)
    if index is None:
        raise KeyError(f"no sheet {sheet!r} in the workbook part")
    p = _prefix(xml)
    element = re.compile(rb"<%sdefinedName\b[^>]*?(?:/>|>.*?</%sdefinedName>)" % (p, p), re.S)
    for m in element.finditer(xml):
        attrs = _attrs(m.group(0)[:m.group(0).index(b">") + 1])
        if attrs.get("name") == name and attrs.get("localSheetId") == str(index):
            xml = xml[:m.start()] + xml[m.end():]
            break
    if formula is None:  # removed; a container left empty goes too
        return re.sub(rb"<%sdefinedNames>\s*</%sdefinedNames>" % (p, p), b"", xml, count=1)
    new = (b'<%sdefinedName name="%s" localSheetId="%d"%s>%s</%sdefinedName>'
           % (p, escape_text(name).encode(), index, b' hidden="1"' if hidden else b"",
              escape_text(formula).encode("utf-8"), p))
    close = xml.find(b"</%sdefinedNames>" % p)
    if close >= 0:
        return xml[:close] + new + xml[close:]
    empty = re.search(rb"<%sdefinedNames\s*/>" % p, xml)
    if empty:
        return xml[:empty.start()] + b"<%sdefinedNames>%s</%sdefinedNames>" % (p, new, p) + \
            xml[empty.end():]
    # CT_Workbook: ... sheets, functionGroups?, externalReferences?, definedNames?, calcPr? ...
    after = max((m.end() for tag in (b"sheets", b"functionGroups", b"externalReferences")
                 for m in re.finditer(rb"</%s%s>|<%s%s\b[^>]*/>" % (p, tag, p, tag), xml)),
                default=-1)
    if after < 0:
        raise KeyError("workbook part without <sheets>")
    return xml[:after] + b"<%sdefinedNames>%s</%sdefinedNames>" % (p, new, p) + xml[after:]


def retarget_local_name(xml: bytes, name: str, sheet: str, formula: str) -> bytes:
    """``xml`` with the text of the existing name ``name`` local to ``sheet`` replaced in place
    (its attributes and position kept; unchanged when there is no such name)."""
    index = sheet_index(xml, sheet)
    if index is None:
        return xml
    p = _prefix(xml)
    element = re.compile(rb"(<%sdefinedName\b[^>]*>)(.*?)(</%sdefinedName>)" % (p, p), re.S)
    for m in element.finditer(xml):
        attrs = _attrs(m.group(1))
        if attrs.get("name") == name and attrs.get("localSheetId") == str(index):
            return xml[:m.start(2)] + escape_text(formula).encode("utf-8") + xml[m.end(2):]
    return xml
