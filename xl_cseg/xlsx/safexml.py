"""Hardened XML parsing: no DTDs, no entities, no network."""

from __future__ import annotations

import os
import re

from lxml import etree

from .errors import CorruptWorkbook, UnsafeXml

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Whitespace, XML declaration / processing instructions and comments may precede the root.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_PROLOG_ITEM_STR = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        dtd_validation=False,
    )


def check_prolog(data: bytes, part: str, source: str | os.PathLike[str] | None = None) -> None:
    """Raise :class:`UnsafeXml` if the document declares a DOCTYPE or ENTITY before its root."""
    text: bytes | str = data
    pattern = _PROLOG_ITEM
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding != "utf-8":
                text, pattern = (
                    data[len(bom) :].decode(encoding, errors="replace"),
                    _PROLOG_ITEM_STR,
                )
            else:
                text = data[len(bom) :]
            break
    pos = 0
    while m := pattern.match(text, pos):
        pos = m.end()
    head = text[pos : pos + 2]
    if head in (b"<!", "<!"):
        raise UnsafeXml(source, part, "DOCTYPE- oder ENTITY-Deklaration")
    if head[:1] not in (b"<", "<"):
        raise CorruptWorkbook(source, f"{part}: kein gültiges XML")


def parse_xml(
    data: bytes, part: str, source: str | os.PathLike[str] | None = None
) -> etree._Element:
    """Parse ``data`` safely and return the root element; ``part`` names it in errors."""
    check_prolog(data, part, source)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise CorruptWorkbook(source, f"{part}: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXml(source, part, "DOCTYPE- oder ENTITY-Deklaration")
    return root


def local(tag: object) -> str:
    """Local name of an element tag ("{ns}row" -> "row"); "" for comments and PIs."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
