"""Read-only view of an .xlsx/.xlsm package: parts, relationships, sheets, tables, styles."""

from __future__ import annotations


import io
import posixpath
import re
import zipfile
from collections.abc import Collection
from functools import cached_property, partial
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import numpy as np
from lxml import etree

from . import scan
from .errors import CorruptWorkbook, NotAWorkbook, WorkbookError, os_reason
from .extent import Extent, check_ref, check_shared_text, string_sizes
from .safexml import local, parse_xml
from .safezip import ZIP_ERRORS, inflate_head, inflate_member
from .cellref import parse_range
from .xmltext import decode_xstring

CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
PERCENT_BUILTIN_FORMATS = (9, 10)
# Quoted literals, escaped characters and [colour/condition] sections do not make a format a
# percentage even if they contain "%".
FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


class SheetInfo(NamedTuple):
    name: str
    part: str
    sheet_id: int
    state: str  # "visible", "hidden" or "veryHidden"


class TableInfo(NamedTuple):
    name: str
    display_name: str
    ref: str
    part: str
    header_row_count: int
    totals_row_count: int
    columns: list[str]


class DefinedName(NamedTuple):
    name: str
    local_sheet_id: int | None
    text: str


class Relationship(NamedTuple):
    id: str
    type: str
    target: str  # resolved part name (no leading "/"), or the raw URL if external
    external: bool


def _rels_part(source: str) -> str:
    folder, name = posixpath.split(source)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _attr_local(el: etree._Element, name: str) -> str | None:
    """Attribute by local name in any namespace (for r:id in transitional and strict files)."""
    for key, value in el.attrib.items():
        if key.rpartition("}")[2] == name and key.startswith("{"):
            return value
    return None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


READ_CACHE_PARTS = 4  # a job reads the same sheet, its styles and rels several times


class Package:
    """A workbook file on disk; every read reopens the file (no handle stays open) and
    refuses to go on if the file changed since it was opened."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo]) -> None:
        self.path = path
        self.infos = infos
        self._by_name = {info.filename.lower(): info for info in infos}
        self._stamp = self._current_stamp()
        self._reads: dict[str, bytes] = {}  # the last few parts read, least recent first
        self._rels: dict[str, tuple[Relationship, ...]] = {}  # parsed once per source
        self._scans: dict[str, scan.SheetScan] = {}  # of the last few sheet parts read
        self._string_sizes: np.ndarray | None = None  # bytes of each shared string

    def _current_stamp(self) -> tuple[int, int]:
        st = self.path.stat()
        return st.st_size, st.st_mtime_ns

    # --- parts ------------------------------------------------------------------------

    def info(self, part: str) -> zipfile.ZipInfo | None:
        return self._by_name.get(part.lstrip("/").lower())

    def has_part(self, part: str) -> bool:
        return self.info(part) is not None

    def part_name(self, part: str) -> str:
        """The member name as stored in the zip (part names are case-insensitive)."""
        info = self.info(part)
        if info is None:
            raise CorruptWorkbook(self.path, f"Bestandteil {part} fehlt")
        return info.filename

    def read(self, part: str) -> bytes:
        """Inflate one part within the size limits of :mod:`safezip`.

        The most recently read part is kept, so repeated scans of one sheet inflate it once.
        """
        info = self.info(part)
        if info is None:
            raise CorruptWorkbook(self.path, f"Bestandteil {part} fehlt")
        try:
            self._check_unchanged()
            data = self._reads.pop(info.filename, None)
            if data is None:
                data = inflate_member(self.path, info)
            self._reads[info.filename] = data  # most recent last
            while len(self._reads) > READ_CACHE_PARTS:
                del self._reads[next(iter(self._reads))]
            return data
        except ZIP_ERRORS as exc:
            raise CorruptWorkbook(self.path, str(exc)) from exc
        except OSError as exc:
            raise CorruptWorkbook(self.path, os_reason(exc)) from exc

    def _check_unchanged(self) -> None:
        if self._current_stamp() != self._stamp:
            raise WorkbookError(
                f"„{self.path.name}“ wurde während der Verarbeitung verändert. "
                "Bitte erneut versuchen.",
                path=self.path,
            )

    def read_head(self, part: str, size: int) -> bytes:
        """The first ``size`` bytes of a part (all of it when it is read already)."""
        info = self.info(part)
        if info is None:
            raise CorruptWorkbook(self.path, f"Bestandteil {part} fehlt")
        if info.filename in self._reads:
            return self._reads[info.filename][:size]
        try:
            return inflate_head(self.path, info, size)
        except ZIP_ERRORS as exc:
            raise CorruptWorkbook(self.path, str(exc)) from exc
        except OSError as exc:
            raise CorruptWorkbook(self.path, os_reason(exc)) from exc

    def read_xml(self, part: str) -> etree._Element:
        return parse_xml(self.read(part), self.part_name(part), self.path)

    def relationships(self, source: str) -> list[Relationship]:
        """Relationships of ``source`` ("" for the package); missing .rels means none. Parsed
        once (a workbook's structure is asked for several times per job)."""
        if source not in self._rels:
            self._rels[source] = tuple(self._parse_relationships(source))
        return list(self._rels[source])

    def _parse_relationships(self, source: str) -> list[Relationship]:
        rels_part = "_rels/.rels" if not source else _rels_part(source)
        if not self.has_part(rels_part):
            return []
        base = posixpath.dirname(source)
        result = []
        for el in self.read_xml(rels_part):
            if local(el.tag) != "Relationship":
                continue
            target = el.get("Target", "")
            external = el.get("TargetMode") == "External"
            if not external:
                target = unquote(target)
                target = target[1:] if target.startswith("/") else posixpath.join(base, target)
                target = posixpath.normpath(target)
            result.append(Relationship(el.get("Id", ""), el.get("Type", ""), target, external))
        return result

    def _related(self, source: str, type_suffix: str) -> list[Relationship]:
        return [
            rel
            for rel in self.relationships(source)
            if rel.type.endswith(type_suffix) and not rel.external
        ]

    # --- workbook ---------------------------------------------------------------------

    @cached_property
    def workbook_part(self) -> str:
        """Main part (usually ``xl/workbook.xml``), checked to be a SpreadsheetML workbook."""
        if not self.has_part(CONTENT_TYPES):
            raise NotAWorkbook(self.path, f"{CONTENT_TYPES} fehlt")
        main = self._related("", "/officeDocument")
        if not main or not self.has_part(main[0].target):
            raise NotAWorkbook(self.path, "kein Arbeitsmappen-Bestandteil")
        part = self.part_name(main[0].target)
        content_type = self._content_type(part)
        if content_type not in WORKBOOK_TYPES:
            hint = ".xlsb-Binärformat" if "binary" in content_type else ""
            raise NotAWorkbook(self.path, hint)
        return part

    def _content_type(self, part: str) -> str:
        defaults, overrides = self._content_types
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        return overrides.get(part.lower(), defaults.get(ext, ""))

    @cached_property
    def _content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(content type by extension, by part name) from ``[Content_Types].xml``."""
        defaults, overrides = {}, {}
        for el in self.read_xml(CONTENT_TYPES):
            if local(el.tag) == "Default":
                defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            elif local(el.tag) == "Override":
                overrides[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
        return defaults, overrides

    @cached_property
    def _workbook_xml(self) -> etree._Element:
        return self.read_xml(self.workbook_part)

    def _workbook_children(self, container: str, child: str) -> list[etree._Element]:
        return [
            el
            for parent in self._workbook_xml
            if local(parent.tag) == container
            for el in parent
            if local(el.tag) == child
        ]

    def biggest_sheet(self) -> SheetInfo | None:
        """The worksheet with the most bytes (inflated), where a customer list most likely is."""
        sizes = [(info.file_size, sheet) for sheet in self.sheets()
                 if (info := self.info(sheet.part)) is not None]
        return max(sizes, key=lambda pair: pair[0])[1] if sizes else None

    def sheets(self) -> list[SheetInfo]:
        """Worksheets in workbook order (chart sheets, dialog and macro sheets excluded)."""
        return list(self._sheets)

    @cached_property
    def _sheets(self) -> tuple[SheetInfo, ...]:
        return tuple(self._worksheets())

    def _worksheets(self) -> list[SheetInfo]:
        rels = {rel.id: rel for rel in self._related(self.workbook_part, "/worksheet")}
        result = []
        for el in self._workbook_children("sheets", "sheet"):
            rel = rels.get(_attr_local(el, "id") or "")
            if rel is None:
                continue
            result.append(
                SheetInfo(
                    el.get("name", ""),
                    self.part_name(rel.target),
                    _int(el.get("sheetId"), 0),
                    el.get("state", "visible"),
                )
            )
        return result

    def defined_names(self) -> list[DefinedName]:
        return [
            DefinedName(
                el.get("name", ""),
                _int(el.get("localSheetId"), -1) if el.get("localSheetId") is not None else None,
                el.text or "",
            )
            for el in self._workbook_children("definedNames", "definedName")
        ]

    # --- tables and styles ------------------------------------------------------------

    def tables(self, sheet_part: str) -> list[TableInfo]:
        """Excel tables (ListObjects) of a worksheet."""
        result = []
        for rel in self._related(self.part_name(sheet_part), "/table"):
            part = self.part_name(rel.target)
            root = self.read_xml(part)
            columns = [
                decode_xstring(col.get("name", ""))
                for group in root
                if local(group.tag) == "tableColumns"
                for col in group
                if local(col.tag) == "tableColumn"
            ]
            info = TableInfo(
                root.get("name", ""),
                root.get("displayName", root.get("name", "")),
                root.get("ref", ""),
                part,
                _int(root.get("headerRowCount"), 1),
                _int(root.get("totalsRowCount"), 0),
                columns,
            )
            self._check_table(info, sheet_part)
            result.append(info)
        return result

    def _check_table(self, table: TableInfo, sheet_part: str) -> None:
        """A table's range is a range of the grid, as wide as its columns, tall enough for its
        header and totals rows (else the part is corrupt: Excel repairs it on opening)."""
        sheet = self._sheet_name(self.part_name(sheet_part))
        where = f"Tabelle „{table.display_name}“ ({table.part}) auf Blatt „{sheet}“"
        try:
            check_ref(table.ref, sheet, self.path)
        except CorruptWorkbook as exc:
            raise CorruptWorkbook(self.path, f"{where}: Bereich „{table.ref}“ ist ungültig"
                                  ) from exc
        (r0, c0), (r1, c1) = parse_range(table.ref)
        if len(table.columns) != c1 - c0 + 1:
            raise CorruptWorkbook(self.path, f"{where}: Bereich {table.ref} hat {c1 - c0 + 1} "
                                  f"Spalten, die Tabelle beschreibt {len(table.columns)}")
        if table.header_row_count < 0 or table.totals_row_count < 0 or \
                table.header_row_count + table.totals_row_count > r1 - r0 + 1:
            raise CorruptWorkbook(self.path, f"{where}: Bereich {table.ref} hat zu wenige "
                                  "Zeilen für Kopf- und Ergebniszeile")

    def styles_part(self) -> str | None:
        """The workbook's styles part (None if it has none)."""
        found = self._related(self.workbook_part, "/styles")
        return self.part_name(found[0].target) if found and self.has_part(found[0].target) \
            else None

    @cached_property
    def cell_formats(self) -> list[tuple[int, str]]:
        """Per ``cellXfs`` index: (numFmtId, custom format code or "")."""
        styles = self._related(self.workbook_part, "/styles")
        if not styles or not self.has_part(styles[0].target):
            return []
        root = self.read_xml(styles[0].target)
        custom = {
            _int(el.get("numFmtId"), -1): el.get("formatCode", "")
            for group in root
            if local(group.tag) == "numFmts"
            for el in group
            if local(el.tag) == "numFmt"
        }
        ids = [
            _int(el.get("numFmtId"), 0)
            for group in root
            if local(group.tag) == "cellXfs"
            for el in group
            if local(el.tag) == "xf"
        ]
        return [(fmt, custom.get(fmt, "")) for fmt in ids]

    def percent_style_index(self) -> int | None:
        """Index into ``cellXfs`` of an existing percent style (builtin 9/10 preferred)."""
        formats = self.cell_formats
        for index, (fmt, _code) in enumerate(formats):
            if fmt in PERCENT_BUILTIN_FORMATS:
                return index
        for index, (_fmt, code) in enumerate(formats):
            if code and "%" in FORMAT_LITERALS.sub("", code):
                return index
        return None

    def shared_strings_part(self) -> str | None:
        found = self._related(self.workbook_part, "/sharedStrings")
        return self.part_name(found[0].target) if found and self.has_part(found[0].target) \
            else None

    # --- worksheet scans --------------------------------------------------------------

    def sheet_scan(self, sheet_part: str) -> scan.SheetScan:
        """The scan of a sheet part: made once and kept while the part's bytes are (a job
        scans the sheet it reads and then writes)."""
        part = self.part_name(sheet_part)
        found = self._scans.pop(part, None)
        if found is not None and found.released:  # its bytes are read again when needed
            try:
                self._check_unchanged()
            except OSError as exc:
                raise CorruptWorkbook(self.path, os_reason(exc)) from exc
        else:
            xml = self.read(part)
            if found is None or found.xml is not xml:
                found = scan.SheetScan(xml, part=part, source=str(self.path),
                                       sheet=self._sheet_name(part),
                                       reload=partial(self.read, part))
        self._scans[part] = found  # most recent last
        while len(self._scans) > READ_CACHE_PARTS:
            del self._scans[next(iter(self._scans))]
        return found

    def reading_copy(self, sheet_part: str, chunks: list[bytes]) -> bytes:
        """A workbook in memory, for a native reader, that holds what reading the cells of
        ``sheet_part`` needs (the workbook part and its relationships, shared strings, styles)
        with ``chunks`` joined as that sheet's part (stored, not deflated; each chunk dropped
        from the list once written)."""
        wanted = ["[Content_Types].xml", "_rels/.rels", self.workbook_part,
                  _rels_part(self.workbook_part), self.shared_strings_part(), self.styles_part()]
        part = self.part_name(sheet_part)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for name in (self.part_name(p) for p in wanted if p and self.has_part(p)):
                copy.writestr(name, self.read(name))
            with copy.open(zipfile.ZipInfo(part), "w", force_zip64=True) as sheet:
                chunks.reverse()
                while chunks:
                    sheet.write(chunks.pop())
        return out.getvalue()

    def release(self, part: str) -> None:
        """Let go of a part's bytes (inflated again when next needed; a sheet's scan keeps
        what it found): e.g. while a native reader reads a big sheet from the file itself,
        and while a job computes before it writes."""
        info = self.info(part)
        if info is None:
            return
        self._reads.pop(info.filename, None)
        found = self._scans.get(info.filename)
        if found is not None:
            found.release()

    def special_cells(
        self,
        sheet_part: str,
        min_row: int = 0,
        max_row: int | None = None,
        cols: Collection[int] | None = None,
    ) -> dict[tuple[int, int], scan.SpecialCell]:
        """Formula and error cells in rows ``min_row..max_row`` (inclusive) and ``cols``."""
        return self.sheet_scan(sheet_part).special_cells(min_row, max_row, cols)

    def cell_style(self, sheet_part: str, row: int, col: int) -> int | None:
        """Style index (``s``) of an existing cell: 0 if it has none, None if there is no cell."""
        return self.sheet_scan(sheet_part).cell_style(row, col)

    def merged_ranges(self, sheet_part: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return self.sheet_scan(sheet_part).merged_ranges()

    def extent(self, sheet_part: str) -> Extent:
        """Cells present and the last row and column of a worksheet, every reference checked
        (:mod:`extent`); scanned once per part."""
        return self.sheet_scan(sheet_part).extent

    def check_shared_text(self, sheet_part: str) -> None:
        """Refuse a sheet whose cells refer to more shared text than the readers may copy
        (:func:`extent.check_shared_text`); the table's item sizes are measured once."""
        sst = self.shared_strings_part()
        if sst is None:
            return
        if self._string_sizes is None:
            self._string_sizes = string_sizes(self.read(sst))
        part = self.part_name(sheet_part)
        check_shared_text(self.read(part), self._string_sizes, self._sheet_name(part), self.path)

    def _sheet_name(self, part: str) -> str:
        return next((s.name for s in self._sheets if s.part == part), part)
