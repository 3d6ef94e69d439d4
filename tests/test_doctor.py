"""``xl-cseg doctor``: environment and workbook checks with German findings and fixes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
import xlsxwriter
import xlwings

from xl_cseg import doctor, udfs
from xl_cseg.build.udf_vba import udf_vba_source
from xl_cseg.build.vba_project import VbaModule, build_vba_project

XLWINGS_DIR = Path(xlwings.__file__).parent
PIN = "0.37.8"


def _xlwings_module(version: str) -> VbaModule:
    return VbaModule("xlwings", "standard",
                     f'Option Explicit\nPublic Const XLWINGS_VERSION As String = "{version}"\n')


def make_workbook(path: Path, *, version: str | None = PIN, udfs: str | None = None,
                  conf: dict[str, object] | None = None, macros: bool = True) -> Path:
    """A workbook as xl-cseg builds it: xlwings module, UDF wrappers, optional xlwings.conf."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Kunden").write_row(0, 0, ["Kunden-Nr", "Kunde"])
    if conf is not None:
        sheet = book.add_worksheet("xlwings.conf")
        for row, (key, value) in enumerate(conf.items()):
            sheet.write(row, 0, key)
            sheet.write(row, 1, value)
    if macros:
        wrappers = udf_vba_source() if udfs is None else udfs
        modules = [VbaModule("xlwings_udfs", "standard", wrappers)]
        if version is not None:
            modules.insert(0, _xlwings_module(version))
        book.add_vba_project(io.BytesIO(build_vba_project(modules)), is_stream=True)
    book.close()
    return path


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def test_environment_is_ready():
    checks = by_name(doctor.run_checks(None))
    assert checks["Python"].ok is True
    assert checks["xlwings"] == doctor.Check("xlwings", True,
                                             f"xlwings {PIN} wie von xl-cseg verlangt")
    assert checks["Arbeitsblattfunktionen"].ok is True
    assert checks["Mac"].ok is None if sys.platform != "darwin" else checks["Mac"].ok is not None
    assert doctor.pinned_xlwings() == PIN == doctor.installed_xlwings()


def test_main_prints_a_table_and_exits_0(capsys):
    assert doctor.main(None) == 0
    out = capsys.readouterr().out
    assert "xl-cseg doctor" in out and "Alles bereit." in out


@pytest.mark.parametrize("pin, installed, ok, fix", [
    (PIN, "0.30.0", False, f"pip install xlwings=={PIN}"),
    (PIN, None, False, f"pip install xlwings=={PIN}"),
    (None, PIN, None, "pip install xl-cseg"),
    (PIN, PIN, True, ""),
])
def test_xlwings_version_against_the_pin(pin, installed, ok, fix):
    check = doctor._check_xlwings(pin, installed)
    assert (check.ok, check.fix) == (ok, fix)


def test_good_workbook(tmp_path):
    path = make_workbook(tmp_path / "Gebiet.xlsm", conf={"Interpreter_Win": "", "Conda Path": ""})
    checks = by_name(doctor.run_checks(path))
    assert checks["xlwings in der Mappe"].ok is True
    functions = [n for n in dir(udfs) if hasattr(getattr(udfs, n), "__xlfunc__")]
    assert len(functions) >= 14
    assert checks["Funktionen in der Mappe"] == doctor.Check(
        "Funktionen in der Mappe", True, f"alle {len(functions)} CSEG-Funktionen in der Mappe")
    assert "Conda" not in checks
    assert not [c for c in checks.values() if c.ok is False]
    assert doctor.main(path) == 0


def test_embedded_xlwings_version_mismatch_says_how_to_fix(tmp_path):
    path = make_workbook(tmp_path / "Alt.xlsm", version="0.30.10")
    check = by_name(doctor.run_checks(path))["xlwings in der Mappe"]
    assert check.ok is False
    assert check.message == ("die Mappe enthält xlwings 0.30.10, installiert ist 0.37.8: Excel "
                             "meldet dann einen Versionskonflikt")
    assert "xl-cseg new" in check.fix and "pip install xlwings==0.30.10" in check.fix
    assert doctor.main(path) == 1


def test_installed_xlwings_differs_from_workbook_and_pin(tmp_path):
    modules = doctor.vba_modules(build_vba_project([_xlwings_module(PIN)]))
    check = doctor._check_vba(tmp_path / "x.xlsm", modules, PIN, "0.36.0")[0]
    assert check.ok is False and check.fix == f"pip install xlwings=={PIN}"


def test_workbook_without_xlwings_or_functions(tmp_path):
    checks = by_name(doctor.run_checks(make_workbook(
        tmp_path / "Ohne.xlsm", version=None,
        udfs='Attribute VB_Name = "xlwings_udfs"\nFunction CSEG_ABC(umsatz)\nEnd Function\n'
             "Function CSEG_ALT(x)\nEnd Function\n")))
    assert checks["xlwings in der Mappe"].ok is False
    functions = checks["Funktionen in der Mappe"]
    assert functions.ok is False and "fehlen: CSEG_AUSSCHOEPFUNG" in functions.message
    assert "veraltet: CSEG_ALT" in functions.message
    assert functions.fix.endswith("xl-cseg new neu erzeugen")


def test_xlsx_without_macros(tmp_path):
    path = make_workbook(tmp_path / "Liste.xlsx", macros=False)
    check = by_name(doctor.run_checks(path))["Makros"]
    assert check.ok is False and "keine Makros" in check.message


def test_missing_and_unreadable_workbooks(tmp_path):
    assert by_name(doctor.run_checks(tmp_path / "fehlt.xlsm"))["Arbeitsmappe"].ok is False
    (tmp_path / "kaputt.xlsm").write_bytes(b"kein zip")
    check = by_name(doctor.run_checks(tmp_path / "kaputt.xlsm"))["Arbeitsmappe"]
    assert check.ok is False and "nicht lesbar" in check.message


def test_excel_written_workbook_with_p_code():
    # xlwings' own standalone quickstart: saved by Excel (p-code before the source)
    checks = by_name(doctor.run_checks(XLWINGS_DIR / "quickstart_standalone.xlsm"))
    assert checks["xlwings in der Mappe"].ok is True
    assert "_xlwings.conf ist wegen des Unterstrichs inaktiv" in checks["xlwings.conf"].message


def test_conf_sheet_is_read_like_xlwings(tmp_path):
    path = make_workbook(tmp_path / "Conf.xlsm", conf={
        "Interpreter_Win": r"%LOCALAPPDATA%\Programs\Python\python.exe", "Conda Path": "",
        "UDF Modules": "xl_cseg.udfs", "": "", "Nach Leerzeile": "ignoriert"})
    settings, inactive = doctor.read_conf_sheet(path)
    assert settings == {"INTERPRETER_WIN": r"%LOCALAPPDATA%\Programs\Python\python.exe",
                        "CONDA PATH": "", "UDF MODULES": "xl_cseg.udfs"}
    assert inactive is False
    assert by_name(doctor.run_checks(path))["xlwings.conf"] == doctor.Check(
        "xlwings.conf", True, r"Blatt gefunden (Interpreter_Win = %LOCALAPPDATA%\Programs\Python"
                              r"\python.exe, Conda Path = leer, UDF Modules = xl_cseg.udfs)")
    other = doctor._check_conf_sheet({"UDF MODULES": "Gebiet_Nord"})
    assert other.ok is None
    assert other.fix == "im Blatt xlwings.conf bei UDF Modules xl_cseg.udfs eintragen"


def test_interpreter_path_on_this_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("XLCSEG_PY", str(Path(sys.executable).parent))
    missing = doctor._check_interpreter({"INTERPRETER_WIN": r"C:\Python39\python.exe"}, "win32")[0]
    assert missing.ok is False and sys.executable in missing.fix
    this_python = "%XLCSEG_PY%/" + Path(sys.executable).name
    this = doctor._check_interpreter({"INTERPRETER_WIN": this_python}, "win32")[0]
    assert this.ok is True
    pythonw = doctor._check_interpreter(
        {"INTERPRETER_WIN": str(Path(sys.executable).parent / "python3")}, "win32")[0]
    assert pythonw.ok is True  # another executable of the same environment
    other = tmp_path / "python.exe"
    other.write_text("")
    found = doctor._check_interpreter({"INTERPRETER_WIN": str(other)}, "win32")[0]
    assert found.ok is None and "-m pip install xl-cseg" in found.fix
    mac = doctor._check_interpreter({"INTERPRETER_MAC": "/usr/local/bin/python3"}, "win32")
    assert [c.ok for c in mac] == [None, None]  # Win blank: PATH; Mac: not checkable here


def test_conda_settings(tmp_path):
    assert doctor._check_conda({}) is None
    assert doctor._check_conda({"CONDA PATH": r"C:\anaconda3"}).ok is False
    assert doctor._check_conda({"CONDA ENV": "vertrieb"}).ok is False
    (tmp_path / "envs" / "vertrieb").mkdir(parents=True)
    assert doctor._check_conda({"CONDA PATH": str(tmp_path), "CONDA ENV": "vertrieb"},
                               "win32").ok is True
    assert doctor._check_conda({"CONDA PATH": str(tmp_path), "CONDA ENV": "fehlt"},
                               "win32").ok is False
    assert doctor._check_conda({"CONDA PATH": str(tmp_path), "CONDA ENV": "base"},
                               "linux").ok is None


def test_onedrive_and_sharepoint(tmp_path):
    path = make_workbook(tmp_path / "OneDrive - Firma" / "Gebiet.xlsm",
                         conf={"Interpreter_Win": ""})
    check = by_name(doctor.run_checks(path))["OneDrive/SharePoint"]
    assert check.ok is False
    assert "ONEDRIVE_COMMERCIAL_WIN" in check.fix and "lokale Kopie" in check.fix
    configured = make_workbook(tmp_path / "OneDrive" / "Gebiet.xlsm",
                               conf={"ONEDRIVE_COMMERCIAL_WIN": r"%USERPROFILE%\OneDrive - Firma"})
    assert by_name(doctor.run_checks(configured))["OneDrive/SharePoint"].ok is True
    url = by_name(doctor.run_checks(Path("https://firma.sharepoint.com/sites/v/Gebiet.xlsm")))
    assert url["OneDrive/SharePoint"].ok is False
    assert "OneDrive/SharePoint" not in by_name(doctor.run_checks(
        make_workbook(tmp_path / "lokal" / "Gebiet.xlsm")))


def test_mac_needs_the_applescript(tmp_path, monkeypatch):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    check = doctor._check_mac(PIN, "darwin")
    assert check.ok is False and check.fix == "xlwings runpython install"
    assert "keine Arbeitsblattfunktionen" in check.message
    script = tmp_path / "Library" / "Application Scripts" / "com.microsoft.Excel"
    script.mkdir(parents=True)
    (script / f"xlwings-{PIN}.applescript").write_text("")
    assert doctor._check_mac(PIN, "darwin").ok is True


def test_render_lists_fixes_of_problems_only():
    text = doctor.render([doctor.Check("A", True, "gut", "nichts"),
                          doctor.Check("B", False, "schlecht", "reparieren")])
    assert text == "[OK] A: gut\n[FEHLER] B: schlecht\n    Abhilfe: reparieren"
