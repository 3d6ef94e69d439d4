"""Pipeline and plan written into the workbook headless (``xl-cseg plan``), bad measure input."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc
from typer.testing import CliRunner

from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.io import plan_layout
from xl_cseg.resources import demo_workbook
from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.sheetwriter import write_sheet
from xl_cseg.xlsx.safezip import open_package

runner = CliRunner()


def sheet(path: Path, name: str) -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python(
        skip_empty_area=False)


def edit_cells(path: Path, sheet_name: str, cells: dict) -> None:
    """What a user types, written with the project's own surgical writer."""
    pkg = open_package(path)
    part = next(s.part for s in pkg.sheets() if s.name == sheet_name)
    write_package(path, path, {part: write_sheet(pkg.sheet_scan(part), cells)})


@pytest.fixture
def demo(tmp_path) -> Path:
    return Path(shutil.copyfile(demo_workbook(), tmp_path / "demo.xlsm"))


def test_plan_fills_measures_and_planung(demo):
    result = runner.invoke(app, ["plan", str(demo)])
    assert result.exit_code == 0, result.output
    assert "Lücke zum Ziel" in result.output and "Inside Sales benötigt" in result.output
    measures = sheet(demo, "Maßnahmen")
    head = measures[0]
    prob, weighted = head.index("Wahrscheinlichkeit"), head.index("Gewichteter Umsatz")
    status, amount = head.index("Status"), head.index("Erwarteter Umsatz")
    default = {"nicht gestartet": 0.1, "initial vorgestellt": 0.2, "in Erprobung": 0.4,
               "Angebot beim Einkauf": 0.7, "gewonnen": 1.0, "verloren": 0.0}
    for row in measures[1:31]:
        assert row[prob] == default[row[status]]
        assert row[weighted] == pytest.approx(row[amount] * default[row[status]])
    plan = sheet(demo, "Planung")
    labels = {plan[r][0]: plan[r][1] for r in range(plan_layout.GAP_HEAD + 1,
                                                      plan_layout.GAP_HEAD + 15)}
    kunden = sheet(demo, "Kunden")
    revenue = sum(r[4] for r in kunden[1:] if isinstance(r[4], float))
    assert labels["Umsatz Vorjahr"] == pytest.approx(revenue)
    assert labels["Umsatzziel"] == pytest.approx(revenue * 1.1)
    assert labels["Lücke zum Ziel"] == pytest.approx(labels["Umsatzziel"]
                                                     - labels["Erwartete Basis"])


def test_target_from_parameter_cells(demo):
    # Ziel_Umsatz lives in Parameter!B34 (row 33): 500,000 -> 600,000 style absolute target
    edit_cells(demo, "Parameter", {(33, 1): 5_000_000.0})
    report = jobs.segment_workbook(demo)
    assert report.plan.gap.target == 5_000_000


def test_bad_measures_get_cell_addressed_messages(demo):
    edit_cells(demo, "Maßnahmen", {
        (1, 4): "Angebot Einkauf",  # E2: unknown status
        (2, 0): 99999.0,  # A3: unknown customer
        (3, 5): -500.0,  # F4: negative amount
        (4, 5): "vierzehn",  # F5: text amount
        (5, 8): "31.12.2099",  # I6: last activity in the future
    })
    edit_cells(demo, "Parameter", {(42, 1): 300.0})  # Urlaubstage beyond the working days
    before = sheet(demo, "Maßnahmen")
    result = runner.invoke(app, ["plan", str(demo)])
    out = result.output
    assert result.exit_code == 1, out
    assert 'Maßnahmen!E2: „Angebot Einkauf“ ist kein bekannter Status – meinten Sie ' \
           '„Angebot beim Einkauf“?' in out
    assert "Maßnahmen!A3: 99999 steht nicht in der Kundenliste" in out
    assert "Maßnahmen!F4: negativer Betrag" in out
    assert 'Maßnahmen!F5: „vierzehn“ ist keine Zahl' in out
    assert "Maßnahmen!I6: 31.12.2099 liegt in der Zukunft" in out
    assert "Parameter!$B$42" in out or "Parameter!B42" in out  # Arbeitstage: absences too high
    after = sheet(demo, "Maßnahmen")
    for r, row in enumerate(before):
        assert row[:9] == after[r][:9]  # inputs untouched
    head = after[0]
    notes = head.index("Prüfhinweis")
    assert "kein bekannter Status" in after[1][notes]


def test_plan_writes_only_owned_parts(demo):
    with zipfile.ZipFile(demo) as zf:
        before = {n: zf.read(n) for n in zf.namelist()}
    jobs.segment_workbook(demo)
    with zipfile.ZipFile(demo) as zf:
        after = {n: zf.read(n) for n in zf.namelist()}
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml",
                       "xl/worksheets/sheet5.xml"}
    assert before["xl/vbaProject.bin"] == after["xl/vbaProject.bin"]
    assert before["customUI/customUI14.xml"] == after["customUI/customUI14.xml"]
