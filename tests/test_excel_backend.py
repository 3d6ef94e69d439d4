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

from excel_fakes import (DEFAULT_FONT, ERRORS, Collection, ComError, Err, FakeApp, FakeBook,  # noqa: F401
                         FakeFont, FakeName, FakeNames, FakeRange, FakeSheet, FakeTable,
                         _constant_text, _typed)

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
    # formulas: one block per table the reader scans (customers, contacts, measures), not per
    # cell
    assert book.calls("formula") == ["$A$2:$P$151", "$A$2:$H$198", "$A$2:$O$31"]


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


def test_pricing_in_the_open_book_writes_its_sheet_with_formulas():
    book = FakeBook.from_file(demo_workbook())
    summary = macros.run_pricing(ExcelSource(book), ExcelWriter(book), dt.date(2026, 11, 1))
    assert "Blatt „Preise & Kosten“ berechnet (150 Kunden)" in summary.text, summary.text
    sheet = book.sheets["Preise & Kosten"]
    from xl_cseg.io import pricing_sheet
    assert sheet.values[(0, 0)] == pricing_sheet.TITLE  # 0-based cells
    # totals are formulas over the customer rows; the rows hold the engine's values
    formulas = [f for f in sheet.formulas.values() if f]
    assert any(f.startswith("=COUNTIFS(") for f in formulas)
    assert any(f.startswith("=SUMIFS(") for f in formulas)
    head = [sheet.values.get((pricing_sheet.LIST_HEAD, c)) for c in range(17)]
    assert head[0] == "Kunden-Nr" and head[-1] == "Preis-Hinweis"
    assert sheet.values.get((pricing_sheet.FIRST + 149, 0)) is not None


def test_what_if_in_the_open_book_writes_the_values_even_without_a_chart():
    book = FakeBook.from_file(demo_workbook())
    summary = macros.run_whatif(ExcelSource(book), ExcelWriter(book), dt.date(2026, 11, 1))
    sheet = book.sheets["Was-wäre-wenn"]  # added after the last sheet
    assert book.sheets[len(book.sheets) - 1] is sheet
    assert sheet.values[(4, 0)] == "heute"
    assert "Diagramm konnte nicht angelegt werden" in summary.text  # the fake draws no charts


def _plain_list_with_filter(criteria: bool = False) -> tuple[FakeBook, FakeSheet]:
    book = FakeBook()
    sheet = book.add("Kunden")
    for c, h in enumerate(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"]):
        sheet.put((0, c), h)
    for r in range(1, 5):
        sheet.values.update({(r, 0): f"K{r}", (r, 1): f"Firma {r}", (r, 2): 1000.0 * r,
                             (r, 3): 3000.0 * r})
    sheet.autofilter = (0, 0, 4, 3)
    sheet.api.FilterMode = criteria
    return book, sheet


def test_plain_autofilter_in_book_grows_over_the_new_columns():
    book, sheet = _plain_list_with_filter()
    macros.segment(book=book)
    last = max(c for r, c in sheet.values if r == 0)
    assert sheet.values[(0, last)] == OUTPUT_FIELDS[-1].header
    assert sheet.autofilter == (0, 0, 4, last)


def test_autofilter_with_criteria_in_book_is_left_as_the_rep_set_it():
    book, sheet = _plain_list_with_filter(criteria=True)
    macros.segment(book=book)
    assert sheet.autofilter == (0, 0, 4, 3) and sheet.api.FilterMode is True


def test_failed_write_in_book_restores_the_autofilter(monkeypatch):
    book, sheet = _plain_list_with_filter()

    def refuse(self, edit, undo):
        raise ComError("Blatt geschützt")

    monkeypatch.setattr(ExcelWriter, "_mark", refuse)
    macros.segment(book=book)
    assert sheet.autofilter == (0, 0, 4, 3)
