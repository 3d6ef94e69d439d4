"""params push: the controller's values land in exactly the parameter cells of each territory
workbook; everything else stays byte for byte; locked, broken and foreign files are skipped."""

from __future__ import annotations

import os

import pytest
import typer
import xlsxwriter
from test_consolidate_support import (customers, demo_copy, parameter_workbook, xlsx_territory,
                                      zip_members)
from typer.testing import CliRunner

from xl_cseg.consolidate.cli import params_app
from xl_cseg.consolidate.parameters import PARAMETER_NAMES
from xl_cseg.consolidate.params_push import (CHANGED, UNCHANGED, ParameterFileError, push,
                                             source_values)
from xl_cseg.consolidate.sources import FAILED, SKIPPED, backup_path
from xl_cseg.io.source import FileSource, named_values
from xl_cseg.resources import demo_workbook

CONTROLLER = {"Kosten_je_Besuch": 420.0, "Max_Vertriebskostenanteil": 0.12,
              "Kanal_C_Grow": "Telefonvertrieb", "Wkt_in_Erprobung": 0.45,
              "Ziel_Umsatz": 600_000.0}


@pytest.fixture()
def controller(tmp_path):
    return parameter_workbook(tmp_path / "Parameter.xlsm", CONTROLLER)


def grids(path) -> dict[str, list[list]]:
    source = FileSource(path)
    return {s.name: source.grid(s) for s in source.worksheets()}


def changed_cells(before: dict, after: dict) -> set[tuple[str, int, int]]:
    cells = set()
    for name, grid in before.items():
        other = after[name]
        for r in range(max(len(grid), len(other))):
            a = grid[r] if r < len(grid) else []
            b = other[r] if r < len(other) else []
            for c in range(max(len(a), len(b))):
                if (a[c] if c < len(a) else "") != (b[c] if c < len(b) else ""):
                    cells.add((name, r, c))
    return cells


def test_push_changes_exactly_the_parameter_cells(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    original, before = target.read_bytes(), grids(target)
    members = zip_members(target)
    [result] = push(controller, [target])
    assert result.status == CHANGED and not result.missing and not result.kept
    changes = {c.name: c for c in result.changes}
    assert (changes["Kosten_je_Besuch"].old, changes["Kosten_je_Besuch"].new) == (350.0, 420.0)
    assert changes["Kosten_je_Besuch"].cell == "Parameter!B6"
    assert changes["Kanal_C_Grow"].new == "Telefonvertrieb"
    assert (changes["Wkt_in_Erprobung"].old, changes["Wkt_in_Erprobung"].new) == (0.4, 0.45)
    assert changes["Ziel_Umsatz"].old is None and changes["Ziel_Umsatz"].new == 600_000.0
    after = grids(target)
    cells = FileSource(target).named_cells()
    expected = {(cells[c.name].sheet, cells[c.name].row, cells[c.name].col) for c in result.changes}
    assert changed_cells(before, after) == expected
    values, _ = named_values(FileSource(target))
    for name, value in CONTROLLER.items():
        assert values[name] == value
    new_members = zip_members(target)
    differing = {n for n in members if members[n] != new_members[n]}
    assert differing == {"xl/worksheets/sheet2.xml"}  # the Parameter sheet only
    assert list(new_members) == list(members)
    assert result.backup == backup_path(target) and result.backup.read_bytes() == original


def test_second_push_changes_nothing_and_keeps_the_backup(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    push(controller, [target])
    pushed, backup = target.read_bytes(), backup_path(target).read_bytes()
    [again] = push(controller, [target])
    assert again.status == UNCHANGED and not again.changes and again.backup is None
    assert target.read_bytes() == pushed and backup_path(target).read_bytes() == backup


def test_locked_broken_and_foreign_files_are_skipped(tmp_path, controller):
    locked = demo_copy(tmp_path / "Süd.xlsm", "Süd")
    (tmp_path / "~$Süd.xlsm").write_bytes(b"owner")
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(os.urandom(2000))
    plain = xlsx_territory(tmp_path / "Liste.xlsx", customers(3, seed=1, first_id=1))
    before = locked.read_bytes()
    results = {r.path.name: r for r in push(controller, [tmp_path])}
    assert results["Süd.xlsm"].status == SKIPPED and "Excel geöffnet" in results["Süd.xlsm"].message
    assert locked.read_bytes() == before and not backup_path(locked).exists()
    assert results["kaputt.xlsx"].status == FAILED
    assert results["Liste.xlsx"].status == SKIPPED
    assert "keine Parameterzellen" in results["Liste.xlsx"].message
    assert results["~$Süd.xlsm"].status == SKIPPED
    assert results["Parameter.xlsm"].message == "Parameterquelle dieses Laufs"
    assert plain.exists()


def test_formula_cells_are_left_alone(tmp_path, controller):
    path = tmp_path / "Formel.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Parameter")
    ws.write_formula("B6", "=300+50", None, 350)
    ws.write_number("B7", 0.1)
    wb.define_name("Kosten_je_Besuch", "=Parameter!$B$6")
    wb.define_name("Max_Vertriebskostenanteil", "=Parameter!$B$7")
    wb.close()
    [result] = push(controller, [path])
    assert result.kept == ["Parameter!B6 (Kosten_je_Besuch)"]
    assert [(c.name, c.old, c.new) for c in result.changes] == \
        [("Max_Vertriebskostenanteil", 0.1, 0.12)]
    assert "Kanal_C_Grow" in result.missing
    special = FileSource(path).package.special_cells("xl/worksheets/sheet1.xml")
    assert special[5, 1].formula == "300+50"


def test_invalid_controller_values_are_refused(tmp_path):
    bad = parameter_workbook(tmp_path / "Parameter.xlsm", {"Kosten_je_Besuch": "teuer"})
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    before = target.read_bytes()
    with pytest.raises(ParameterFileError, match="Parameter!B6"):
        push(bad, [target])
    assert target.read_bytes() == before
    with pytest.raises(ParameterFileError, match="keine Parameterzellen"):
        source_values(xlsx_territory(tmp_path / "x.xlsx", customers(2, seed=1, first_id=1)))


def test_source_values_cover_scalars_channels_and_probabilities(controller):
    values = source_values(controller)
    assert values["Kosten_je_Besuch"] == 420.0 and values["Kanal_C_Grow"] == "Telefonvertrieb"
    assert values["Besuche_B_Grow"] == 4.0 and values["Wkt_gewonnen"] == 1.0
    assert values["Monate_lfd_Jahr"] is None  # blank stays blank
    assert list(values) == list(PARAMETER_NAMES)  # the template defines every one


def test_cli_push(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    app = typer.Typer()
    app.add_typer(params_app, name="params")
    app.command("unused")(lambda: None)
    result = CliRunner().invoke(app, ["params", "push", str(controller), str(target)])
    assert result.exit_code == 0, result.output
    assert "geändert" in result.output and "Kosten_je_Besuch" in result.output
    assert "350" in result.output and "420" in result.output
    assert "1 Dateien geändert" in result.output
    assert demo_workbook().read_bytes() != target.read_bytes()
