"""The segmentation's output columns as an edit of the customer table, and the file writer.

Only the output cells (and the header cells of appended output columns) change: the sheet part is
patched, the table part grows when the columns are appended to an Excel Table, and every other zip
member is copied unchanged, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import is_
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.columns import HISTORY_OUTPUT_FIELDS, OUTPUT_FIELDS, OUTPUT_KEYS, header
from ..core.segment import SegmentResult
from ..xlsx.atomic import check_writable, write_package
from ..xlsx.cellref import MAX_COLS, a1, col_letter, parse_range, range_ref
from ..xlsx.definednames import retarget_local_name, set_local_name
from ..xlsx.errors import WorkbookError
from ..xlsx.cellvalue import KEEP, NumberColumn
from ..xlsx.scan import SheetScan
from ..xlsx.sheet_frame import (autofilter_ref, column_style, extend_autofilter, filter_over,
                                restyle_cells, set_row_heights, widen_columns)
from ..xlsx.sheetwriter import ColumnBlock, write_sheet
from ..xlsx.styles import StyleSheet, StylesError
from ..xlsx.tablepart import patch_table
from .edits import SheetEdit
from .headers import computed_header, normalize
from .names import OWNED_NAME, owned_columns, owned_formula, quoted_sheet
from .reader import CustomerTable
from .source import FileSource, SheetSource, column_values, grid_width

FILTER_NAME = "_xlnm._FilterDatabase"
NUMBER_FORMATS = {f.key: f.number_format for f in OUTPUT_FIELDS + HISTORY_OUTPUT_FIELDS
                  if f.number_format}
MAX_WIDTH = 60.0  # a long note wraps in the cell rather than making the column endless


class OutputBlocked(WorkbookError):
    """The columns right of the table are not free for the output columns."""


@dataclass
class OutputLayout:
    columns: dict[str, int]  # output key -> column
    new_keys: list[str] = field(default_factory=list)  # keys whose column is appended
    headers: dict[str, str] = field(default_factory=dict)  # output key -> header text

    @property
    def new_columns(self) -> list[int]:
        return [self.columns[k] for k in self.new_keys]


def plan_layout(source: SheetSource, table: CustomerTable,
                output_keys: Sequence[str] = OUTPUT_KEYS,
                header_of: Callable[[str], str] = header) -> OutputLayout:
    """Reuse the output columns this project owns, append the missing ones right of the table.

    A rep's own column under one of our headers is never written: the computed column goes
    beside the table under a distinct header (``ABC (berechnet)``)."""
    columns = {k: c for k, c in table.outputs.items() if k in output_keys}
    new_keys = [k for k in output_keys if k not in columns]
    start = max([table.last_col, *columns.values()]) + 1
    for offset, key in enumerate(new_keys):
        columns[key] = start + offset
    headers = {k: header_of(k) for k in output_keys}
    taken = {normalize(text) for text in table.headers.values()}
    for key in new_keys:
        if key in table.foreign:
            headers[key] = computed_header(headers[key], taken)
            taken.add(normalize(headers[key]))
    layout = OutputLayout(columns=columns, new_keys=new_keys, headers=headers)
    _check_free(source, table, layout)
    return layout


def foreign_notes(table: CustomerTable, layout: OutputLayout, header_of: Callable[[str], str]
                  ) -> list[str]:
    """What the run says about the rep's own columns under our headers."""
    notes = []
    for key, cols in table.foreign.items():
        if key not in layout.columns:
            continue
        col = layout.columns[key]
        # a column kept from an earlier run shows the header it has in the sheet
        result = str(table.headers.get(col, layout.headers[key])).strip()
        for own in cols:
            shown = str(table.headers.get(own, header_of(key))).strip()
            notes.append(f"{table.sheet}!{a1(table.header_row, own)}: Spalte „{shown}“ ist Ihre "
                         "eigene (nicht von xl-cseg angelegt) und bleibt unverändert; das "
                         f"Ergebnis steht in „{result}“ (Spalte {col_letter(col)})")
    return notes


def _check_free(source: SheetSource, table: CustomerTable, layout: OutputLayout) -> None:
    if not layout.new_keys:
        return
    c0, c1 = min(layout.new_columns), max(layout.new_columns)
    if c1 >= MAX_COLS:
        missing = [layout.headers[k] for k in layout.new_keys]
        raise OutputBlocked(
            f"{table.sheet}: rechts der Tabelle ist kein Platz für die Ausgabespalten "
            f"({', '.join(missing)}): die Tabelle reicht bis Spalte {col_letter(table.last_col)}, "
            "Excel hat nur 16.384 Spalten (bis XFD). Bitte nicht benötigte Spalten löschen "
            "oder die Spalten mit diesen Überschriften in der Tabelle anlegen.", path=table.path)
    last_row = max([table.header_row, *table.rows])
    grid, first, last = table.grid, table.header_row, min(last_row, len(table.grid) - 1)
    found = [(r, c) for c in range(c0, min(c1 + 1, grid_width(grid, first, last)))
             for r, value in enumerate(column_values(grid, c, first, last), start=first)
             if str(value).strip()]
    occupied = [a1(r, c) for r, c in sorted(found)]
    sheet = next(s for s in source.worksheets() if s.name == table.sheet)
    for other in source.tables(sheet):
        if table.table is not None and other.part == table.table.part:
            continue
        (r0, oc0), (r1, oc1) = parse_range(other.ref)
        if oc0 <= c1 and oc1 >= c0 and r0 <= last_row and r1 >= table.header_row:
            occupied.append(f"Tabelle {other.display_name}")
    if occupied:
        shown = ", ".join(occupied[:5]) + (" …" if len(occupied) > 5 else "")
        area = f"{table.sheet}!{a1(table.header_row, c0)}:{a1(last_row, c1)}"
        raise OutputBlocked(
            f"{area}: die Spalten rechts der Tabelle sind nicht frei ({shown}). Die "
            f"Ausgabespalten ({', '.join(layout.headers[k] for k in layout.new_keys)}) werden dort "
            "angefügt; bitte die Zellen leeren oder die Spalten mit diesen Überschriften in der "
            "Tabelle anlegen.", path=table.path)


def cell_values(column: pd.Series) -> list[Any]:
    """A column's values as Python objects, missing ones (NaN, NA, NaT) as None."""
    array = column.to_numpy()
    if array.dtype.kind == "f":
        values, missing = array.tolist(), np.isnan(array)
    elif array.dtype == object:
        values = array.tolist()
        if set(map(type, values)) <= {str, type(None)}:  # text columns: nothing to look for
            return values
        missing = pd.isna(array)
    else:
        values = column.astype(object)
        return values.where(values.notna(), None).tolist()
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    return values


def output_cells(table: CustomerTable, layout: OutputLayout, output: pd.DataFrame
                 ) -> tuple[dict[tuple[int, int], Any], ColumnBlock, list[str]]:
    """Header cells of appended columns, the output values as one column block, and notes for
    output cells left alone because they hold the user's formulas."""
    cells = {(table.header_row, layout.columns[key]): layout.headers[key]
             for key in layout.new_keys}
    rows = _rows(output.index)
    position = {row: i for i, row in enumerate(rows)} if table.special else {}
    columns: dict[int, Sequence[Any]] = {}
    for key, col in layout.columns.items():
        array = output[key].to_numpy()
        # numbers as one array (no Python float per row), anything else as Python objects
        columns[col] = NumberColumn(array) if array.dtype.kind == "f" else \
            cell_values(output[key])
    kept = sorted(rc for rc, cell in table.special.items()
                  if cell.kind == "formula" and rc[0] in position and rc[1] in columns)
    for r, c in kept:
        if isinstance(columns[c], NumberColumn):
            columns[c] = columns[c].tolist()
        columns[c][position[r]] = KEEP
    notes = [f"{table.sheet}!{a1(r, c)}: enthält eine Formel, bleibt unverändert" for r, c in kept]
    return cells, ColumnBlock(rows, columns), notes


def _rows(index: pd.Index) -> Sequence[int]:
    """The rows of an output frame: a ``range`` where they follow each other (the usual
    table), else a list."""
    rows = index.to_numpy()
    if rows.dtype.kind in "iu" and len(rows) and \
            rows[-1] - rows[0] == len(rows) - 1 and bool(np.all(np.diff(rows) == 1)):
        return range(int(rows[0]), int(rows[-1]) + 1)
    return list(index)


def segment_edit(source: SheetSource, table: CustomerTable, result: SegmentResult
                 ) -> tuple[SheetEdit, list[str]]:
    """The output columns as one edit of the customer sheet, and notes for kept formulas."""
    history = tuple(f.key for f in HISTORY_OUTPUT_FIELDS if f.key in result.output)
    keys = (*OUTPUT_KEYS[:-1], *history, OUTPUT_KEYS[-1]) if history else OUTPUT_KEYS
    return table_edit(source, table, result.output, keys, header, NUMBER_FORMATS)


def table_edit(source: SheetSource, table: CustomerTable, output: pd.DataFrame,
               output_keys: Sequence[str], header_of: Callable[[str], str],
               formats: Mapping[str, str] | None = None) -> tuple[SheetEdit, list[str]]:
    """Output columns of any table (customers, measures) as one edit of its sheet: values,
    headers of appended columns styled like the table's last header, number formats
    (``formats``: key -> Excel format code) for the new cells of a column, widths that fit
    header and values, and a worksheet autofilter over the table grown over the new columns."""
    formats = formats or {}
    layout = plan_layout(source, table, output_keys, header_of)
    cells, block, notes = output_cells(table, layout, output)
    notes = foreign_notes(table, layout, header_of) + notes
    styles: dict[tuple[int, int], tuple] = {}
    column_styles: dict[int, tuple] = {}
    for key in layout.new_keys:
        styles[(table.header_row, layout.columns[key])] = ("like", (table.header_row,
                                                                    table.last_col))
    first = table.rows[0] if table.rows else table.header_row + 1
    for key, col in layout.columns.items():
        if key in formats:  # an existing column's cells keep a look they have of this kind
            column_styles[col] = ("format", formats[key]) if key in layout.new_keys \
                else ("format_of", (first, col), formats[key])
    sheet = next(s for s in source.worksheets() if s.name == table.sheet)
    widths = {col: fitting_width(layout.headers[key], block.columns[col], formats.get(key))
              for key, col in layout.columns.items()}
    last_row = max([table.header_row, *table.rows])
    edit = SheetEdit(sheet=sheet, cells=cells, styles=styles, column_styles=column_styles,
                     block=block, owned_columns=sorted(layout.columns.values()), widths=widths,
                     filter_to=(table.header_row, max(layout.columns.values()), last_row))
    if table.table is not None and layout.new_keys:
        (r0, c0), (r1, _c1) = parse_range(table.table.ref)
        edit.table = table.table
        edit.table_ref = range_ref(r0, c0, r1, max(layout.new_columns))
        edit.add_columns = [layout.headers[k] for k in layout.new_keys]
    return edit, notes


def fitting_width(header_text: str, values: Sequence[Any], number_format: str | None) -> float:
    """A column width (Excel's units: characters of the default font) that shows the header on
    one line, with room for a filter button, and the values as formatted."""
    if isinstance(values, NumberColumn):  # what counts is its largest number, if it has one
        numbers = np.abs(values.array[~np.isnan(values.array)])
        values = [float(numbers.max())] if len(numbers) else []
    longest = 0
    types = set(map(type, values))
    text_types = {t for t in types if issubclass(t, str)}
    number_types = {t for t in types
                    if issubclass(t, (int, float)) and not issubclass(t, bool)}
    # a column of one kind and empty cells (the usual output column) is filtered in C: filter
    # drops None and "" (length 0) or None and zeros (absolute value 0), neither changes a width;
    # a mixed one (a trend is a number or "neu") by the exact types present, also in C
    alone = types - {type(None)}
    if text_types:
        texts = filter(None, values) if alone == text_types else _of_types(values, text_types)
        longest = max(map(len, texts), default=0)
    if number_types:
        numbers = list(filter(None, values)) or [0] if alone == number_types else \
            list(_of_types(values, number_types))
        big = float(np.max(np.abs(np.asarray(numbers, dtype=float))))
        if number_format and "%" in number_format:
            shown = f"{big * 100:,.1f} %"
        elif number_format and "€" in number_format:
            shown = f"-{big:,.0f} €"
        else:
            shown = f"-{big:,.2f}"
        longest = max(longest, len(shown))
    need = max(len(header_text) * 1.15 + 3.0, min(longest * 1.1 + 2.0, MAX_WIDTH))
    return round(need, 2)


def _of_types(values: Sequence[Any], types: set[type]) -> Iterable[Any]:
    """The ``values`` whose type is one of ``types`` (exactly; in no particular order)."""
    return chain.from_iterable(compress(values, map(is_, map(type, values), repeat(kind)))
                               for kind in types)


class FileWriter:
    """Applies edits to a workbook file: patched sheet and table parts, everything else copied
    unchanged, written atomically to ``dst`` (which may be the source itself)."""

    def __init__(self, source: FileSource, dst: Path) -> None:
        self.source, self.dst = source, dst
        self._styles: StyleSheet | None = None

    def apply(self, edits: Sequence[SheetEdit]) -> None:
        check_writable(self.dst)
        pkg = self.source.package
        replacements: dict[str, bytes | list[bytes]] = {}
        filters: dict[str, str] = {}  # sheet -> its grown autofilter range
        for edit in edits:
            part = edit.sheet.part
            # in the order the edit names them: styles added to the workbook come in that order
            hints = dict.fromkeys([*edit.styles.values(), *edit.column_styles.values()])
            resolved = {hint: self._style(part, hint) for hint in hints}
            styles = {rc: resolved[hint] for rc, hint in edit.styles.items()
                      if resolved[hint] is not None}
            # owned cells shown with a format: existing ones restyled, new ones created so
            restyle = {rc: self._style(part, ("format_of", rc, hint[1]), exact=True)
                       for rc, hint in edit.restyle.items()}
            styles.update((rc, s) for rc, s in restyle.items() if s is not None)
            by_column = {col: resolved[hint] for col, hint in edit.column_styles.items()
                         if resolved[hint] is not None}
            current = replacements.get(part)
            sheet = pkg.sheet_scan(part) if current is None else \
                SheetScan(b"".join(current), source=str(pkg.path))
            chunks = write_sheet(sheet, edit.cells, cell_styles=styles, default_styles=by_column,
                                 block=edit.block)
            chunks = restyle_cells(chunks, {rc: s for rc, s in restyle.items() if s is not None})
            chunks = widen_columns(chunks, edit.widths)
            chunks = set_row_heights(chunks, edit.heights)
            if edit.filter_to is not None and edit.table is None:
                ref = autofilter_ref(chunks)
                grown = filter_over(ref, *edit.filter_to) if ref else None
                if grown is not None:
                    chunks = extend_autofilter(chunks, grown)
                    filters[edit.sheet.name] = grown
            replacements[part] = chunks
            if edit.table is not None and edit.table_ref:
                replacements[edit.table.part] = patch_table(
                    pkg.read(edit.table.part), ref=edit.table_ref, add_columns=edit.add_columns)
        workbook = self._filter_names(self._marked(edits), filters)
        if workbook is not None:
            replacements[pkg.workbook_part] = workbook
        if self._styles is not None and self._styles.changed:
            replacements[self._styles.part] = self._styles.patched()
        write_package(pkg.path, self.dst, replacements)

    def write_sheets(self, source: SheetSource, contents: Sequence[Any], ours: Recognise
                     ) -> None:
        """Sheets of our own (see :func:`write_sheets`); ``source`` is this writer's source."""
        write_sheets(self.source, self.dst, contents, ours)

    def _marked(self, edits: Sequence[SheetEdit]) -> bytes | None:
        """The workbook part with the marker of the owned columns brought up to date (None when
        it is already), so the next run knows which columns it may write."""
        pkg = self.source.package
        names = pkg.defined_names()
        xml = None
        for edit in edits:
            if edit.owned_columns is None:
                continue
            if owned_columns(names, edit.sheet.name) == set(edit.owned_columns):
                continue
            xml = set_local_name(pkg.read(pkg.workbook_part) if xml is None else xml, OWNED_NAME,
                                 edit.sheet.name, owned_formula(edit.sheet.name,
                                                                edit.owned_columns))
        return xml

    def _filter_names(self, xml: bytes | None, filters: dict[str, str]) -> bytes | None:
        """The workbook part with the hidden name Excel keeps for a sheet's autofilter
        (``_xlnm._FilterDatabase``) following the grown filter, where the workbook has one
        (its text replaced in place, the element where it was)."""
        pkg = self.source.package
        for sheet, ref in filters.items():
            (r0, c0), (r1, c1) = parse_range(ref)
            formula = (f"{quoted_sheet(sheet)}!${col_letter(c0)}${r0 + 1}:"
                       f"${col_letter(c1)}${r1 + 1}")
            current = pkg.read(pkg.workbook_part) if xml is None else xml
            changed = retarget_local_name(current, FILTER_NAME, sheet, formula)
            if changed != current:
                xml = changed
        return xml

    def _style(self, part: str, hint: tuple, exact: bool = False) -> int | None:
        """The cellXfs index for a style hint; ``("format_of", (row, col), code)``: like that
        cell (keeping its number format if it is of the same kind, unless ``exact``)."""
        pkg = self.source.package
        if hint[0] == "like":
            return pkg.cell_style(part, *hint[1])
        if hint[0] in ("format", "format_of"):
            styles = self._style_sheet()
            if styles is None:
                return None
            base = None
            if hint[0] == "format_of":  # the cell's look, else its column's (as Excel gives it)
                base = pkg.cell_style(part, *hint[1]) or \
                    column_style(pkg.read(part), hint[1][1]) or base
            return styles.with_format(base, hint[-1], keep_kind=not exact)
        raise ValueError(f"unknown style hint {hint!r}")

    def _style_sheet(self) -> StyleSheet | None:
        """The workbook's styles, read once per write (None if it has none we can extend)."""
        if self._styles is None:
            pkg = self.source.package
            part = pkg.styles_part()
            if part is None:
                return None
            try:
                self._styles = StyleSheet(pkg.read(part), part)
            except StylesError:
                return None
        return self._styles

class SheetNotOurs(WorkbookError):
    """A sheet of the name we write exists and holds something else."""


Recognise = Callable[[Any, list[list[Any]]], bool]


def check_ours(source: SheetSource, contents: Sequence[Any], ours: Recognise) -> None:
    """Refuse (German message) when a sheet of a name we write holds something else."""
    existing = {s.name: s for s in source.worksheets()}
    for content in contents:
        sheet = existing.get(content.name)
        if sheet is not None and not ours(content, source.grid(sheet)):
            raise SheetNotOurs(
                f'„{source.path.name}“: das Blatt „{content.name}“ gibt es schon mit anderem '
                "Inhalt; es bleibt unverändert. Bitte das Blatt umbenennen, dann legt xl-cseg "
                "es neu an.", path=source.path)


def write_sheets(source: FileSource, dst: Path, contents: Sequence[Any], ours: Recognise) -> None:
    """Write sheets of our own (:class:`xlsx.new_sheet.SheetContent`) into the workbook: added
    when absent, rewritten when present and ``ours(content, grid)`` recognises them; a sheet of
    that name holding anything else is refused (nothing written). Atomic, every other part
    copied unchanged."""
    from ..xlsx.new_sheet import sheet_changes

    check_writable(dst)
    check_ours(source, contents, ours)
    changes = sheet_changes(source.package, contents)
    write_package(source.package.path, dst, changes.replacements, changes.additions)
