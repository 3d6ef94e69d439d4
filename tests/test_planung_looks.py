"""The Planung sheet of the template and the demo looks right where the engine writes figures:
percentages as percent (40,1 %), money as €, explanations that do not run into the next row
(issue 16, item 8)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.ooxml.poi import assert_poi_reads, needs_poi
from xl_cseg import jobs
from xl_cseg.core.columns import EUR_FORMAT, PERCENT_FORMAT
from xl_cseg.io import plan_layout as L
from xl_cseg.resources import demo_workbook, template_workbook
from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.safezip import open_package
from xl_cseg.xlsx.sheetwriter import write_sheet
from xl_cseg.xlsx.tablepart import patch_table

CUSTOMERS = [(1001, "Müller GmbH", "Nord", 50000, 60000, 150000, 4),
             (1002, "Schmidt KG", "Nord", 20000, 14000, 20000, 3),
             (1003, "Weber AG", "Nord", 8000, 9000, 90000, 2),
             (1004, "Becker e.K.", "Nord", 100000, 90000, 120000, 5),
             (1005, "Koch GmbH", "Nord", 0, 0, 30000, None)]


def from_template(path: Path) -> Path:
    """A workbook made with ``xl-cseg new`` into which a rep typed five customers."""
    shutil.copyfile(template_workbook(), path)
    pkg = open_package(path)
    part = next(s.part for s in pkg.sheets() if s.name == "Kunden")
    table = pkg.tables(part)[0]
    cells = {(r, c): v for r, row in enumerate(CUSTOMERS, start=1) for c, v in enumerate(row)}
    write_package(path, path, {part: write_sheet(pkg.sheet_scan(part), cells),
                               table.part: patch_table(pkg.read(table.part), ref="A1:P6")})
    return path


def planung(path: Path):
    return openpyxl.load_workbook(path)["Planung"]  # reading only


def value_cell(ws, label: str):
    row = L.gap_value_row(label) + 1
    assert ws.cell(row=row, column=1).value in (label, None)
    return ws.cell(row=row, column=2)


def test_template_formats_the_gap_figures_before_any_run():
    ws = planung(template_workbook())
    assert value_cell(ws, "Deckungsgrad").number_format == PERCENT_FORMAT
    assert value_cell(ws, "Umsatzziel").number_format == EUR_FORMAT
    assert value_cell(ws, "Lücke zum Ziel").number_format == EUR_FORMAT


@pytest.mark.parametrize("made", ["template", "demo"])
def test_plan_run_shows_percent_and_euro_by_unit(tmp_path, made):
    path = from_template(tmp_path / "Gebiet.xlsm") if made == "template" else \
        Path(shutil.copyfile(demo_workbook(), tmp_path / "Demo.xlsm"))
    with zipfile.ZipFile(path) as zf:
        styles_before = zf.read("xl/styles.xml")
    report = jobs.segment_workbook(path)
    assert report.exit_code == 0
    ws = planung(path)
    for r in range(L.GAP_HEAD + 2, L.CAP_HEAD + 1 + L.CAP_ROWS + 1):
        unit = ws.cell(row=r, column=3).value
        value = ws.cell(row=r, column=2)
        if unit == "%":
            assert value.number_format == PERCENT_FORMAT, r
        elif unit == "€":
            assert value.number_format == EUR_FORMAT, r
        elif unit == "Kunden":
            assert value.number_format == "#,##0", r
        assert unit != "EUR", r  # money shows €, not "EUR"
    assert value_cell(ws, "Deckungsgrad").number_format == PERCENT_FORMAT
    # every row as high as its explanation: a long one gets two lines, none overlaps the next
    for r in range(L.GAP_HEAD + 1, L.GAP_HEAD + 1 + L.GAP_ROWS):
        note = ws.cell(row=r + 1, column=4).value
        height = ws.row_dimensions[r + 1].height
        assert height == L.ROW_HEIGHT * L.note_lines(note), (r, note)
    with zipfile.ZipFile(path) as zf:
        styles_after = zf.read("xl/styles.xml")
    cut = styles_before.index(b"</cellXfs>")
    assert styles_after.startswith(styles_before[:styles_before.index(b"<numFmts")])
    assert styles_after.endswith(styles_before[cut:])  # only entries appended, if any
    if made == "demo":  # the demo has every format it needs
        assert styles_after == styles_before


@needs_poi
def test_poi_shows_the_coverage_as_german_percent(tmp_path):
    path = Path(shutil.copyfile(demo_workbook(), tmp_path / "Demo.xlsm"))
    jobs.segment_workbook(path)
    ws = planung(path)
    coverage = value_cell(ws, "Deckungsgrad")
    cells = assert_poi_reads([path], cells=True)[path].cells
    shown = cells[f"Planung!{coverage.coordinate}"][2]
    expected = f"{coverage.value * 100:.1f} %".replace(".", ",")
    assert shown == expected and float(shown[:-2].replace(",", ".")) > 1  # 43,9 %, not 0,4 %
    target = cells[f"Planung!{value_cell(ws, 'Umsatzziel').coordinate}"][2]
    assert target.endswith(" €") and "," not in target


def test_note_lines_count_words_not_characters():
    assert L.note_lines(None) == 1 and L.note_lines("kurz") == 1
    long = ("Es fehlen 1.075.154 € ungewichtete Pipeline: weitere Maßnahmen bei Wachstums- und "
            "Potenzialkunden planen.")
    assert L.note_lines(long) == 2
    assert L.note_lines("x" * (L.NOTE_CHARS + 5)) == 1  # one word is never split
