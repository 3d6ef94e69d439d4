"""Check the SpreadsheetML parts of a written file against the ECMA-376 schemas.

The schemas live in ``<repo>/../shared/schemas/ecma-376`` (CI lays ``shared/`` beside the clone);
tests that use :func:`schema_errors` are skipped with :data:`needs_schemas` when it is absent.
Before validating, what markup compatibility lets a reader ignore is dropped (elements and
attributes in the namespaces of ``mc:Ignorable``; ``mc:AlternateContent`` replaced by its
``mc:Fallback``), and ``xml:space`` on ``<t>``, which Excel writes but these schemas do not declare.
"""

from __future__ import annotations

import functools
import posixpath
import zipfile
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO.parent / "shared" / "schemas" / "ecma-376"
needs_schemas = pytest.mark.skipif(not SCHEMAS.is_dir(),
                                   reason=f"ECMA-376 schemas not found in {SCHEMAS}")

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

# relationship type (after OFFICE_REL) -> schema file that declares the part's root element
PART_SCHEMAS = {
    "officeDocument": "sml-sheet.xsd",  # sml-sheet.xsd includes workbook, styles, strings
    "worksheet": "sml-sheet.xsd",
    "styles": "sml-sheet.xsd",
    "sharedStrings": "sml-sheet.xsd",
    "table": "sml-table.xsd",
    "comments": "sml-comments.xsd",
}


@functools.cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def without_ignorable(root: etree._Element) -> etree._Element:
    """A copy of ``root`` without what markup compatibility allows a reader to ignore."""
    root = etree.fromstring(etree.tostring(root))
    ignorable: set[str] = set()
    for el in root.iter():
        prefixes = el.get(f"{{{MC}}}Ignorable")
        if prefixes:
            ignorable.update(el.nsmap[p] for p in prefixes.split() if p in el.nsmap)
    for alt in list(root.iter(f"{{{MC}}}AlternateContent")):
        fallback = alt.find(f"{{{MC}}}Fallback")
        parent = alt.getparent()
        at = parent.index(alt)
        for i, child in enumerate(list(fallback) if fallback is not None else []):
            parent.insert(at + i, child)
        parent.remove(alt)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace in ignorable:
            el.getparent().remove(el)
            continue
        for key in list(el.attrib):
            ns = etree.QName(key).namespace
            if ns == MC or ns in ignorable or (key == XML_SPACE and etree.QName(el).localname
                                                == "t"):
                del el.attrib[key]
    etree.cleanup_namespaces(root)
    return root


def _targets(zf: zipfile.ZipFile, source: str) -> list[tuple[str, str]]:
    """(relationship type suffix, part name) of the internal relationships of ``source``."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels") if source else "_rels/.rels"
    if rels not in zf.namelist():
        return []
    found = []
    for el in etree.fromstring(zf.read(rels)):
        if el.get("TargetMode") == "External":
            continue
        target = el.get("Target", "")
        part = target[1:] if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        found.append((el.get("Type", "").rpartition("/")[2], part))
    return found


def checked_parts(path: Path) -> list[tuple[str, str]]:
    """(part name, relationship kind) of every part of ``path`` that is checked."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        found = [(part, kind) for kind, part in _targets(zf, "") if kind == "officeDocument"]
        queue = [part for part, _kind in found]
        seen = set(queue)
        while queue:
            source = queue.pop()
            for kind, part in _targets(zf, source):
                if kind in PART_SCHEMAS and part not in seen and part in names:
                    seen.add(part)
                    found.append((part, kind))
                    queue.append(part)
    return sorted(found)


def schema_errors(path: Path) -> list[str]:
    """Schema violations of the workbook, styles, shared strings, worksheets, tables and
    comments of ``path`` ("part: line: message"); empty when all are valid."""
    errors: list[str] = []
    parts = checked_parts(path)
    with zipfile.ZipFile(path) as zf:
        for part, kind in parts:
            try:
                root = etree.fromstring(zf.read(part))
            except etree.XMLSyntaxError as exc:
                errors.append(f"{part}: kein wohlgeformtes XML: {exc}")
                continue
            if etree.QName(root).namespace != MAIN:
                errors.append(f"{part}: Wurzel {root.tag} nicht im SpreadsheetML-Namensraum")
                continue
            schema = _schema(PART_SCHEMAS[kind])
            if not schema.validate(without_ignorable(root)):
                errors += [f"{part}: {e.line}: {e.message}" for e in schema.error_log]
    kinds = {kind for _part, kind in parts}
    if not {"officeDocument", "styles", "worksheet"} <= kinds:
        errors.append(f"nicht alle Grundbestandteile gefunden: {sorted(kinds)}")
    return errors


def assert_schema_valid(path: Path) -> None:
    errors = schema_errors(path)
    assert not errors, f"{path.name}: " + "\n".join(errors[:20])
