"""Buying-behaviour dimensions crossed with the segment codes: the table, the names from
``Spaltenzuordnung`` or ``--nach``, the block on ``Auswertung``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import python_calamine as pc
import xlsxwriter
from typer.testing import CliRunner

from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.core.dimensions import NO_VALUE, by_value, crossed
from xl_cseg.core.segment import segment
from xl_cseg.io import dimension_block

runner = CliRunner()
ROWS = [(1, "a", 5000, 20000, "Mehrweg", "Economy"), (2, "b", 50000, 60000, "Einweg", "Premium"),
        (3, "c", 20000, 30000, " mehrweg ", "Premium"), (4, "d", 8000, 9000, None, "Economy")]


def test_crossed_table_sums_per_value_and_code():
    raw = pd.DataFrame([r[:4] for r in ROWS], columns=["customer_id", "name", "revenue",
                                                       "potential"])
    result = segment(raw)
    dims = pd.DataFrame({"Produktart": [r[4] for r in ROWS]}, index=raw.index)
    table = crossed(result.output, result.inputs, dims)
    assert table.loc[("Mehrweg", "Gesamt"), "Kunden"] == 2  # " mehrweg " is the same value
    assert table.loc[("Mehrweg", "Gesamt"), "Umsatz"] == 25_000
    assert table.loc[("Mehrweg", "C-Win"), "Offenes Potenzial"] == 15_000
    assert table.loc[(NO_VALUE, "C-Maintain"), "Kunden"] == 1
    assert table.loc[("Gesamt", "Gesamt"), "Kunden"] == 4
    assert table.loc[("Gesamt", "Gesamt"), "Potenzial"] == 119_000
    matrix = by_value(table)
    assert matrix.loc["Einweg", "A-Maintain"] == 1 and matrix.loc["Einweg", "Gesamt"] == 1
    two = crossed(result.output, result.inputs,
                  dims.assign(Preissegment=[r[5] for r in ROWS]))
    assert ("Premium / Mehrweg", "B-Grow") in two.index or ("Mehrweg / Premium", "B-Grow") in \
        two.index
    assert two.index.names[0] == "Produktart / Preissegment"


def _list(path: Path, mapping: bool) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws.append(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Produktart", "Preissegment"])
    for row in ROWS:
        ws.append(list(row))
    if mapping:
        sheet = wb.create_sheet("Spaltenzuordnung")
        sheet.append(["Feld", "Überschrift in Ihrer Liste"])
        sheet.append(["Dimension", "Produktart"])
    wb.save(path)
    return path


def test_names_from_the_mapping_sheet_and_the_option(tmp_path):
    path = _list(tmp_path / "liste.xlsx", mapping=True)
    report = jobs.validate_workbook(path)
    assert report.crossed.index.names[0] == "Produktart"
    result = runner.invoke(app, ["validate", str(path), "--nach", "preissegment",
                                 "--nach", "Farbe"])
    assert "Nach Kaufverhalten (Preissegment / Produktart x Segment)" in result.output
    assert "Economy / Mehrweg" in result.output
    assert "Kunden: Spalte „Farbe“ für die Auswertung nach Kaufverhalten nicht gefunden" in \
        result.output
    assert result.exit_code == 1


def test_block_on_the_templates_auswertung_sheet(tmp_path):
    path = tmp_path / "mappe.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    for r, row in enumerate([["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Produktart"],
                             *[list(x[:5]) for x in ROWS]]):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    out = wb.add_worksheet("Auswertung")
    out.write(0, 0, dimension_block.MARKER)
    out.write(dimension_block.TOP + 30, 1, "alt")  # left by an earlier, longer run
    wb.close()
    report = jobs.segment_workbook(path, dimensions=["Produktart"])
    assert report.crossed is not None
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Auswertung").to_python()
    top = dimension_block.TOP
    assert grid[top][0] == "Nach Kaufverhalten: Produktart x Segment"
    assert grid[top + 1][:3] == ["Produktart", "Segment", "Kunden"]
    assert [r[0] for r in grid[top + 2:] if r and r[0]][-1] == "Gesamt"
    assert all("alt" not in row for row in grid)
