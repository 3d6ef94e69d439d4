"""``validate`` makes exactly the checks of ``segment`` (issue 16, item 7), and a measure with an
error counts in no pipeline total."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.userlists import typed_list
from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.consolidate.run import consolidate

runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
    else CliRunner()
TODAY = dt.date(2026, 6, 30)
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"]
ROWS = [[1001, "Müller GmbH", 60000, 70000], [1002, "Schmidt KG", 20000, 100000],
        [1003, "Weber AG", 5000, 40000]]
MEASURE_HEADERS = ["Kunden-Nr", "Maßnahme", "Status", "Erwarteter Umsatz"]
MEASURES = [[1001, "Wartungsvertrag", "Angebot beim Einkauf", 10000],
            [1002, "Neue Linie", "nicht gestartet", 20000],
            [4711, "Unbekannter Kunde", "in Erprobung", 50000],
            [1003, "Tippfehler im Status", "Angebott", 30000],
            [1003, "Betrag als Wort", "in Erprobung", "dreißigtausend"]]


def with_measures(wb, _ws):
    ws = wb.create_sheet("Maßnahmen")
    ws.append(MEASURE_HEADERS)
    for row in MEASURES:
        ws.append(row)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return typed_list(tmp_path / "Gebiet.xlsx", HEADERS, ROWS, extra=with_measures)


def listed(output: str) -> list[str]:
    """The Fehler/Hinweise lines a run printed."""
    return [line.strip() for line in output.splitlines() if line.startswith("  ")]


def test_validate_reports_what_segment_reports_with_the_same_exit_code(book, tmp_path):
    copy = shutil.copyfile(book, tmp_path / "Kopie.xlsx")
    before = book.read_bytes()
    checked = runner.invoke(app, ["validate", str(book)])
    segmented = runner.invoke(app, ["segment", str(copy)])
    assert checked.exit_code == segmented.exit_code == 1, checked.output
    assert "Fehler (" in checked.output and "Geschrieben" in segmented.output
    assert book.read_bytes() == before  # validate writes nothing
    found = listed(checked.output)
    assert found == listed(segmented.output)
    assert any(line.startswith("Maßnahmen!A4: 4711 steht nicht in der Kundenliste")
               for line in found), checked.output
    assert any(line.startswith("Maßnahmen!C5:") for line in found)
    assert any(line.startswith("Maßnahmen!D6:") for line in found)


def test_validate_exit_code_zero_only_when_segment_says_so(tmp_path):
    good = typed_list(tmp_path / "gut.xlsx", HEADERS, ROWS)
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0


def test_measures_with_errors_count_in_no_pipeline_total(book):
    report = jobs.validate_workbook(book, TODAY)
    pipeline = report.plan.pipeline
    # only the two good measures: 10.000 x 70 % + 20.000 x 10 %
    for table in (pipeline.by_status, pipeline.by_customer, pipeline.by_code):
        assert table.loc["Gesamt"].tolist() == [2, 30000, 9000]
    assert report.plan.gap.open_pipeline == 30000
    assert report.plan.gap.weighted_pipeline == pytest.approx(9000)
    counted = pipeline.counted
    assert counted.tolist() == [True, True, False, False, False]
    assert pipeline.output["weighted"].isna().tolist() == [False, False, True, True, True]
    assert "Maßnahmen: 3 Maßnahme(n) mit Fehlern zählen nicht zur Pipeline (Zeile 4, 5, 6)" \
        in report.all_notes


def test_consolidated_pipeline_leaves_out_measures_with_errors(book, tmp_path):
    run = consolidate([book], tmp_path / "Gesamt.xlsx", today=TODAY)
    weighted = run.data.measures["weighted"]
    assert weighted.notna().sum() == 2
