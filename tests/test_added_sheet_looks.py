"""The sheets xl-cseg adds to a rep's own list look finished: bold, wrapped headers that fit,
a wrapped explanation, landscape print fit to the page width; the list's own styles untouched."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from tests.userlists import typed_list
from xl_cseg.cli import app
from xl_cseg.xlsx.styles import StyleSheet

runner = CliRunner()
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "PLZ", "Ort"]
ROWS = [[1000 + i, f"Kunde {i} GmbH", 4000.0 * (i + 1) ** 2, 90_000 + 5000 * i,
         f"5066{i % 10}", "Köln"] for i in range(12)]
JOBS = {
    "Preise & Kosten": ["pricing"],
    "Was-wäre-wenn": ["whatif", "--kosten-je-besuch", "300:450:50",
                      "--max-kostenanteil", "8:12:1"],
    "Besuchsplan": ["visits", "--von", "04.01.2027", "--wochen", "4"],
}


def _styles(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/styles.xml")


@pytest.fixture(scope="module", params=list(JOBS))
def added(request, tmp_path_factory) -> tuple[str, Path, bytes]:
    path = typed_list(tmp_path_factory.mktemp("looks") / "liste.xlsx", HEADERS, ROWS,
                      title_rows=["Gebiet Köln"])
    before = _styles(path)
    command, *options = JOBS[request.param]
    result = runner.invoke(app, [command, str(path), *options])
    assert result.exit_code in (0, 1), result.output
    return request.param, path, before


def _header_row(ws) -> int:
    """The first row with three or more texts (the table's header)."""
    for row in ws.iter_rows(min_row=3):
        if sum(isinstance(c.value, str) for c in row) >= 3:
            return row[0].row
    raise AssertionError("no header row")


def test_headers_are_bold_wrapped_and_wide_enough(added):
    sheet, path, _before = added
    ws = openpyxl.load_workbook(path)[sheet]
    head = _header_row(ws)
    for cell in ws[head]:
        if not isinstance(cell.value, str):
            continue
        assert cell.font.b, (sheet, cell.coordinate)
        assert cell.alignment.wrap_text, (sheet, cell.coordinate)
        width = ws.column_dimensions[cell.column_letter].width
        longest = max(len(word) for word in cell.value.split())
        assert width >= longest + 1, (sheet, cell.value, width)


def test_explanation_wraps_within_the_printed_width(added):
    sheet, path, _before = added
    ws = openpyxl.load_workbook(path)[sheet]
    note = ws["A2"]
    assert len(note.value) > 100
    assert note.alignment.wrap_text
    merged = [r for r in ws.merged_cells.ranges if r.min_row == 2 and r.min_col == 1]
    assert merged and merged[0].max_col > 3
    assert ws.row_dimensions[2].height >= 30


def test_printed_landscape_fit_to_width(added):
    sheet, path, _before = added
    ws = openpyxl.load_workbook(path)[sheet]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0


def test_the_lists_styles_are_only_appended_to(added):
    _sheet, path, before = added
    old, new = StyleSheet(before), StyleSheet(_styles(path))
    assert new.xfs[:len(old.xfs)] == old.xfs and new.fonts[:len(old.fonts)] == old.fonts
    fonts = re.findall(rb"<font\b.*?</font>|<font\b[^>]*/>", _styles(path), re.S)
    assert len(fonts) == len(set(fonts))  # the bold font once, not per key


STYLES = (b'<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="http://schemas.openxmlformats'
          b'.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
          b'</font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><cellXfs count="1">'
          b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>')


def test_an_identical_bold_font_is_reused_and_formats_appended_once():
    sheet = StyleSheet(STYLES)
    header = sheet.with_look(None, bold=True, wrap=True)
    assert sheet.with_look(None, bold=True, wrap=True) == header == 1
    assert not sheet.new_fonts  # the list's own bold font
    patched = sheet.patched()
    assert patched.startswith(STYLES[:STYLES.index(b"</cellXfs>")].replace(
        b'cellXfs count="1"', b'cellXfs count="2"'))
    again = StyleSheet(patched)
    assert again.with_look(None, bold=True, wrap=True) == 1 and not again.changed


def test_a_bold_font_is_appended_when_the_list_has_none():
    plain = STYLES.replace(b'<fonts count="2">', b'<fonts count="1">').replace(
        b'<font><b/><sz val="11"/><name val="Calibri"/></font>', b"")
    sheet = StyleSheet(plain)
    assert sheet.with_look('#,##0 "\xe2\x82\xac"'.encode().decode(), bold=True) == 1
    patched = StyleSheet(sheet.patched())
    assert patched.fonts[0] == StyleSheet(plain).fonts[0] and b"<b/>" in patched.fonts[1]
    assert b'fontId="1"' in patched.xfs[1].raw


@needs_schemas
def test_added_sheets_are_schema_valid(added):
    assert_schema_valid(added[1])


@needs_poi
def test_added_sheets_open_in_poi(added):
    sheet, path, _before = added
    results = assert_poi_reads([path])
    assert sheet in results[path].sheets


# -- where the pricing sheet says its parameters came from ----------------------------------------
def _pricing_note(tmp_path: Path, *options: str) -> str:
    path = typed_list(tmp_path / "liste.xlsx", HEADERS, ROWS, title_rows=["Gebiet Köln"])
    result = runner.invoke(app, ["pricing", str(path), *options])
    assert result.exit_code in (0, 1), result.output
    return openpyxl.load_workbook(path)["Preise & Kosten"]["A2"].value


def test_pricing_sheet_says_defaults_for_a_list_without_parameters(tmp_path):
    note = _pricing_note(tmp_path)
    assert "Blatt „Parameter“" not in note
    assert "Standardwerte" in note


def test_pricing_sheet_names_the_params_workbook(tmp_path):
    from tests.test_written_files import _controller

    controller = _controller(tmp_path / "Controlling.xlsm", 420.0)
    note = _pricing_note(tmp_path, "--params", str(controller), "--pauschale", "20")
    assert "Besuche/Jahr x 420 €" in note
    assert "Parameter aus Controlling.xlsm" in note and "Blatt „Parameter“" not in note
    assert "Pauschale aus der Befehlszeile" in note


def test_pricing_sheet_names_the_lists_own_parameter_sheet(tmp_path):
    def own_parameters(wb, _ws) -> None:
        from openpyxl.workbook.defined_name import DefinedName

        sheet = wb.create_sheet("Annahmen")
        sheet.append(["Kosten je Besuch", 380])
        name = DefinedName("Kosten_je_Besuch", attr_text="Annahmen!$B$1")
        try:
            wb.defined_names["Kosten_je_Besuch"] = name
        except TypeError:  # openpyxl < 3.1
            wb.defined_names.append(name)

    path = typed_list(tmp_path / "liste.xlsx", HEADERS, ROWS, title_rows=["Gebiet Köln"],
                      extra=own_parameters)
    result = runner.invoke(app, ["pricing", str(path)])
    assert result.exit_code in (0, 1), result.output
    note = openpyxl.load_workbook(path)["Preise & Kosten"]["A2"].value
    assert "Besuche/Jahr x 380 €" in note and "Parameter auf dem Blatt „Annahmen“" in note


# -- the consolidation's overview counts what the console says -------------------------------------
def test_overview_counts_unread_files_and_files_with_row_errors_apart(tmp_path):
    areas = tmp_path / "Gebiete"
    areas.mkdir()
    headers = [*HEADERS, "Gebiet"]
    typed_list(areas / "Nord.xlsx", headers, [[*r, "Nord"] for r in ROWS],
               title_rows=["Gebiet Nord"])
    bad = [[*r, "Süd"] for r in ROWS]
    bad[2][2], bad[5][3] = "vierzehn", "viel"  # two cells that are no numbers
    typed_list(areas / "Süd.xlsx", headers, bad, title_rows=["Gebiet Süd"])
    (areas / "Kaputt.xlsx").write_bytes(b"PK\x03\x04 kein echtes Paket")
    out = tmp_path / "Gesamt.xlsx"
    result = runner.invoke(app, ["consolidate", str(areas), "--out", str(out), "--jobs", "1",
                                 "--date", "2026-06-30"])
    assert result.exit_code in (0, 1), result.output
    assert "2 Fehler in 1 Datei" in result.output
    rows = openpyxl.load_workbook(out, read_only=True)["Übersicht"]
    figures = {r[0]: r[1] for r in rows.iter_rows(values_only=True) if r[0]}
    assert "Dateien mit Fehler" not in figures
    assert figures["Dateien gelesen"] == 2 and figures["Dateien nicht gelesen"] == 1
    assert figures["Dateien mit Zeilenfehlern"] == 1
    assert figures["Zeilenfehler (Importprotokoll)"] == 2
