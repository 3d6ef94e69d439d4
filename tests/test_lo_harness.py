"""Tests for the LibreOffice verification harness (tests/lo): what LO sees in .xlsx/.xlsm files."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
import xlwings

from xl_cseg.build import vba_project as vba

from tests.lo import harness
from tests.lo.harness import probe, requires_lo

XLWINGS_DIR = Path(xlwings.__file__).parent


def _xlsm(path: Path, modules: dict[str, str]) -> Path:
    """An .xlsm with sheet "Daten" (code name Tabelle1, A1 = "Hallo") and standard modules ``modules``."""
    project = [vba.VbaModule("ThisWorkbook", "document", ""), vba.VbaModule("Tabelle1", "document", "")]
    project += [vba.VbaModule(name, "standard", source) for name, source in modules.items()]
    bin_path = path.with_suffix(".bin")
    bin_path.write_bytes(vba.build_vba_project(project))
    wb = xlsxwriter.Workbook(str(path))
    wb.set_vba_name("ThisWorkbook")
    ws = wb.add_worksheet("Daten")
    ws.set_vba_name("Tabelle1")
    ws.write("A1", "Hallo")
    wb.add_vba_project(str(bin_path))
    wb.close()
    return path


def test_require_lo_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(harness, "lo_missing_reason", lambda: "soffice missing")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="soffice missing"):
        harness.require_lo()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI"):
        harness.require_lo()
    monkeypatch.setattr(harness, "lo_missing_reason", lambda: None)
    harness.require_lo()


@requires_lo
def test_xlsx_sheets_names_tables_and_cells(tmp_path):
    path = tmp_path / "struktur.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    daten = wb.add_worksheet("Daten")
    summary = wb.add_worksheet("Übersicht")
    daten.write("A1", "Schwelle")
    daten.write("B1", 100)
    wb.define_name("Schwelle", "=Daten!$B$1")
    wb.define_name("Daten!Kopf", "=Daten!$A$1")
    # LO 7.4 needs the full form tblKunden[[#This Row],[Umsatz]]: XlsxWriter turns [@Umsatz] into
    # [[#This Row],Umsatz], which LO rejects (Err:507).
    daten.add_table("A3:C6", {
        "name": "tblKunden",
        "columns": [{"header": "Kunde"}, {"header": "Umsatz"},
                    {"header": "Gross", "formula": "=tblKunden[[#This Row],[Umsatz]]>Schwelle"}],
        "data": [["Alpha", 50], ["Beta", 150], ["Gamma", 300]],
    })
    summary.write_formula("A1", "=SUM(tblKunden[Umsatz])")
    summary.write_formula("A2", "=1/0")
    summary.write("A3", "Grüße")
    wb.close()

    [report] = probe([{"path": path, "cells": [
        "'Übersicht'!A1", "Übersicht!A2", "Übersicht!A3", "Übersicht!A4", "Daten!C4", "Daten!C5", "Nein!A1",
    ]}])

    assert report["ok"], report["error"]
    assert report["sheets"] == ["Daten", "Übersicht"]
    assert set(report["named_ranges"]) == {"Schwelle", "Daten!Kopf"}
    assert report["database_ranges"] == ["tblKunden"]
    cells = report["cells"]
    assert cells["'Übersicht'!A1"] == 500  # recalculated by LO: XlsxWriter stores 0
    assert cells["Übersicht!A2"] == {"error": "#DIV/0!"}
    assert cells["Übersicht!A3"] == "Grüße"
    assert cells["Übersicht!A4"] is None
    assert (cells["Daten!C4"], cells["Daten!C5"]) == (0, 1)  # FALSE/TRUE are numbers in LO
    assert "NoSuchElementException" in cells["Nein!A1"]["error"]
    assert report["vba_modules"] == []


@requires_lo
def test_xlwings_xlsm_vba_modules_and_missing_file(tmp_path):
    xlsm = XLWINGS_DIR / "quickstart_standalone.xlsm"
    reports = probe([{"path": xlsm}, {"path": tmp_path / "fehlt.xlsx"}])

    assert reports[0]["ok"], reports[0]["error"]
    # LO imports the VBA project into the document Basic library named after the project.
    assert reports[0]["basic_libraries"]["VBAProject"] == [
        "Dictionary", "Module1", "Sheet1", "Sheet2", "ThisWorkbook", "xlwings"]
    assert reports[0]["vba_modules"] == ["Dictionary", "Module1", "Sheet1", "Sheet2", "ThisWorkbook", "xlwings"]
    assert "Sheet1" in reports[0]["sheets"]
    assert reports[1] == {**reports[1], "ok": False, "error": "file not found"}


@requires_lo
def test_probe_functions_through_script_provider(tmp_path):
    from xl_cseg.build.ribbon import PROBE_FUNCTION, PROBE_RESULT, RIBBON_MODULE, ribbon_vba_source

    probe_module = "\n".join([
        'Attribute VB_Name = "Modul1"',
        "Option Explicit",
        "Public Function Probe() As String",
        '    Probe = "probe ok " & ThisWorkbook.Worksheets("Daten").Range("A1").Value',
        "End Function",
        "Public Function Zahl() As Double",
        "    Zahl = 21 * 2",
        "End Function",
    ]) + "\n"
    path = _xlsm(tmp_path / "makros.xlsm", {RIBBON_MODULE: ribbon_vba_source(), "Modul1": probe_module})
    functions = [f"{RIBBON_MODULE}.{PROBE_FUNCTION}", "Modul1.Probe", "VBAProject.Modul1.Zahl", "Modul1.Fehlt"]

    [report] = probe([{"path": path, "probe": functions}])

    assert report["ok"], report["error"]
    assert report["basic_libraries"] == {"Standard": [], "VBAProject": ["Modul1", "Ribbon", "Tabelle1", "ThisWorkbook"]}
    results = report["probe"]
    assert results[f"{RIBBON_MODULE}.{PROBE_FUNCTION}"] == PROBE_RESULT
    assert results["Modul1.Probe"] == "probe ok Hallo"  # the VBA object model works in LO
    assert results["VBAProject.Modul1.Zahl"] == 42
    assert "could not be found" in results["Modul1.Fehlt"]["error"]


@requires_lo
def test_hanging_macro_times_out_and_next_document_still_probed(tmp_path):
    hang = 'Attribute VB_Name = "Modul1"\nPublic Function Haengt() As Long\n    Do\n    Loop\nEnd Function\n'
    ok = 'Attribute VB_Name = "Modul1"\nPublic Function Probe() As String\n    Probe = "ok"\nEnd Function\n'
    reports = probe([
        {"path": _xlsm(tmp_path / "haengt.xlsm", {"Modul1": hang}), "probe": ["Modul1.Haengt"], "timeout": 3},
        {"path": _xlsm(tmp_path / "gut.xlsm", {"Modul1": ok}), "probe": ["Modul1.Probe"]},
    ])

    assert reports[0]["ok"] is False
    assert reports[0]["error"] == "timeout after 3 s"
    assert reports[0]["sheets"] == ["Daten"]  # read before the macro hung
    assert reports[1]["ok"], reports[1]["error"]
    assert reports[1]["probe"] == {"Modul1.Probe": "ok"}
