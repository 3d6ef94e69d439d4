"""The workbook open in Excel (an xlwings ``Book``) as a :class:`SheetSource` and a
:class:`WorkbookWriter`, so the ribbon macros run the same jobs as the command line.

Excel is slow per call, so everything goes in bulk: one value read per sheet (A1 to the used
range's last cell), one formula read per scanned block, one write per rectangle of changed cells.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Sequence

from ..xlsx.cellref import parse_range, range_ref
from ..xlsx.errors import WorkbookError
from ..xlsx.package import SheetInfo, TableInfo
from ..xlsx.cellvalue import KEEP
from ..xlsx.new_sheet import Formula
from ..xlsx.sheet_frame import filter_over
from ..xlsx.styles import is_percent
from .cellvalues import from_xlwings, xlwings_special
from .edits import SheetEdit
from .names import OWNED_NAME, NamedCell, named_cells, owned_formula, quoted_sheet
from .source import Grid, Merged

_TEXT_WORDS = frozenset(("true", "false", "wahr", "falsch"))
_FONT = ("name", "size", "bold", "italic", "color")

Rect = tuple[int, int, int, int]  # first row, first col, last row, last col (0-based, inclusive)


class WriteFailed(WorkbookError):
    """Excel refused a change (protected sheet, ...); everything written before is undone."""


class RollbackFailed(WorkbookError):
    """A write failed and the old contents could not all be put back."""


def _2d(value: Any, rows: int, cols: int) -> list[list[Any]]:
    """A range property (scalar for one cell, flat for one row/column on some platforms) as rows."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)] if rows == 1 else [[v] for v in value]
    return [list(row) for row in value]


class _DefinedNames:
    """The book's names in the shape :func:`names.named_cells` reads from a package."""

    def __init__(self, book: Any) -> None:
        self.book = book

    def defined_names(self) -> Iterable[tuple[str, str | None, str]]:
        for name in self.book.names:
            sheet, _, bare = name.name.rpartition("!")  # "Kunden!x" is local to a sheet
            yield bare, sheet or None, name.refers_to or ""


class ExcelSource:
    """An open xlwings book. Sheets are keyed by name (``SheetInfo.part`` is the sheet name,
    ``TableInfo.part`` the table name)."""

    specials_read_as_blank = False  # Excel shows error values; formulas are asked for

    def __init__(self, book: Any) -> None:
        self.book = book
        self.path = Path(book.fullname)
        self._sheets: list[SheetInfo] | None = None
        self._raw: dict[str, list[list[Any]]] = {}
        self._grids: dict[str, Grid] = {}
        self._names: dict[str, NamedCell] | None = None

    def _sheet(self, sheet: SheetInfo) -> Any:
        return self.book.sheets[sheet.name]

    def worksheets(self) -> list[SheetInfo]:
        if self._sheets is None:
            self._sheets = [SheetInfo(s.name, s.name, i + 1, "visible" if s.visible else "hidden")
                            for i, s in enumerate(self.book.sheets)]
        return self._sheets

    def _values(self, sheet: SheetInfo) -> list[list[Any]]:
        """The sheet's values from A1 as xlwings reads them (errors as "#N/A" etc.), read once."""
        if sheet.name not in self._raw:
            ws = self._sheet(sheet)
            last = ws.used_range.last_cell
            rows, cols = last.row, last.column
            value = ws.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
            self._raw[sheet.name] = _2d(value, rows, cols)
        return self._raw[sheet.name]

    def grid(self, sheet: SheetInfo) -> Grid:
        if sheet.name not in self._grids:
            grid = [[from_xlwings(v) for v in row] for row in self._values(sheet)]
            while grid and all(v == "" for v in grid[-1]):
                grid.pop()
            self._grids[sheet.name] = grid
        return self._grids[sheet.name]

    def tables(self, sheet: SheetInfo) -> list[TableInfo]:
        grid = self.grid(sheet)
        found = []
        for table in self._sheet(sheet).tables:
            ref = table.range.address.replace("$", "")
            (r0, c0), (_r1, c1) = parse_range(ref)
            headers = bool(table.show_headers)
            row = grid[r0] if headers and r0 < len(grid) else []
            columns = [str(row[c]) if c < len(row) else "" for c in range(c0, c1 + 1)] if row else []
            found.append(TableInfo(table.name, table.name, ref, table.name, int(headers),
                                   int(bool(table.show_totals)), columns))
        return found

    def merged_ranges(self, sheet: SheetInfo) -> Merged:
        """Merge areas; rows without merged cells are skipped with one call each."""
        ws = self._sheet(sheet)
        values = self._values(sheet)
        rows, cols = len(values), len(values[0]) if values else 0
        if not rows or ws.range((1, 1), (rows, cols)).merge_cells is False:
            return []
        found: Merged = []
        covered: set[tuple[int, int]] = set()
        for r in range(rows):
            if ws.range((r + 1, 1), (r + 1, cols)).merge_cells is False:
                continue
            for c in range(cols):
                if (r, c) in covered or not ws.range((r + 1, c + 1)).merge_cells:
                    continue
                area = parse_range(ws.range((r + 1, c + 1)).merge_area.address.replace("$", ""))
                (r0, c0), (r1, c1) = area
                found.append(area)
                covered.update((i, j) for i in range(r0, r1 + 1) for j in range(c0, c1 + 1))
        return found

    def special_cells(self, sheet: SheetInfo, first_row: int, last_row: int,
                      cols: Collection[int]) -> dict:
        values = self._values(sheet)
        width = len(values[0]) if values else 0
        wanted = sorted(c for c in set(cols) if c < width)
        last_row = min(last_row, len(values) - 1)
        if not wanted or last_row < first_row:
            return {}
        c0, c1 = wanted[0], wanted[-1]
        rows, n_cols = last_row - first_row + 1, c1 - c0 + 1
        block = self._sheet(sheet).range((first_row + 1, c0 + 1), (last_row + 1, c1 + 1))
        formulas = _2d(block.formula, rows, n_cols)
        found = {}
        for i, row in enumerate(formulas):
            r = first_row + i
            for c in wanted:
                cell = xlwings_special(row[c - c0], values[r][c])
                if cell is not None:
                    found[(r, c)] = cell
        return found

    def defined_names(self) -> list[tuple[str, Any, str]]:
        return list(_DefinedNames(self.book).defined_names())

    def named_cells(self) -> dict[str, NamedCell]:
        if self._names is None:
            self._names = named_cells(_DefinedNames(self.book))  # type: ignore[arg-type]
        return self._names


def edit_cells(edit: SheetEdit) -> dict[tuple[int, int], Any]:
    """Every cell an edit writes: its block's (not the KEEP ones), then its ``cells`` over them."""
    found: dict[tuple[int, int], Any] = {}
    if edit.block is not None:
        rows = edit.block.rows
        for col, values in edit.block.columns.items():
            found.update(((r, col), v) for r, v in zip(rows, values) if v is not KEEP)
    found.update(edit.cells)
    return found


def rectangles(cells: Iterable[tuple[int, int]]) -> list[Rect]:
    """Few rectangles covering exactly ``cells``: runs of consecutive rows per column, joined
    across neighbouring columns with the same run."""
    by_col: dict[int, list[int]] = defaultdict(list)
    for r, c in cells:
        by_col[c].append(r)
    runs: list[tuple[int, int, int]] = []  # first row, last row, col
    for c, rows in by_col.items():
        rows.sort()
        start = rows[0]
        for prev, row in zip(rows, rows[1:] + [None]):
            if row != prev + 1:
                runs.append((start, prev, c))
                start = row
    rects: list[Rect] = []
    for r0, r1, c in sorted(runs):
        if rects and rects[-1][0] == r0 and rects[-1][2] == r1 and rects[-1][3] == c - 1:
            rects[-1] = (r0, rects[-1][1], r1, c)
        else:
            rects.append((r0, c, r1, c))
    return rects


def excel_value(value: Any) -> Any:
    """What to assign so Excel stores ``value`` as it is: text Excel would turn into a formula,
    number, date, boolean or error gets the apostrophe a user would type."""
    if isinstance(value, Formula):  # a formula of our own sheets (never cell content)
        return "=" + value.text
    if not isinstance(value, str):
        return value
    head = value.lstrip()[:2]
    if head and (head[0] in "=+-@'#" or head[0].isdigit()
                 or (head[0] in ".," and head[1:].isdigit())
                 or value.strip().casefold() in _TEXT_WORDS):
        return "'" + value
    return value


def _restorable(value: Any, formula: Any) -> Any:
    """What to assign to put a cell back: its formula, its error, else its value as text-safe."""
    if xlwings_special(formula, value) is not None:
        return formula
    return excel_value(value)


class ExcelWriter:
    """Writes edits into the open book: all of them, or (after a failure) none.

    Values and table sizes are undone after a failure; formats from style hints (which only
    touch appended output columns) are not."""

    def __init__(self, book: Any) -> None:
        self.book = book

    def apply(self, edits: Sequence[SheetEdit]) -> None:
        app = self.book.app
        updating = app.screen_updating
        app.screen_updating = False
        undo: list[Callable[[], None]] = []
        step = ""  # the range being changed, for the message
        try:
            planned = []
            for edit in edits:
                step = edit.sheet.name
                cells = edit_cells(edit)
                planned.append((edit, cells, self.book.sheets[edit.sheet.name], rectangles(cells)))
            olds = [[self._read(ws, rect) for rect in rects] for *_, ws, rects in planned]
            for (edit, cells, ws, rects), old in zip(planned, olds):
                for rect, before in zip(rects, old):
                    step = f"{edit.sheet.name}!{range_ref(*rect)}"
                    self._write(ws, rect, [[excel_value(cells[(r, c)])
                                            for c in range(rect[1], rect[3] + 1)]
                                           for r in range(rect[0], rect[2] + 1)])
                    undo.append(lambda ws=ws, rect=rect, before=before: self._write(ws, rect, before))
                if edit.table is not None and edit.table_ref:
                    step = f"Tabelle {edit.table.name}"
                    table = ws.tables[edit.table.name]
                    old_ref = table.range.address
                    table.resize(ws.range(edit.table_ref))
                    undo.append(lambda t=table, ws=ws, ref=old_ref: t.resize(ws.range(ref)))
                step = f"Formate in {edit.sheet.name}"
                self._style(ws, edit, cells)
                self._layout(ws, edit)
                self._filter(ws, edit, undo)
                if edit.owned_columns is not None:
                    step = f"Name {OWNED_NAME} in {edit.sheet.name}"
                    self._mark(edit, undo)
        except BaseException as exc:
            self._rollback(undo, exc)
            if isinstance(exc, Exception) and not isinstance(exc, WorkbookError):
                raise WriteFailed(
                    f"„{Path(self.book.fullname).name}“: Excel hat die Änderung in {step} "
                    f"abgelehnt ({type(exc).__name__}: {exc}). Ist das Blatt geschützt? Dann "
                    "unter Überprüfen > Blattschutz aufheben und erneut versuchen.") from exc
            raise
        finally:
            app.screen_updating = updating

    @staticmethod
    def _layout(ws: Any, edit: SheetEdit) -> None:
        """Owned columns at least as wide as their header and values, owned rows as high as
        their explanation; cosmetic, so what Excel refuses here (a protected sheet, a Mac
        without the property) leaves the values written."""
        for col, width in edit.widths.items():
            try:
                column = ws.range((1, col + 1)).entire_column
                if (column.column_width or 0) < width:
                    column.column_width = width
            except Exception:  # noqa: BLE001 - cosmetic
                continue
        for row, height in edit.heights.items():
            try:
                ws.range((row + 1, 1)).entire_row.row_height = height
            except Exception:  # noqa: BLE001 - cosmetic
                continue

    @staticmethod
    def _filter(ws: Any, edit: SheetEdit, undo: list[Callable[[], None]]) -> None:
        """A plain worksheet autofilter over the table grown over the new columns (an Excel
        Table's filter grows with the table). Only a filter without active criteria is
        re-applied, so no filtering the rep has set is lost; what Excel or the platform
        refuses (a Mac without the property, a protected sheet) leaves the filter as it was."""
        if edit.filter_to is None or edit.table is not None:
            return
        try:
            api = ws.api
            if not api.AutoFilterMode or api.FilterMode:
                return
            old = str(api.AutoFilter.Range.Address).replace("$", "")
            grown = filter_over(old, *edit.filter_to)
            if grown is None:
                return
            api.AutoFilterMode = False
            ws.range(grown).api.AutoFilter()
        except Exception:  # noqa: BLE001 - cosmetic: values are written either way
            return

        def restore(ws: Any = ws, old: str = old) -> None:
            ws.api.AutoFilterMode = False
            ws.range(old).api.AutoFilter()

        undo.append(restore)

    def _mark(self, edit: SheetEdit, undo: list[Callable[[], None]]) -> None:
        """The sheet's marker of the columns this project owns (a hidden sheet-local name), so
        the next run writes them and nothing else."""
        sheet = edit.sheet.name
        wanted = "=" + owned_formula(sheet, edit.owned_columns or ())
        scoped = {f"{sheet}!{OWNED_NAME}", f"{quoted_sheet(sheet)}!{OWNED_NAME}"}
        old = next((n for n in self.book.names if n.name in scoped), None)
        if old is not None and old.refers_to == wanted:
            return
        before = None if old is None else old.refers_to
        if old is not None:
            old.delete()
        name = self.book.names.add(f"{quoted_sheet(sheet)}!{OWNED_NAME}", wanted)
        try:
            name.api.Visible = False  # Windows; elsewhere the name stays visible
        except Exception:  # noqa: BLE001 - hiding is cosmetic
            pass

        def restore(name=name, before=before) -> None:
            name.delete()
            if before is not None:
                self.book.names.add(f"{quoted_sheet(sheet)}!{OWNED_NAME}", before)
        undo.append(restore)

    @staticmethod
    def _range(ws: Any, rect: Rect) -> Any:
        r0, c0, r1, c1 = rect
        return ws.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1))

    def _read(self, ws: Any, rect: Rect) -> list[list[Any]]:
        rng = self._range(ws, rect)
        rows, cols = rect[2] - rect[0] + 1, rect[3] - rect[1] + 1
        values = _2d(rng.options(ndim=2, err_to_str=True).value, rows, cols)
        formulas = _2d(rng.formula, rows, cols)
        return [[_restorable(v, f) for v, f in zip(vr, fr)] for vr, fr in zip(values, formulas)]

    def write_sheets(self, source: Any, contents: Sequence[Any], recognise: Callable) -> None:
        """Sheets of our own (:class:`xlsx.new_sheet.SheetContent`) in the open book: a missing
        one is added after the last sheet; an existing one of ours gets the new cells (with
        their number formats: dates, times, amounts) and its other cells cleared; one holding
        anything else is refused before anything changes."""
        from ..xlsx.new_sheet import FORMATS
        from .writer import check_ours

        check_ours(source, contents, recognise)
        existing = {s.name: s for s in source.worksheets()}
        edits = []
        for content in contents:
            sheet = existing.get(content.name)
            cells: dict[tuple[int, int], Any] = {}
            if sheet is None:
                self.book.sheets.add(content.name, after=self.book.sheets[len(self.book.sheets) - 1])
                sheet = SheetInfo(content.name, content.name, len(self.book.sheets), "visible")
            else:
                for r, row in enumerate(source.grid(sheet)):
                    for c, value in enumerate(row):
                        if value != "":
                            cells[(r, c)] = None
            cells.update(content.cells)
            styles = {rc: ("format", FORMATS[key][0]) for rc, key in content.formats.items()
                      if key in FORMATS and FORMATS[key][0] and rc in content.cells}
            edits.append(SheetEdit(sheet=sheet, cells=cells, styles=styles))
        self.apply(edits)
        self.charts_missing = [c.name for c in contents
                               if c.chart is not None and not self._chart(c)]

    CHART_NAME = "xl-cseg"

    def _chart(self, content: Any) -> bool:
        """The sheet's native chart through Excel's chart objects (our earlier one replaced);
        False when Excel refuses (the values are written all the same)."""
        chart = content.chart
        try:
            ws = self.book.sheets[content.name]
            for old in list(ws.charts):
                if old.name == self.CHART_NAME:
                    old.delete()
            c0, r0, c1, r1 = chart.anchor
            first = ws.range((r0 + 1, c0 + 1))
            last = ws.range((r1 + 1, c1 + 1))
            made = ws.charts.add(left=first.left, top=first.top, width=last.left - first.left,
                                 height=last.top - first.top)
            made.name = self.CHART_NAME
            made.chart_type = "line_markers" if chart.kind == "line" else \
                ("column_stacked" if chart.stacked else "column_clustered")
            col, top, bottom = chart.categories
            columns = [col, *(c for _name, c in chart.series)]
            made.set_source_data(ws.range(",".join(
                f"{range_ref(top - 1, c, bottom, c)}" for c in columns)))
            return True
        except Exception:  # noqa: BLE001 - a chart Excel will not draw must not lose the values
            return False

    def _write(self, ws: Any, rect: Rect, rows: list[list[Any]]) -> None:
        self._range(ws, rect).value = rows

    def _style(self, ws: Any, edit: SheetEdit, cells: dict[tuple[int, int], Any]) -> None:
        """"format" cells get their number format; "like" cells the number format, fill and font
        of their model.
        A column's hint applies to the column's written cells without a hint of their own."""
        groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for rc, hint in edit.styles.items():
            groups[tuple(hint)].append(rc)
        for rc in cells:
            if rc[1] in edit.column_styles and rc not in edit.styles:
                groups[tuple(edit.column_styles[rc[1]])].append(rc)
        for rc, hint in edit.restyle.items():
            groups[tuple(hint)].append(rc)
        for hint, group in groups.items():
            targets = [self._range(ws, rect) for rect in rectangles(group)]
            if hint[0] in ("format", "format_of"):
                code = hint[-1]
                if hint[0] == "format_of":  # the column's look, if it shows the same kind
                    model = ws.range((hint[1][0] + 1, hint[1][1] + 1)).number_format
                    if model and model != "General" and is_percent(model) == is_percent(code):
                        code = model
                for rng in targets:
                    rng.number_format = code
            elif hint[0] == "like":
                model = ws.range((hint[1][0] + 1, hint[1][1] + 1))
                look = {"number_format": model.number_format, "color": model.color}
                font = {key: getattr(model.font, key) for key in _FONT}
                for rng in targets:
                    for key, value in look.items():
                        setattr(rng, key, value)
                    for key, value in font.items():
                        setattr(rng.font, key, value)
            else:
                raise ValueError(f"unknown style hint {hint!r}")

    def _rollback(self, undo: list[Callable[[], None]], cause: BaseException) -> None:
        failed = 0
        for step in reversed(undo):
            try:
                step()
            except Exception:  # noqa: BLE001 - keep undoing the rest
                failed += 1
        if failed:
            raise RollbackFailed(
                f"„{Path(self.book.fullname).name}“: Schreiben fehlgeschlagen ({cause}), und "
                f"{failed} Bereich(e) konnten nicht zurückgesetzt werden. Bitte die Mappe ohne "
                "Speichern schließen und neu öffnen.") from cause
