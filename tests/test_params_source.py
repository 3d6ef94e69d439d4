"""segment / validate / plan --params: a parameter workbook's central values for any list (also
a rep's own list without parameter cells); the rep's own values where the workbook has them."""

from __future__ import annotations

import typer
from test_consolidate_support import customers, demo_copy, parameter_workbook, xlsx_territory
from typer.testing import CliRunner

from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.io.reader import load


def _codes(path) -> list[str]:
    table = load(path)[1]
    col = table.outputs["code"]
    return [table.grid[r][col] for r in table.rows]


def test_own_list_uses_the_central_parameters(tmp_path):
    central = parameter_workbook(tmp_path / "Parameter.xlsm", {"Kosten_je_Besuch": 700.0})
    own = xlsx_territory(tmp_path / "Liste.xlsx", customers(40, seed=3, first_id=100))
    plain = xlsx_territory(tmp_path / "Liste2.xlsx", customers(40, seed=3, first_id=100))
    with_central = jobs.segment_workbook(own, params=central)
    without = jobs.segment_workbook(plain)
    assert with_central.params.c_threshold == 28_000.0 and without.params.c_threshold == 14_000.0
    assert with_central.parameters.label == "aus Parameter.xlsm"
    assert "keine Parameterzellen" in without.parameters.label
    assert sum(c.startswith("C") for c in _codes(own)) > sum(c.startswith("C") for c in _codes(plain))


def test_rep_values_of_the_workbook_stay(tmp_path):
    central = parameter_workbook(tmp_path / "Parameter.xlsm",
                                 {"Kosten_je_Besuch": 420.0, "Ziel_Umsatz": 900_000.0})
    rep = demo_copy(tmp_path / "Nord.xlsm", "Nord",
                    params={"Ziel_Umsatz": 700_000.0, "Kundentage_je_Woche": 4.0,
                            "Kosten_je_Besuch": 300.0})
    report = jobs.analyse(rep, params=central)
    assert report.params.kosten_je_besuch == 420.0  # central group from the parameter file
    assert report.params.ziel_umsatz == 700_000.0 and report.params.kundentage_woche == 4.0
    assert "Ziel_Umsatz" in report.parameters.label and "aus der Mappe" in report.parameters.label
    plan = jobs.plan_source(report)
    assert plan.gap.target == 700_000.0


def test_invalid_central_file_is_refused_before_writing(tmp_path):
    bad = parameter_workbook(tmp_path / "Parameter.xlsm", {"Wkt_in_Erprobung": 1.4,
                                                           "Kosten_je_Besuch": -1.0})
    own = xlsx_territory(tmp_path / "Liste.xlsx", customers(5, seed=3, first_id=100))
    before = own.read_bytes()
    result = CliRunner().invoke(app, ["segment", str(own), "--params", str(bad)])
    assert result.exit_code == 2
    cells = jobs.FileSource(bad).named_cells()
    for name in ("Wkt_in_Erprobung", "Kosten_je_Besuch"):
        assert cells[name].address in " ".join(result.output.split())
    assert "Standardwert" not in result.output and "nichts geschrieben" in result.output
    assert own.read_bytes() == before


def test_cli_says_where_the_parameters_came_from(tmp_path):
    central = parameter_workbook(tmp_path / "Parameter.xlsm", {"Kosten_je_Besuch": 700.0})
    own = xlsx_territory(tmp_path / "Liste.xlsx", customers(5, seed=3, first_id=100))
    for command in ("validate", "plan", "segment"):
        result = CliRunner().invoke(app, [command, str(own), "--params", str(central)])
        assert result.exit_code in (0, 1), result.output
        assert "Parameter: aus Parameter.xlsm" in result.output
    result = CliRunner().invoke(app, ["validate", str(own)])
    assert "Parameter: Standardwerte" in result.output
