"""Every kind of file the project writes is valid SpreadsheetML (ECMA-376 schemas) and opens in
Apache POI: segmented own lists, the template from ``new``, the demo, ``plan`` output, the
consolidation master, the migration workbook and workbooks after ``params push``."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font
from typer.testing import CliRunner

from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas, schema_errors
from xl_cseg.cli import app
from xl_cseg.io.source import FileSource
from xl_cseg.resources import template_workbook
from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.safezip import open_package
from xl_cseg.xlsx.sheetwriter import write_sheet

runner = CliRunner()


def _run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), (args, result.output)


def _own_list(path: Path, territory: str, first: int) -> Path:
    """A rep's list typed into openpyxl: title row, bold headers, an autofilter."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws["A1"] = f"Gebiet {territory}"
    ws["A1"].font = Font(bold=True, size=14)
    heads = ["Kunden-Nr", "Kunde", "Gebiet", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"]
    for c, head in enumerate(heads, start=1):
        ws.cell(row=3, column=c, value=head).font = Font(bold=True)
        ws.cell(row=3, column=c).alignment = Alignment(wrap_text=True)
    for i in range(6):
        ws.append([first + i, f"Kunde {first + i} GmbH", territory, 5000.0 * (i + 1) ** 2,
                   60000.0 + 1000 * i, 1 + i % 5])
    ws.auto_filter.ref = "A3:F9"
    wb.save(path)
    return path


def _controller(path: Path, cost_per_visit: float) -> Path:
    """The controller's parameter file: the template with Kosten_je_Besuch changed."""
    shutil.copyfile(template_workbook(), path)
    cell = FileSource(path).named_cells()["Kosten_je_Besuch"]
    pkg = open_package(path)
    part = next(s.part for s in pkg.sheets() if s.name == cell.sheet)
    write_package(path, path, {part: write_sheet(pkg.sheet_scan(part),
                                                 {(cell.row, cell.col): cost_per_visit})})
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """One small file of every kind, written through the command line."""
    folder = tmp_path_factory.mktemp("written")
    files: dict[str, Path] = {}
    areas = folder / "Gebiete"
    areas.mkdir()
    for n, territory in enumerate(("Nord", "Süd")):
        path = _own_list(areas / f"{territory}.xlsx", territory, 1000 + 100 * n)
        _run("segment", str(path))
    files["segmentierte Liste"] = areas / "Nord.xlsx"
    files["Vorlage (new)"] = folder / "Neu.xlsm"
    _run("new", str(files["Vorlage (new)"]))
    files["Demo"] = folder / "Demo.xlsm"
    _run("demo", "--out", str(files["Demo"]))
    files["plan"] = folder / "Plan.xlsm"
    _run("plan", str(shutil.copyfile(files["Demo"], folder / "PlanQuelle.xlsm")), "--out",
         str(files["plan"]))
    files["Gesamtauswertung"] = folder / "Gesamt.xlsx"
    history = folder / "Verlauf.sqlite"
    for day in ("2026-03-31", "2026-06-30"):
        _run("consolidate", str(areas), "--out", str(files["Gesamtauswertung"]), "--date", day,
             "--history", str(history), "--jobs", "1", "--force")
    files["Migration"] = folder / "Migration.xlsx"
    _run("migration", "--history", str(history), "--out", str(files["Migration"]))
    controller = _controller(folder / "Parameter.xlsm", 420.0)
    files["params push"] = shutil.copyfile(files["Demo"], folder / "Gepusht.xlsm")
    before = files["params push"].read_bytes()
    _run("params", "push", str(controller), str(files["params push"]))
    assert files["params push"].read_bytes() != before  # the push wrote
    for kind, path in files.items():
        assert path.is_file(), kind
    return files


KINDS = ["segmentierte Liste", "Vorlage (new)", "Demo", "plan", "Gesamtauswertung",
         "Migration", "params push"]


@needs_schemas
@pytest.mark.parametrize("kind", KINDS)
def test_every_written_file_is_schema_valid(written, kind):
    assert_schema_valid(written[kind])


@needs_poi
def test_every_written_file_opens_in_poi(written):
    results = assert_poi_reads([written[kind] for kind in KINDS])
    for kind in KINDS:
        sheets = results[written[kind]].sheets
        assert sheets and sum(cells for _rows, cells in sheets.values()) > 0, kind


@needs_schemas
def test_schema_check_finds_a_broken_part(tmp_path):
    """The checker can fail: a cell type the schema does not know is reported."""
    path = _own_list(tmp_path / "kaputt.xlsx", "Ost", 1)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = re.sub(rb'(<c r="A4"[^>]*?) t="\w+"', rb'\1 t="x"',
                                                 sheet, count=1)
    assert members["xl/worksheets/sheet1.xml"] != sheet
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    errors = schema_errors(path)
    assert errors and "sheet1.xml" in errors[0]


@needs_poi
def test_poi_check_finds_a_broken_file(tmp_path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 kein Zip")
    with pytest.raises(AssertionError, match="POI kann nicht lesen"):
        assert_poi_reads([path])
