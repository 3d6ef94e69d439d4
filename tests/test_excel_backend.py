"""ExcelSource/ExcelWriter against a fake of the xlwings API (no Excel here): bulk reads, bulk
writes, rollback, text that must not turn into formulas, and the macros on the fake book."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_cseg import jobs, macros
from xl_cseg.core.columns import OUTPUT_FIELDS
from xl_cseg.io.edits import SheetEdit
from xl_cseg.io.excel import (ExcelSource, ExcelWriter, RollbackFailed, WriteFailed, _2d,
                              excel_value, rectangles)
from xl_cseg.io.source import FileSource, named_values
from xl_cseg.resources import demo_workbook, template_workbook
from xl_cseg.xlsx.cellref import a1, parse_range
from xl_cseg.xlsx.package import SheetInfo, TableInfo
from xl_cseg.xlsx.cellvalue import KEEP
from xl_cseg.xlsx.sheetwriter import ColumnBlock

ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
DEFAULT_FONT = {"name": "Calibri", "size": 11.0, "bold": False, "italic": False, "color": (0, 0, 0)}


# -- the fake ---------------------------------------------------------------------------------
class Err:
    """An error value in a cell."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Err) and other.code == self.code

    def __repr__(self) -> str:
        return f"Err({self.code})"


class ComError(Exception):
    pass


def _constant_text(value: Any) -> str:
    """What Excel's .Formula shows for a constant."""
    if value is None:
        return ""
    if isinstance(value, Err):
        return value.code
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    return str(value)


class FakeFont:
    def __init__(self, rng: "FakeRange") -> None:
        object.__setattr__(self, "_rng", rng)

    def __getattr__(self, key: str) -> Any:
        sheet, (r, c) = self._rng.sheet, self._rng.cells()[0]
        return sheet.fonts.get((r, c), DEFAULT_FONT)[key]

    def __setattr__(self, key: str, value: Any) -> None:
        sheet = self._rng.sheet
        sheet.book.log.append(("font", sheet.name, self._rng.address))
        for rc in self._rng.cells():
            sheet.fonts[rc] = {**sheet.fonts.get(rc, DEFAULT_FONT), key: value}


class FakeRange:
    def __init__(self, sheet: "FakeSheet", r0: int, c0: int, r1: int, c1: int,
                 options: dict | None = None) -> None:
        self.sheet, self.r0, self.c0, self.r1, self.c1 = sheet, r0, c0, r1, c1
        self._options = options or {}

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r0, self.r1 + 1) for c in range(self.c0, self.c1 + 1)]

    def options(self, **options: Any) -> "FakeRange":
        return FakeRange(self.sheet, self.r0, self.c0, self.r1, self.c1, options)

    @property
    def address(self) -> str:
        first, last = (re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", a1(r, c))
                       for r, c in ((self.r0, self.c0), (self.r1, self.c1)))
        return first if first == last else f"{first}:{last}"

    @property
    def row(self) -> int:
        return self.r0 + 1

    @property
    def column(self) -> int:
        return self.c0 + 1

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self.sheet, self.r1, self.c1, self.r1, self.c1)

    def _shape(self, rows: list[list[Any]]) -> Any:
        if self._options.get("ndim") == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows[0] if len(rows) == 1 else rows

    @property
    def value(self) -> Any:
        sheet = self.sheet
        sheet.book.log.append(("read", sheet.name, self.address))
        err_to_str = self._options.get("err_to_str", False)

        def get(rc: tuple[int, int]) -> Any:
            v = sheet.values.get(rc)
            if isinstance(v, Err):
                return v.code if err_to_str else None
            return v

        return self._shape([[get((r, c)) for c in range(self.c0, self.c1 + 1)]
                            for r in range(self.r0, self.r1 + 1)])

    @value.setter
    def value(self, data: Any) -> None:
        sheet = self.sheet
        sheet.book.write(("write", sheet.name, self.address))
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        assert len(rows) == self.r1 - self.r0 + 1 and all(
            len(row) == self.c1 - self.c0 + 1 for row in rows), "shape must match the range"
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                sheet.put((self.r0 + i, self.c0 + j), v)

    @property
    def formula(self) -> Any:
        sheet = self.sheet
        sheet.book.log.append(("formula", sheet.name, self.address))
        rows = tuple(tuple(sheet.formulas.get((r, c)) or _constant_text(sheet.values.get((r, c)))
                           for c in range(self.c0, self.c1 + 1))
                     for r in range(self.r0, self.r1 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.r0, self.c0), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.book.log.append(("format", self.sheet.name, self.address))
        for rc in self.cells():
            self.sheet.formats[rc] = value

    @property
    def color(self) -> Any:
        return self.sheet.colors.get((self.r0, self.c0))

    @color.setter
    def color(self, value: Any) -> None:
        for rc in self.cells():
            self.sheet.colors[rc] = value

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    def _merge_of(self, rc: tuple[int, int]) -> tuple[int, int, int, int] | None:
        return next((m for m in self.sheet.merges
                     if m[0] <= rc[0] <= m[2] and m[1] <= rc[1] <= m[3]), None)

    @property
    def merge_cells(self) -> bool | None:
        self.sheet.book.log.append(("merge", self.sheet.name, self.address))
        merged = [self._merge_of(rc) is not None for rc in self.cells()]
        return True if all(merged) else False if not any(merged) else None

    @property
    def merge_area(self) -> "FakeRange":
        m = self._merge_of((self.r0, self.c0))
        return FakeRange(self.sheet, *m) if m else self


class FakeTable:
    def __init__(self, sheet: "FakeSheet", name: str, ref: str, headers: bool = True,
                 totals: bool = False) -> None:
        self.sheet, self.name, self.ref = sheet, name, ref
        self.show_headers, self.show_totals = headers, totals

    @property
    def range(self) -> FakeRange:
        return self.sheet.range(self.ref)

    def resize(self, rng: FakeRange) -> None:
        self.sheet.book.write(("resize", self.sheet.name, rng.address))
        self.ref = rng.address.replace("$", "")


class Collection(list):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(item for item in self if item.name == key)
        return super().__getitem__(key)


class FakeSheet:
    def __init__(self, book: "FakeBook", name: str, visible: bool = True) -> None:
        self.book, self.name, self.visible = book, name, visible
        self.values: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.prefixed: set[tuple[int, int]] = set()
        self.formats: dict[tuple[int, int], str] = {}
        self.colors: dict[tuple[int, int], Any] = {}
        self.fonts: dict[tuple[int, int], dict] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.tables: Collection = Collection()

    def range(self, first: Any, last: Any = None) -> FakeRange:
        if isinstance(first, str):
            (r0, c0), (r1, c1) = parse_range(first.replace("$", ""))
            return FakeRange(self, r0, c0, r1, c1)
        last = last or first
        return FakeRange(self, first[0] - 1, first[1] - 1, last[0] - 1, last[1] - 1)

    @property
    def used_range(self) -> FakeRange:
        used = set(self.values) | set(self.formulas)
        if not used:
            return FakeRange(self, 0, 0, 0, 0)
        return FakeRange(self, min(r for r, _ in used), min(c for _, c in used),
                         max(r for r, _ in used), max(c for _, c in used))

    def put(self, rc: tuple[int, int], v: Any) -> None:
        """Assign like Excel's Range.Value: text is parsed as if typed."""
        self.formulas.pop(rc, None)
        self.prefixed.discard(rc)
        self.values.pop(rc, None)
        if v is None or v == "":
            return
        if isinstance(v, str):
            if v.startswith("'"):
                self.values[rc] = v[1:]
                self.prefixed.add(rc)
                return
            if v.startswith("="):
                self.formulas[rc] = v
                self.values[rc] = self.book.results.get((self.name, v))
                return
            v = _typed(v)
        self.values[rc] = float(v) if type(v) is int else v

    def state(self) -> tuple:
        return (dict(self.values), dict(self.formulas), set(self.prefixed),
                [(t.name, t.ref) for t in self.tables])


def _typed(text: str) -> Any:
    """Excel's reading of typed text: errors, booleans, numbers, percentages."""
    if text in ERRORS:
        return Err(text)
    if text.strip().upper() in ("TRUE", "FALSE", "WAHR", "FALSCH"):
        return text.strip().upper() in ("TRUE", "WAHR")
    number = text.strip().replace(",", ".")
    try:
        return float(number[:-1]) / 100 if number.endswith("%") else float(number)
    except ValueError:
        return text


class FakeName:
    def __init__(self, name: str, refers_to: str, names: "FakeNames | None" = None) -> None:
        self.name, self.refers_to, self.names = name, refers_to, names
        self.api = type("Api", (), {"Visible": True})()

    def delete(self) -> None:
        self.names.remove(self)


class FakeNames(list):
    def add(self, name: str, refers_to: str) -> FakeName:
        made = FakeName(name, refers_to, self)
        self.append(made)
        return made

    def append(self, name: FakeName) -> None:  # type: ignore[override]
        name.names = self
        super().append(name)

    def __iadd__(self, names):  # type: ignore[override]
        for name in names:
            self.append(name)
        return self


class FakeApp:
    def __init__(self) -> None:
        self.screen_updating = True
        self.alerts: list[tuple[str, str, str | None]] = []

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self.alerts.append((title, prompt, mode))
        return "ok"


class FakeBook:
    def __init__(self, fullname: str = "Mappe.xlsm") -> None:
        self.fullname = fullname
        self.app = FakeApp()
        self.sheets: Collection = Collection()
        self.names: FakeNames = FakeNames()
        self.log: list[tuple[str, str, str]] = []
        self.results: dict[tuple[str, str], Any] = {}  # (sheet, formula) -> its value
        self.fail_at: set[int] = set()  # numbers of the writes (1-based) that fail
        self.writes = 0

    def add(self, name: str) -> FakeSheet:
        sheet = FakeSheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def write(self, entry: tuple[str, str, str]) -> None:
        self.writes += 1
        if self.writes in self.fail_at:
            raise ComError(f"Schreibfehler {self.writes}")
        self.log.append(entry)

    def state(self) -> dict:
        return {s.name: s.state() for s in self.sheets}

    def calls(self, kind: str, sheet: str | None = None) -> list[str]:
        return [addr for k, name, addr in self.log if k == kind and sheet in (None, name)]

    @classmethod
    def from_file(cls, path: Path) -> "FakeBook":
        """The workbook as Excel would show it: cached values, formulas, tables, names."""
        src = FileSource(path)
        book = cls(str(path))
        infos = src.worksheets()
        for info in infos:
            sheet = book.add(info.name)
            sheet.visible = info.state == "visible"
            for r, row in enumerate(src.grid(info)):
                for c, v in enumerate(row):
                    if v == "":
                        continue
                    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                        v = dt.datetime.combine(v, dt.time())
                    sheet.values[(r, c)] = v
            for rc, cell in src.package.special_cells(info.part).items():
                if cell.error:
                    sheet.values[rc] = Err(cell.error)
                if cell.kind == "formula" and cell.formula:
                    sheet.formulas[rc] = "=" + cell.formula
                    book.results[(info.name, sheet.formulas[rc])] = sheet.values.get(rc)
            sheet.merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in src.merged_ranges(info)]
            for t in src.tables(info):
                sheet.tables.append(FakeTable(sheet, t.name, t.ref, bool(t.header_row_count),
                                              bool(t.totals_row_count)))
        for name, local, text in src.package.defined_names():
            full = name if local is None else f"{infos[local].name}!{name}"
            book.names.append(FakeName(full, text if text.startswith("=") else "=" + text))
        return book


# -- helpers ----------------------------------------------------------------------------------
def norm(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, float):
        return round(value, 9)
    return value


def grids(source: Any) -> dict[str, list[list[Any]]]:
    """Every sheet's values, trailing blanks cut, for comparing file and book."""
    out = {}
    for info in source.worksheets():
        rows = [[norm(v) for v in row] for row in source.grid(info)]
        rows = [row[:max((i + 1 for i, v in enumerate(row) if v != ""), default=0)]
                for row in rows]
        while rows and not rows[-1]:
            rows.pop()
        out[info.name] = rows
    return out


def small_book() -> tuple[FakeBook, FakeSheet]:
    book = FakeBook()
    sheet = book.add("Daten")
    for r in range(6):
        for c in range(6):
            sheet.values[(r, c)] = float(r * 10 + c)
    sheet.formulas[(1, 1)] = "=A1*2"
    book.results[("Daten", "=A1*2")] = 0.0
    sheet.values[(1, 1)] = 0.0
    sheet.values[(2, 2)] = "Text"
    sheet.tables.append(FakeTable(sheet, "tblDaten", "A1:D6"))
    return book, sheet


def info(name: str) -> SheetInfo:
    return SheetInfo(name, name, 1, "visible")


def user_list(path: Path, *, table: bool = True) -> Path:
    """A rep's own list as an Excel Table without output columns (so columns get appended)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    headers = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Umsatz Vorvorjahr"]
    rows = [[f"K{i:03d}", f"Firma {i}", 1000.0 * i, 1500.0 * i + 2000, 900.0 * i]
            for i in range(1, 13)]
    if table:
        ws.add_table(0, 0, len(rows), len(headers) - 1,
                     {"name": "tblListe", "columns": [{"header": h} for h in headers],
                      "data": rows})
    else:
        bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "font_color": "#1F4E79"})
        for c, h in enumerate(headers):
            ws.write_string(0, c, h, bold)
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, row)
    wb.close()
    return path


# -- reading ----------------------------------------------------------------------------------
def test_source_reads_each_sheet_once_in_bulk():
    book = FakeBook.from_file(demo_workbook())
    report = jobs.analyse_source(ExcelSource(book), dt.date(2026, 3, 1))
    jobs.plan_source(report, dt.date(2026, 3, 1))
    assert report.customers == 150
    assert all(len(book.calls("read", sheet.name)) <= 1 for sheet in book.sheets)
    assert book.calls("read") and all(r.startswith("$A$1:") for r in book.calls("read"))
    # formulas: one block per table the reader scans (customers, measures), not per cell
    assert book.calls("formula") == ["$A$2:$P$151", "$A$2:$O$31"]


def test_source_matches_file_source():
    path = demo_workbook()
    book, file = ExcelSource(FakeBook.from_file(path)), FileSource(path)
    assert [s.name for s in book.worksheets()] == [s.name for s in file.worksheets()]
    assert grids(book) == grids(file)
    for b, f in zip(book.worksheets(), file.worksheets()):
        assert [(t.name, t.ref, t.header_row_count, t.columns) for t in book.tables(b)] == \
            [(t.name, t.ref, t.header_row_count, t.columns) for t in file.tables(f)]
    assert book.named_cells() == file.named_cells()
    assert named_values(book)[0] == named_values(file)[0]


def test_special_cells_formulas_errors_and_text():
    book = FakeBook()
    sheet = book.add("S")
    sheet.put((0, 0), 5.0)
    book.results[("S", "=A1/0")] = Err("#DIV/0!")
    sheet.put((0, 1), "=A1/0")
    sheet.put((0, 2), "'=kein Formel")
    sheet.put((0, 3), "#N/A")
    book.results[("S", "=A1*2")] = 10.0
    sheet.put((1, 0), "=A1*2")
    sheet.put((1, 1), "Text")
    source = ExcelSource(book)
    assert source.grid(info("S")) == [[5.0, "", "=kein Formel", ""], [10.0, "Text", "", ""]]
    found = source.special_cells(info("S"), 0, 1, [1, 2, 3, 0])
    assert set(found) == {(0, 1), (0, 3), (1, 0)}
    assert found[(0, 1)].kind == "formula" and found[(0, 1)].error == "#DIV/0!"
    assert found[(0, 1)].formula == "A1/0"
    assert found[(0, 3)].kind == "error" and found[(0, 3)].error == "#N/A"
    assert found[(1, 0)].formula == "A1*2" and found[(1, 0)].has_cached
    assert len(book.calls("formula")) == 1
    assert source.special_cells(info("S"), 5, 9, [0]) == {}


def test_empty_sheet_and_merges():
    book = FakeBook()
    book.add("Leer")
    merged = book.add("Titel")
    merged.put((0, 0), "Kundenliste")
    merged.put((3, 3), 1.0)
    merged.merges = [(0, 0, 0, 2), (2, 1, 3, 1)]
    plain = book.add("Ohne")
    plain.put((2, 2), 1.0)
    source = ExcelSource(book)
    assert source.grid(info("Leer")) == []
    assert source.merged_ranges(info("Leer")) == []
    assert sorted(source.merged_ranges(info("Titel"))) == [((0, 0), (0, 2)), ((2, 1), (3, 1))]
    book.log.clear()
    assert source.merged_ranges(info("Ohne")) == []
    assert len(book.calls("merge")) == 1  # one check for a sheet without merges


def test_named_cells_single_workbook_cells_only():
    book = FakeBook()
    sheet = book.add("Parameter")
    book.add("Mein Blatt")
    sheet.put((4, 1), 0.25)
    book.names += [FakeName("Quote", "=Parameter!$B$5"), FakeName("Bereich", "=Parameter!$A$1:$B$3"),
                   FakeName("Parameter!Lokal", "=Parameter!$C$1"),
                   FakeName("Weit", "='Mein Blatt'!$D$2"), FakeName("Kaputt", "=#REF!")]
    cells = ExcelSource(book).named_cells()
    assert set(cells) == {"Quote", "Weit"}
    assert (cells["Weit"].sheet, cells["Weit"].row, cells["Weit"].col) == ("Mein Blatt", 1, 3)
    assert named_values(ExcelSource(book))[0]["Quote"] == 0.25


def test_platform_shapes():
    assert _2d("=A1", 1, 1) == [["=A1"]]
    assert _2d(("a", "b"), 1, 2) == [["a", "b"]]
    assert _2d(("a", "b"), 2, 1) == [["a"], ["b"]]
    assert _2d((("a",), ("b",)), 2, 1) == [["a"], ["b"]]


# -- writing ----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sets(st.tuples(st.integers(0, 12), st.integers(0, 6)), min_size=1, max_size=40))
def test_rectangles_cover_exactly(cells):
    rects = rectangles(cells)
    covered = [(r, c) for r0, c0, r1, c1 in rects
               for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    assert sorted(covered) == sorted(cells)  # every cell once, nothing else


def test_rectangles_join_output_columns():
    cells = {(r, c) for r in range(1, 151) for c in range(6, 15)} | {(0, c) for c in (12, 13, 14)}
    assert rectangles(cells) == [(0, 12, 150, 14), (1, 6, 150, 11)]


def test_one_write_per_rectangle_and_screen_updating_restored():
    book, sheet = small_book()
    cells = {(r, c): f"neu {r}" for r in range(1, 4) for c in (4, 5)}
    cells.update({(5, 0): 1.0, (5, 1): 2.0})
    ExcelWriter(book).apply([SheetEdit(info("Daten"), cells)])
    assert book.calls("write") == ["$E$2:$F$4", "$A$6:$B$6"]
    assert sheet.values[(2, 5)] == "neu 2" and sheet.values[(5, 1)] == 2.0
    assert book.app.screen_updating is True


def test_text_is_never_turned_into_formula_number_or_error():
    book, sheet = small_book()
    texts = ["=SUMME(A1:A3)", "+49 30 1234", "-", "0815", "1,5", "12.03.2026", "50%", "TRUE",
             "wahr", "#N/A", "'zitiert", "@home", " 7 Tage", "Win", "A", "Grow – prüfen"]
    cells = {(10 + i, 0): t for i, t in enumerate(texts)}
    ExcelWriter(book).apply([SheetEdit(info("Daten"), cells)])
    assert [sheet.values[(10 + i, 0)] for i in range(len(texts))] == texts
    assert not any((10 + i, 0) in sheet.formulas for i in range(len(texts)))
    assert (23, 0) not in sheet.prefixed and (24, 0) not in sheet.prefixed  # plain words
    assert excel_value(3.5) == 3.5 and excel_value(None) is None


def test_rollback_restores_values_formulas_and_table():
    book, sheet = small_book()
    before = book.state()
    cells = {(1, 1): 99.0, (2, 2): "x", (4, 4): "y", (4, 5): "z", (0, 5): "Kopf"}
    edit = SheetEdit(info("Daten"), cells)
    book.fail_at = {2}
    with pytest.raises(WriteFailed, match=r"Änderung in Daten!B2 abgelehnt \(ComError: "
                                          r"Schreibfehler 2\)\. Ist das Blatt geschützt\?"):
        ExcelWriter(book).apply([edit])
    assert book.state() == before
    assert sheet.formulas[(1, 1)] == "=A1*2"
    assert book.app.screen_updating is True
    # the table resize fails after all values were written: everything goes back
    book.writes, book.fail_at = 0, {2}  # one rectangle, then the resize
    table = TableInfo("tblDaten", "tblDaten", "A1:D6", "tblDaten", 1, 0, [])
    edit = SheetEdit(info("Daten"), {(0, 4): "Neu", (1, 4): 1.0}, table=table,
                     table_ref="A1:E6", add_columns=["Neu"])
    with pytest.raises(WriteFailed, match="Tabelle tblDaten"):
        ExcelWriter(book).apply([edit])
    assert book.state() == before


def test_rollback_across_edits_and_failed_undo():
    book, sheet = small_book()
    other = book.add("Zweites")
    other.put((0, 0), "alt")
    before = book.state()
    edits = [SheetEdit(info("Daten"), {(0, 0): "a"}), SheetEdit(info("Zweites"), {(0, 0): "b"})]
    book.fail_at = {2}
    with pytest.raises(WriteFailed):
        ExcelWriter(book).apply(edits)
    assert book.state() == before
    book.writes, book.fail_at = 0, {2, 3}  # the write fails, and so does putting "a" back
    with pytest.raises(RollbackFailed, match="ohne Speichern schließen"):
        ExcelWriter(book).apply(edits)


def test_column_block_keeps_formulas():
    book, sheet = small_book()
    sheet.put((3, 4), "=A1*2")
    block = ColumnBlock(rows=[1, 2, 3, 4, 5], columns={4: [1.0, 2.0, KEEP, 4.0, 5.0],
                                                       5: ["a", "b", "c", "d", "e"]})
    ExcelWriter(book).apply([SheetEdit(info("Daten"), {(5, 5): "über"}, block=block)])
    assert sheet.formulas[(3, 4)] == "=A1*2"
    assert [sheet.values[(r, 4)] for r in (1, 2, 4, 5)] == [1.0, 2.0, 4.0, 5.0]
    assert [sheet.values[(r, 5)] for r in range(1, 6)] == ["a", "b", "c", "d", "über"]
    assert book.calls("write") == ["$E$2:$E$3", "$F$2:$F$6", "$E$5:$E$6"]


def test_styles_and_table_growth():
    book, sheet = small_book()
    sheet.formats[(0, 3)] = "@"
    sheet.fonts[(0, 3)] = {**DEFAULT_FONT, "bold": True, "color": (31, 78, 121)}
    sheet.colors[(0, 3)] = (221, 235, 247)
    table = TableInfo("tblDaten", "tblDaten", "A1:D6", "tblDaten", 1, 0, [])
    cells = {(0, 4): "Anteil", **{(r, 4): 0.1 * r for r in range(1, 6)}}
    edit = SheetEdit(info("Daten"), cells, styles={(0, 4): ("like", (0, 3))},
                     column_styles={4: ("format", "0.0 %")}, table=table, table_ref="A1:E6",
                     add_columns=["Anteil"])
    ExcelWriter(book).apply([edit])
    assert sheet.tables["tblDaten"].ref == "A1:E6"
    assert sheet.fonts[(0, 4)]["bold"] is True and sheet.fonts[(0, 4)]["color"] == (31, 78, 121)
    assert sheet.colors[(0, 4)] == (221, 235, 247) and sheet.formats[(0, 4)] == "@"
    assert all(sheet.formats[(r, 4)] == "0.0 %" for r in range(1, 6))
    assert sorted(book.calls("format")) == ["$E$1", "$E$2:$E$6"]
    assert book.calls("resize") == ["$A$1:$E$6"]


# -- the macros on the fake book ----------------------------------------------------------------
def _file_result(tmp_path: Path, workbook: Path, name: str = "segment") -> FileSource:
    copy = tmp_path / f"datei{workbook.suffix}"
    shutil.copyfile(workbook, copy)
    summary = macros.run_on_file(name, copy)
    assert summary.title == macros.TITLE, summary.text
    return FileSource(copy)


@pytest.mark.parametrize("name", ["segment", "compute_plan"])
def test_segment_in_book_equals_file_backend(tmp_path, name):
    book = FakeBook.from_file(demo_workbook())
    summary = getattr(macros, name)(book=book)
    assert summary.title == macros.TITLE, summary.text
    assert book.app.alerts == [(macros.TITLE, summary.text, "info" if summary.ok else "critical")]
    assert book.app.screen_updating is True
    assert grids(ExcelSource(book)) == grids(_file_result(tmp_path, demo_workbook(), name))
    # bulk: a handful of rectangles, not one write per cell
    assert 0 < len(book.calls("write")) <= 12


def test_new_output_columns_in_book_equal_file_backend(tmp_path):
    path = user_list(tmp_path / "Liste.xlsx")
    book = FakeBook.from_file(path)
    macros.segment(book=book)
    file = _file_result(tmp_path, path)
    assert grids(ExcelSource(book)) == grids(file)
    kunden = book.sheets["Kunden"]
    (_, _), (_, last) = parse_range(kunden.tables["tblListe"].ref)
    assert kunden.tables["tblListe"].ref == file.tables(file.worksheets()[0])[0].ref
    assert [kunden.values[(0, c)] for c in range(5, last + 1)] == [f.header for f in OUTPUT_FIELDS]
    share = 5 + [f.key for f in OUTPUT_FIELDS].index("share")
    assert kunden.formats[(1, share)] == "0.0 %"
    assert book.calls("write", "Kunden") == ["$F$1:$N$13"]


def test_book_run_marks_its_columns_and_the_next_run_adds_none(tmp_path):
    path = user_list(tmp_path / "Liste.xlsx")
    book = FakeBook.from_file(path)
    macros.segment(book=book)
    kunden = book.sheets["Kunden"]
    width = max(c for _, c in kunden.values)
    marker = [n for n in book.names if n.name == "Kunden!_xlcseg_owned"]
    assert len(marker) == 1 and marker[0].refers_to.startswith("=Kunden!$F:$F,")
    assert marker[0].api.Visible is False
    macros.segment(book=book)
    assert max(c for _, c in kunden.values) == width  # reused, not added again
    assert len([n for n in book.names if n.name == "Kunden!_xlcseg_owned"]) == 1


def test_plain_list_header_look_is_copied():
    book = FakeBook()
    sheet = book.add("Kunden")
    headers = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"]
    for c, h in enumerate(headers):
        sheet.put((0, c), h)
        sheet.fonts[(0, c)] = {**DEFAULT_FONT, "bold": True}
        sheet.colors[(0, c)] = (221, 235, 247)
    for r in range(1, 4):
        sheet.values.update({(r, 0): f"K{r}", (r, 1): f"Firma {r}", (r, 2): 1000.0 * r,
                             (r, 3): 3000.0 * r})
    summary = macros.segment(book=book)
    assert summary.title == macros.TITLE, summary.text
    assert sheet.values[(0, 4)] == OUTPUT_FIELDS[0].header
    assert sheet.fonts[(0, 12)]["bold"] is True and sheet.colors[(0, 12)] == (221, 235, 247)


def test_error_in_book_shows_german_message_and_changes_nothing():
    book = FakeBook.from_file(template_workbook())
    before = book.state()
    summary = macros.segment(book=book)
    assert not summary.ok and "keine Kunden" in summary.text and "nichts geändert" in summary.text
    assert book.app.alerts[0][2] == "critical" and "Traceback" not in summary.text
    assert book.calls("write") == [] and book.state() == before


def test_failed_write_in_book_leaves_it_unchanged():
    book = FakeBook.from_file(demo_workbook())
    before = book.state()
    book.fail_at = {2}
    summary = macros.segment(book=book)
    assert not summary.ok and "Schreibfehler 2" in summary.text
    assert "nichts geändert" in summary.text
    assert book.state() == before and book.app.screen_updating is True


def test_freeze_values_in_book():
    book = FakeBook()
    sheet = book.add("Kunden")
    sheet.put((0, 0), 1000.0)
    for r, (formula, value) in enumerate([("=CSEG_ABC(A1)", "A"), ("=cseg_schwelle(4)", 2500.0),
                                          ("=SUMME(A1)", 1000.0), ("=CSEG_KANAL(B9)", Err("#NAME?"))],
                                         start=1):
        book.results[("Kunden", formula)] = value
        sheet.put((r, 1), formula)
    summary = macros.freeze_values(book=book)
    assert summary.text.startswith("2 Formel(n) =CSEG_… durch ihre Werte ersetzt (Kunden)")
    assert "Kunden!B5: #NAME?" in summary.text
    assert set(sheet.formulas) == {(3, 1), (4, 1)}
    assert sheet.values[(1, 1)] == "A" and sheet.values[(2, 1)] == 2500.0
    assert book.calls("write") == ["$B$2:$B$3"]


def test_entry_point_uses_book_caller(monkeypatch):
    import xlwings as xw

    book = FakeBook.from_file(template_workbook())
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    summary = macros.validate()
    assert book.app.alerts and book.app.alerts[0][1] == summary.text
