"""Buying-behaviour dimensions in the consolidation master: each file's ``Spaltenzuordnung``
dimensions and ``consolidate --nach`` crossed with the codes on the sheet ``Kaufverhalten``;
files without the column count as "ohne Angabe" and the import log names them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font
from typer.testing import CliRunner

from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from xl_cseg.cli import app
from xl_cseg.consolidate.run import consolidate

runner = CliRunner()
# revenue, potential -> code with the template's parameters (see tests/test_dimensions.py)
NORD = [(101, "Kunde a", 5000, 20000, "Mehrweg", "Economy"),  # C-Win
        (102, "Kunde b", 50000, 60000, "Einweg", "Premium"),  # A-Maintain
        (103, "Kunde c", 20000, 30000, " mehrweg ", "Premium")]  # B-Grow, the same value
SUED = [(201, "Kunde d", 8000, 9000, "Einweg", "Economy"),  # C-Maintain
        (202, "Kunde e", 5000, 20000, None, "Premium")]  # C-Win, blank
OST = [(301, "Kunde f", 50000, 60000)]  # A-Maintain, no Produktart column


def _list(path: Path, territory: str, rows, dimension: str | None) -> Path:
    """A rep's list typed into openpyxl: title row, bold headers, an autofilter, a
    ``Spaltenzuordnung`` naming ``dimension``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws["A1"] = f"Gebiet {territory}"
    ws["A1"].font = Font(bold=True, size=14)
    heads = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Produktart",
             "Preissegment"][:len(rows[0])]
    for c, head in enumerate(heads, start=1):
        ws.cell(row=3, column=c, value=head).font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    ws.auto_filter.ref = f"A3:{chr(64 + len(heads))}{3 + len(rows)}"
    if dimension:
        sheet = wb.create_sheet("Spaltenzuordnung")
        sheet.append(["Feld", "Überschrift in Ihrer Liste"])
        sheet.append(["Dimension", dimension])
    wb.save(path)
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    areas = tmp_path / "Gebiete"
    areas.mkdir()
    _list(areas / "Nord.xlsx", "Nord", NORD, "Produktart")
    _list(areas / "Süd.xlsx", "Süd", SUED, "produktart")
    _list(areas / "Ost.xlsx", "Ost", OST, None)
    return areas


def _rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)  # reading our master, never saving
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def _block(rows: list[tuple], title: str) -> dict[tuple[str, str], tuple]:
    """(value, code) -> (customers, revenue, potential, open potential) of one block."""
    start = next(i for i, r in enumerate(rows) if r[0] == title) + 2
    found = {}
    for r in rows[start:]:
        if r[1] is None:  # a blank row or the note below the block
            break
        found[(r[0], r[1])] = r[2:6]
    return found


def test_the_files_dimension_crossed_in_the_master(folder, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    run = consolidate([folder], out, workers=1)
    assert run.exit_code == 0
    rows = _rows(out, "Kaufverhalten")
    block = _block(rows, "Produktart x Segment")
    # by hand: Nord a (5,000 / 20,000) and c (20,000 / 30,000) are Mehrweg, b and Süd d
    # Einweg; Süd e (blank) and all of Ost (no column) "ohne Angabe"
    assert block[("Einweg", "A-Maintain")] == (1, 50000, 60000, 10000)
    assert block[("Einweg", "C-Maintain")] == (1, 8000, 9000, 1000)
    assert block[("Einweg", "Gesamt")] == (2, 58000, 69000, 11000)
    assert block[("Mehrweg", "B-Grow")] == (1, 20000, 30000, 10000)
    assert block[("Mehrweg", "C-Win")] == (1, 5000, 20000, 15000)
    assert block[("Mehrweg", "Gesamt")] == (2, 25000, 50000, 25000)
    assert block[("ohne Angabe", "A-Maintain")] == (1, 50000, 60000, 10000)
    assert block[("ohne Angabe", "C-Win")] == (1, 5000, 20000, 15000)
    assert block[("ohne Angabe", "Gesamt")] == (2, 55000, 80000, 25000)
    assert block[("Gesamt", "Gesamt")] == (6, 138000, 199000, 61000)
    assert list(block)[-1] == ("Gesamt", "Gesamt") and len(block) == 10
    assert not any(r[0] == "Preissegment x Segment" for r in rows)  # named nowhere
    assert any(r[0] and "Ost.xlsx (1)" in r[0] for r in rows)  # below the block
    log = [r[0] for r in _rows(out, "Importprotokoll") if r[0]]
    assert any("Ohne Spalte „Produktart“" in t and "Ost.xlsx" in t and "Nord" not in t
               for t in log)
    notes = [r for r in _rows(out, "Importprotokoll") if r[1] == "Hinweis"]
    assert [r[0] for r in notes if "Produktart" in r[2]] == ["Ost.xlsx"]


def test_nach_with_an_unknown_column(folder, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    result = runner.invoke(app, ["consolidate", str(folder), "--out", str(out), "--jobs", "1",
                                 "--nach", "Preissegment", "--nach", "Farbe"])
    assert result.exit_code == 1, result.output
    assert "Spalte „Farbe“ (--nach) in keiner Gebietsdatei gefunden" in result.output
    assert "Kaufverhalten Preissegment: 3 Werte (Economy, Premium, ohne Angabe)" in \
        result.output
    assert "Kaufverhalten Produktart: 3 Werte" in result.output
    assert "1 Datei ohne diese Spalte" in result.output
    rows = _rows(out, "Kaufverhalten")
    premium = _block(rows, "Preissegment x Segment")
    assert premium[("Premium", "Gesamt")] == (3, 75000, 110000, 35000)  # b, c, e
    assert premium[("Economy", "Gesamt")] == (2, 13000, 29000, 16000)  # a, d
    assert _block(rows, "Produktart x Segment")[("Gesamt", "Gesamt")][0] == 6
    assert not any(r[0] and "Farbe x" in str(r[0]) for r in rows)
    log = [r[0] for r in _rows(out, "Importprotokoll") if r[0]]
    assert any("Farbe" in t and "in keiner Gebietsdatei" in t for t in log)
    assert _rows(out, "Übersicht")  # the rest is there


def test_two_nach_columns_also_crossed_together(folder, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    run = consolidate([folder], out, workers=1, dimensions=["Produktart", "Preissegment"])
    rows = _rows(out, "Kaufverhalten")
    both = _block(rows, "Produktart / Preissegment x Segment")
    assert both[("Mehrweg / Premium", "B-Grow")] == (1, 20000, 30000, 10000)
    assert both[("ohne Angabe / ohne Angabe", "A-Maintain")] == (1, 50000, 60000, 10000)
    assert both[("Gesamt", "Gesamt")][0] == 6
    assert [t.name for t in run.data.dimensions] == ["Produktart", "Preissegment",
                                                    "Produktart / Preissegment"]
    # the third block would cross the first page's end: it starts on a new page
    with zipfile.ZipFile(out) as zf:
        names = re.findall(rb'<sheet name="([^"]+)"', zf.read("xl/workbook.xml"))
        sheet = zf.read(f"xl/worksheets/sheet{names.index('Kaufverhalten'.encode()) + 1}.xml")
    start = next(i for i, r in enumerate(rows) if r[0] == "Produktart / Preissegment x Segment")
    assert f'<brk id="{start}"'.encode() in sheet


def test_more_than_two_nach_columns_the_first_two(folder, tmp_path):
    run = consolidate([folder], tmp_path / "Gesamt.xlsx", workers=1,
                      dimensions=["Preissegment", "Produktart", "Kunde"])
    assert run.data.dimension_errors == ["Auswertung nach Kaufverhalten: höchstens 2 Merkmale "
                                         "mit --nach, verwendet Preissegment, Produktart"]
    assert [t.name for t in run.data.dimensions] == ["Preissegment", "Produktart",
                                                    "Preissegment / Produktart"]
    assert run.exit_code == 1


def test_no_dimension_no_sheet(tmp_path):
    areas = tmp_path / "Gebiete"
    areas.mkdir()
    _list(areas / "Ost.xlsx", "Ost", OST, None)
    consolidate([areas], tmp_path / "Gesamt.xlsx", workers=1)
    wb = openpyxl.load_workbook(tmp_path / "Gesamt.xlsx", read_only=True)
    assert "Kaufverhalten" not in wb.sheetnames
    wb.close()


@needs_schemas
def test_master_with_dimensions_is_schema_valid(folder, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    consolidate([folder], out, workers=2, dimensions=["Preissegment"])  # across processes
    assert_schema_valid(out)


@needs_poi
def test_master_with_dimensions_opens_in_poi(folder, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    consolidate([folder], out, workers=1, dimensions=["Preissegment"])
    sheets = assert_poi_reads([out])[out].sheets
    assert sheets["Kaufverhalten"][1] > 0


def test_a_column_of_names_is_no_classification(folder, tmp_path, monkeypatch):
    from xl_cseg.consolidate import summary

    monkeypatch.setattr(summary, "MAX_VALUES", 4)  # 6 customer names
    run = consolidate([folder], tmp_path / "Gesamt.xlsx", workers=1,
                      dimensions=["Kunde", "Preissegment"])
    assert run.data.dimension_errors == [
        "Auswertung nach Kaufverhalten: Spalte „Kunde“ hat 6 verschiedene Werte (mehr als 4) "
        "und ist keine Einteilung; nicht ausgewertet"]
    assert [t.name for t in run.data.dimensions] == ["Preissegment", "Produktart"]
