"""params push: the controller's values land in exactly the parameter cells of each territory
workbook; everything else stays byte for byte; locked, broken and foreign files are skipped."""

from __future__ import annotations

import os

import pytest
import typer
import xlsxwriter
from test_consolidate_support import (customers, demo_copy, edit_workbook, parameter_workbook,
                                      xlsx_territory,
                                      zip_members)
from typer.testing import CliRunner

from xl_cseg.consolidate.cli import params_app
from xl_cseg.consolidate.parameters import PARAMETER_NAMES
from xl_cseg.consolidate.params_push import (CHANGED, UNCHANGED, WOULD_CHANGE, ParameterFileError,
                                             push,
                                             source_values)
from xl_cseg.consolidate.sources import FAILED, SKIPPED
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
    assert "Ziel_Umsatz" not in changes  # the rep's own value: only when named
    assert [(c.name, c.old, c.new) for c in result.held] == [("Ziel_Umsatz", None, 600_000.0)]
    after = grids(target)
    cells = FileSource(target).named_cells()
    expected = {(cells[c.name].sheet, cells[c.name].row, cells[c.name].col) for c in result.changes}
    assert changed_cells(before, after) == expected
    values, _ = named_values(FileSource(target))
    for name, value in CONTROLLER.items():
        assert values[name] == (None if name == "Ziel_Umsatz" else value)
    new_members = zip_members(target)
    differing = {n for n in members if members[n] != new_members[n]}
    assert differing == {"xl/worksheets/sheet2.xml"}  # the Parameter sheet only
    assert list(new_members) == list(members)
    assert result.backup.name.startswith("Nord.Sicherung-") and result.backup.suffix == ".xlsm"
    assert result.backup.read_bytes() == original


def test_second_push_changes_nothing_and_keeps_the_backup(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    [first] = push(controller, [target])
    pushed, backup = target.read_bytes(), first.backup.read_bytes()
    [again] = push(controller, [target])
    assert again.status == UNCHANGED and not again.changes and again.backup is None
    assert target.read_bytes() == pushed and first.backup.read_bytes() == backup


def test_locked_broken_and_foreign_files_are_skipped(tmp_path, controller):
    locked = demo_copy(tmp_path / "Süd.xlsm", "Süd")
    (tmp_path / "~$Süd.xlsm").write_bytes(b"owner")
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(os.urandom(2000))
    plain = xlsx_territory(tmp_path / "Liste.xlsx", customers(3, seed=1, first_id=1))
    before = locked.read_bytes()
    results = {r.path.name: r for r in push(controller, [tmp_path])}
    assert results["Süd.xlsm"].status == SKIPPED and "Excel geöffnet" in results["Süd.xlsm"].message
    assert locked.read_bytes() == before and not list(tmp_path.glob("*Sicherung*"))
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
    kunden = wb.add_worksheet("Kunden")
    for col, (head, value) in enumerate((("Kunden-Nr", 1), ("Kunde", "Alpha GmbH"),
                                         ("Umsatz Vorjahr", 20000), ("Potenzial", 50000))):
        kunden.write(0, col, head)
        kunden.write(1, col, value)
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
    assert "1 Datei geändert" in result.output
    assert demo_workbook().read_bytes() != target.read_bytes()


# -- groups and ownership ---------------------------------------------------------------------
def test_every_parameter_belongs_to_exactly_one_group():
    from xl_cseg.core.param_groups import ALL_NAMES
    assert sorted(ALL_NAMES) == sorted(PARAMETER_NAMES)
    assert len(set(ALL_NAMES)) == len(ALL_NAMES)


def test_rep_owned_values_stay_unless_named(tmp_path, controller):
    own = {"Ziel_Umsatz": 700_000.0, "Kundentage_je_Woche": 4.0, "Urlaubstage": 28.0}
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord", params=own)
    [result] = push(controller, [target])
    assert result.status == CHANGED
    values, _ = named_values(FileSource(target))
    assert {n: values[n] for n in own} == own  # the rep's target, days and absences kept
    assert values["Kosten_je_Besuch"] == 420.0
    assert {c.name for c in result.held} == set(own)  # the controller's differing values
    [named] = push(controller, [target], also=["Ziel_Umsatz"])
    assert [(c.name, c.old, c.new) for c in named.changes] == [("Ziel_Umsatz", 700_000.0,
                                                                 600_000.0)]
    assert named_values(FileSource(target))[0]["Kundentage_je_Woche"] == 4.0


def test_only_named_groups_are_written(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    [result] = push(controller, [target], only=["Kosten"])
    assert {c.name for c in result.changes} == {"Kosten_je_Besuch", "Max_Vertriebskostenanteil"}
    values, _ = named_values(FileSource(target))
    assert values["Kanal_C_Grow"] != "Telefonvertrieb" and values["Wkt_in_Erprobung"] == 0.4


def test_unknown_group_is_refused_before_anything_is_read(tmp_path, controller):
    from xl_cseg.core.param_groups import SelectionError
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    before = target.read_bytes()
    with pytest.raises(SelectionError, match="Kostn"):
        push(controller, [target], only=["Kostn"])
    assert target.read_bytes() == before


def test_dry_run_writes_nothing(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    before, listing = target.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    [result] = push(controller, [target], dry_run=True)
    assert result.status == WOULD_CHANGE and result.changes and result.backup is None
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_file_changed_after_the_dry_run_is_read_again(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    [dry] = push(controller, [target], dry_run=True)
    assert "Kosten_je_Besuch" in {c.name for c in dry.changes}
    # the rep saves meanwhile: the cost is already the controller's, the share is not
    edit_workbook(target, {"Parameter": {(5, 1): 420.0}})
    [result] = push(controller, [target])
    assert "Kosten_je_Besuch" not in {c.name for c in result.changes}
    assert "Max_Vertriebskostenanteil" in {c.name for c in result.changes}


def test_file_saved_while_pushing_is_read_again(tmp_path, controller, monkeypatch):
    import xl_cseg.consolidate.params_push as params_push
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    plan, calls = params_push._plan, []

    def saved_meanwhile(source, path, values, rest):
        found = plan(source, path, values, rest)
        if not calls:  # the rep saves right after the first read
            edit_workbook(target, {"Parameter": {(5, 1): 420.0}})
            os.utime(target, ns=(1, 1))
        calls.append(path)
        return found

    monkeypatch.setattr(params_push, "_plan", saved_meanwhile)
    [result] = push(controller, [target])
    assert len(calls) == 2 and result.status == CHANGED
    assert "Kosten_je_Besuch" not in {c.name for c in result.changes}
    assert named_values(FileSource(target))[0]["Kosten_je_Besuch"] == 420.0


def test_backups_are_dated_and_never_replace_a_file(tmp_path, controller):
    import datetime as dt

    from xl_cseg.consolidate.sources import dated_backup_path
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    own = tmp_path / "Nord.bak.xlsm"  # the user's own file, named like an old backup
    own.write_bytes(b"PK mine")
    now = dt.datetime(2026, 12, 4, 18, 47, 12)
    taken = dated_backup_path(target, now)
    taken.write_bytes(b"PK also mine")
    original = target.read_bytes()
    [first] = push(controller, [target], now=now)
    assert first.backup.name == "Nord.Sicherung-2026-12-04-184712-2.xlsm"
    assert first.backup.read_bytes() == original
    assert own.read_bytes() == b"PK mine" and taken.read_bytes() == b"PK also mine"
    pushed = target.read_bytes()
    other = parameter_workbook(tmp_path / "Parameter2.xlsm", {"Kosten_je_Besuch": 500.0})
    [second] = push(other, [target], now=now)
    assert second.backup.name == "Nord.Sicherung-2026-12-04-184712-3.xlsm"
    assert second.backup.read_bytes() == pushed and first.backup.read_bytes() == original


def test_folders_one_level_parameter_files_and_masters_skipped(tmp_path, controller):
    from xl_cseg.consolidate.run import consolidate
    nord = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    (tmp_path / "Archiv").mkdir()
    old = demo_copy(tmp_path / "Archiv" / "Nord-2024.xlsm", "Nord")
    archived = old.read_bytes()
    other = parameter_workbook(tmp_path / "Parameter-2025.xlsm", {"Kosten_je_Besuch": 300.0})
    master = tmp_path / "Gesamt.xlsx"
    consolidate([nord], master, workers=1)
    kept = {p: p.read_bytes() for p in (other, master)}
    results = {r.path.name: r for r in push(controller, [tmp_path])}
    assert results["Nord.xlsm"].status == CHANGED
    assert results["Archiv"].status == SKIPPED and "--rekursiv" in results["Archiv"].message
    assert old.read_bytes() == archived
    assert results["Parameter-2025.xlsm"].status == SKIPPED
    assert "Parameterdatei" in results["Parameter-2025.xlsm"].message
    assert results["Gesamt.xlsx"].status == SKIPPED
    assert all(p.read_bytes() == data for p, data in kept.items())
    deep = {r.path.name: r for r in push(controller, [tmp_path], recursive=True)}
    assert deep["Nord-2024.xlsm"].status == CHANGED


def test_stale_results_are_reported_and_recomputed(tmp_path):
    from xl_cseg.io.reader import load
    cheap = parameter_workbook(tmp_path / "Parameter.xlsm", {"Kosten_je_Besuch": 700.0})
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    [result] = push(cheap, [target])
    assert result.stale and not result.segmented
    target2 = demo_copy(tmp_path / "Süd.xlsm", "Süd")
    before = _codes(load(target2)[1])
    [done] = push(cheap, [target2], segment=True)
    assert done.segmented.startswith("neu segmentiert")
    after = _codes(load(target2)[1])
    # the threshold doubled (28,000 instead of 14,000): customers fall from B to C
    assert sum(c.startswith("C") for c in after) > sum(c.startswith("C") for c in before)


def _codes(table) -> list[str]:
    col = table.outputs["code"]
    return [table.grid[r][col] for r in table.rows]


@pytest.mark.parametrize("name, value, shown", [
    ("Kosten_je_Besuch", -350.0, "Parameter!B6"),
    ("Max_Vertriebskostenanteil", 1.5, "Max"),
    ("Wkt_in_Erprobung", 1.4, "Wkt"),
])
def test_invalid_values_are_refused_naming_the_cell(tmp_path, name, value, shown):
    bad = parameter_workbook(tmp_path / "Parameter.xlsm", {name: value})
    cell = FileSource(bad).named_cells()[name].address
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord")
    before = target.read_bytes()
    with pytest.raises(ParameterFileError, match=cell.replace("$", r"\$")) as caught:
        push(bad, [target])
    assert shown in str(caught.value) or cell in str(caught.value)
    assert target.read_bytes() == before and not list(tmp_path.glob("*Sicherung*"))


def test_cli_dry_run_and_stale_report(tmp_path, controller):
    target = demo_copy(tmp_path / "Nord.xlsm", "Nord", params={"Ziel_Umsatz": 700_000.0})
    before = target.read_bytes()
    app = typer.Typer()
    app.add_typer(params_app, name="params")
    app.command("unused")(lambda: None)
    result = CliRunner().invoke(app, ["params", "push", str(controller), str(tmp_path),
                                      "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Probelauf" in result.output and "würden geändert" in result.output
    assert "Gebietswert bleibt: Ziel_Umsatz" in result.output
    assert target.read_bytes() == before
    result = CliRunner().invoke(app, ["params", "push", str(controller), str(target)])
    assert "Veraltete Ergebnisse" in result.output and "Nord.xlsm" in result.output
    result = CliRunner().invoke(app, ["params", "push", str(controller), str(target),
                                      "--nur", "Gibtsnicht"])
    assert result.exit_code == 2 and "Gibtsnicht" in result.output
