"""Cost to serve and C-customer pricing: the seed figures, properties, bad input, the sheet
``Preise & Kosten`` written into a rep's workbook and its formulas computed by LibreOffice."""

from __future__ import annotations

import datetime as _dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine as pc
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.lo.harness import probe, requires_lo
from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from xl_cseg import jobs
from xl_cseg.build.workbook import DEMO, build_workbook
from xl_cseg.cli import app
from xl_cseg.core.params import Parameters
from xl_cseg.core.pricing import (COVERED, ESTIMATED, EXACT, NOT_COVERED, TOTAL_COLUMNS,
                                  pricing)
from xl_cseg.core.segment import segment
from xl_cseg.io import pricing_sheet

runner = CliRunner()
TODAY = _dt.date(2026, 3, 15)


def _priced(rows: list[dict], params: Parameters | None = None, orders=None):
    raw = pd.DataFrame(rows)
    result = segment(raw, params)
    return pricing(result.output, result.inputs, params or Parameters(), raw, orders, TODAY)


def test_seed_figures_fee_and_cost_to_serve():
    params = Parameters(kosten_je_besuch=350, kosten_je_auftrag=40, mindestbestellwert=250,
                        pauschale=15, max_kostenanteil=0.10)
    assert params.c_threshold == 14_000 and params.a_threshold == 42_000
    result = _priced([
        {"customer_id": "1", "name": "Klein", "revenue": 1800.0, "potential": 2000.0,
         "orders": 12},  # 12 orders of 150 EUR
        {"customer_id": "2", "name": "Mittel", "revenue": 18_000.0, "potential": 60_000.0,
         "orders": 12}], params)  # B-Grow: 4 visits
    small, middle = result.customers.iloc[0], result.customers.iloc[1]
    assert small["Ø Auftragswert"] == 150
    assert small["Aufträge unter Mindestbestellwert"] == 12
    assert small["Pauschale/Jahr"] == 180  # 12 x 15 EUR
    assert small["Ermittlung"] == ESTIMATED
    # bundled to 250 EUR: 1,800 EUR need 8 orders instead of 12: 4 x 40 EUR saved
    assert small["Bündelung spart"] == 160
    assert middle["Besuche/Jahr"] == 4
    assert middle["Betreuungskosten"] == 1880  # 4 x 350 + 12 x 40
    assert round(middle["Kostenanteil"], 3) == 0.104
    assert middle["Bewertung"] == NOT_COVERED
    assert result.totals["Pauschale/Jahr"] == 180
    assert result.totals["Betroffene Kunden"] == 1
    assert result.by_abc.at["C", "Pauschale/Jahr"] == 180
    assert result.by_code.at["B-Grow", "Nicht kostendeckend"] == 1


def test_orders_counted_exactly_from_the_order_list():
    orders = pd.DataFrame({
        "customer_id": [1.0] * 12 + [1.0, 1.0],
        "date": [_dt.date(2025, m, 10) for m in range(1, 13)] + [_dt.date(2024, 5, 1),
                                                                  _dt.date(2026, 1, 5)],
        "value": [150.0] * 6 + [400.0] * 6 + [99.0, 99.0]})
    result = _priced([{"customer_id": 1, "name": "K", "revenue": 3300.0, "potential": 9000.0,
                       "orders": 3}], orders=orders)
    row = result.customers.iloc[0]
    assert row["Ermittlung"] == EXACT
    assert row["Aufträge/Jahr"] == 12  # last calendar year only; the column's 3 is replaced
    assert row["Aufträge unter Mindestbestellwert"] == 6
    assert row["Pauschale/Jahr"] == 90
    assert row["Bündelung spart"] == (6 - 4) * 40  # 900 EUR of small orders: 4 orders of 250
    assert result.orders_used == 12
    assert any("2 Aufträge außerhalb" in i.message for i in result.order_issues)


def test_c_customer_with_discount_gets_the_list_price_hint():
    result = _priced([
        {"customer_id": "1", "name": "C", "revenue": 5000.0, "potential": 9000.0, "discount": 8},
        {"customer_id": "2", "name": "A", "revenue": 90_000.0, "potential": 99_000.0,
         "discount": "12 %"}])
    assert result.customers.iloc[0]["Preis-Hinweis"] == "Listenpreis durchsetzen (Rabatt 8 %)"
    assert result.customers.iloc[1]["Rabatt"] == pytest.approx(0.12)
    assert pd.isna(result.customers.iloc[1]["Preis-Hinweis"])  # A-customers keep their terms
    assert result.totals["Listenpreis durchsetzen"] == 1


def test_exactly_at_the_maximum_share_is_covered():
    # 4 visits x 350 = 1,400 EUR = 10 % of 14,000 EUR: the threshold customer just carries it
    result = _priced([{"customer_id": "1", "name": "B", "revenue": 14_000.0,
                       "potential": 30_000.0, "orders": 0}])  # B-Grow: 4 visits
    assert result.customers.iloc[0]["Bewertung"] == COVERED


def test_bad_inputs_are_reported_and_the_rest_is_computed():
    result = _priced([
        {"customer_id": "1", "name": "a", "revenue": 2000.0, "potential": 5000.0,
         "orders": 1.5, "discount": 120},
        {"customer_id": "2", "name": "b", "revenue": 2000.0, "potential": 5000.0,
         "orders": -3, "discount": -0.1},
        {"customer_id": "3", "name": "c", "revenue": 2000.0, "potential": 5000.0,
         "orders": "zwölf", "discount": None},
        {"customer_id": "4", "name": "d", "revenue": 2000.0, "potential": 5000.0,
         "orders": 10, "discount": 0.05}],
        orders=pd.DataFrame({"customer_id": ["99", "4"], "date": [_dt.date(2025, 1, 1), "xx"],
                             "value": [100.0, 50.0]}))
    messages = {(i.row, i.field): i.message for i in result.issues}
    assert "keine ganze Zahl" in messages[(0, "orders")]
    assert "außerhalb 0 bis 100 %" in messages[(0, "discount")]
    assert "keine ganze Zahl ab 0" in messages[(1, "orders")]
    assert "außerhalb" in messages[(1, "discount")]
    assert "keine Zahl" in messages[(2, "orders")]
    order_msgs = {(i.row, i.field): i.message for i in result.order_issues}
    assert "steht nicht in der Kundentabelle" in order_msgs[(0, "customer_id")]
    assert "kein Datum" in order_msgs[(1, "date")]
    assert result.customers.iloc[3]["Pauschale/Jahr"] == 150  # 10 orders of 200 EUR
    assert pd.isna(result.customers.iloc[0]["Aufträge/Jahr"])
    assert result.customers.iloc[0]["Betreuungskosten"] == 0  # C-Maintain: no visits


@given(revenue=st.lists(st.floats(0, 200_000), min_size=1, max_size=30),
       orders=st.lists(st.integers(0, 80), min_size=30, max_size=30),
       fee=st.floats(0, 100), more=st.floats(0, 100), minimum=st.floats(0, 2000))
def test_a_higher_fee_never_recovers_less(revenue, orders, fee, more, minimum):
    rows = [{"customer_id": str(i), "name": "x", "revenue": r, "potential": 250_000.0,
             "orders": orders[i]} for i, r in enumerate(revenue)]
    low = _priced(rows, Parameters(pauschale=fee, mindestbestellwert=minimum))
    high = _priced(rows, Parameters(pauschale=fee + more, mindestbestellwert=minimum))
    assert high.totals["Pauschale/Jahr"] >= low.totals["Pauschale/Jahr"]
    assert (high.customers["Pauschale/Jahr"].fillna(0)
            >= low.customers["Pauschale/Jahr"].fillna(0)).all()


# -- the workbook ------------------------------------------------------------------------------
def _user_list(path: Path, extra_sheets: dict[str, list[list]] | None = None) -> Path:
    """A list as a rep types it in Excel: title row, styles, own columns, a total row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws.append(["Meine Kunden 2026"])
    ws.append(["Kd.-Nr.", "Firma", "Umsatz Vorjahr", "Potenzial", "Aufträge/Jahr", "Rabatt",
               "Notiz"])
    ws.append([1001, "Klein GmbH", 1800, 2000, 12, 0.08, "ruft oft an"])
    ws.append([1002, "Mittel KG", 18000, 60000, 12, None, ""])
    ws.append([1003, "Groß AG", 95000, 120000, "zwölf", 150, ""])
    ws["A2"].font = openpyxl.styles.Font(bold=True)
    ws["F3"].number_format = "0%"
    for name, rows in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in rows:
            other.append(row)
    wb.save(path)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_cli_pricing_adds_the_sheet_and_leaves_everything_else(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx", {"Aufträge": [
        ["Kunden-Nr", "Datum", "Auftragswert"], [1002, _dt.datetime(2025, 4, 1), 900],
        [4711, _dt.datetime(2025, 4, 1), 100]]})
    before = _members(path)
    result = runner.invoke(app, ["pricing", str(path), "--pauschale", "20"])
    assert result.exit_code == 1, result.output  # bad rows written, reported
    assert "Kunden!E5" in result.output and "zwölf" in result.output
    assert "Kunden!F5" in result.output and "außerhalb 0 bis 100 %" in result.output
    assert "Aufträge!A3" in result.output and "4711" in result.output
    summary = " ".join(result.output.split())
    assert "1 Kunde nicht kostendeckend betreut" in summary, summary  # not "1 Kunden"
    assert "1 C-Kunde mit Rabatt" in summary
    after = _members(path)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/styles.xml"}
    assert set(after) - set(before) == {"xl/worksheets/sheet3.xml"}
    book = pc.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Kunden", "Aufträge", "Preise & Kosten"]
    grid = book.get_sheet_by_name("Preise & Kosten").to_python(skip_empty_area=False)
    assert pricing_sheet.is_ours(grid)
    head = grid[pricing_sheet.LIST_HEAD]
    rows = {r[0]: dict(zip(head, r)) for r in grid[pricing_sheet.FIRST:]}
    assert rows["1001"]["Pauschale/Jahr"] == 240  # 12 x 20 EUR
    assert rows["1002"]["Ermittlung"] == EXACT and rows["1002"]["Aufträge/Jahr"] == 1
    assert rows["1002"]["Betreuungskosten"] == 4 * 350 + 40
    assert rows["1001"]["Preis-Hinweis"].startswith("Listenpreis durchsetzen")
    # the user's own sheet is as it was
    assert book.get_sheet_by_name("Kunden").to_python()[2][6] == "ruft oft an"

    again = runner.invoke(app, ["pricing", str(path), "--pauschale", "15"])
    assert again.exit_code == 1
    third = _members(path)
    assert set(third) == set(after)  # rewritten in place, nothing added twice
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        "Preise & Kosten").to_python(skip_empty_area=False)
    assert {r[0]: r for r in grid[pricing_sheet.FIRST:]}["1001"][head.index("Pauschale/Jahr")] \
        == 180


def test_a_foreign_sheet_of_that_name_is_refused(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx", {"Preise & Kosten": [["meine Preisliste"]]})
    before = path.read_bytes()
    result = runner.invoke(app, ["pricing", str(path)])
    assert result.exit_code == 2
    assert "Preise & Kosten" in result.output and "anderem Inhalt" in result.output
    assert path.read_bytes() == before


def test_bad_cli_amount_is_a_german_message(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx")
    result = runner.invoke(app, ["pricing", str(path), "--mindestbestellwert", "viel"])
    assert result.exit_code == 2 and "--mindestbestellwert" in result.output
    assert "„viel“" in result.output and "'viel'" not in result.output  # German quotes


def _cells(content) -> dict[str, object]:
    from xl_cseg.xlsx.cellref import a1
    return {f"{pricing_sheet.SHEET}!{a1(r, c)}": v for (r, c), v in content.cells.items()}


@requires_lo
def test_libreoffice_computes_the_sheet_formulas_to_the_engines_values(tmp_path):
    """The demo's totals (COUNTIFS/SUMIFS over its rows) and a sheet the CLI added to a rep's
    list, recalculated by LibreOffice, equal the engine's totals."""
    demo = tmp_path / "demo.xlsm"
    demo.write_bytes(build_workbook(DEMO))
    user = _user_list(tmp_path / "liste.xlsx")
    report = jobs.pricing_workbook(user, today=TODAY)
    demo_report = jobs.pricing_source(jobs.FileSource(demo), today=_dt.date(2026, 11, 1))
    from xl_cseg.xlsx.cellref import a1
    wanted = []
    for result in (demo_report.result, report.result):
        refs = {}
        for head, frame in ((pricing_sheet.CODE_HEAD, result.by_code),
                            (pricing_sheet.ABC_HEAD, result.by_abc)):
            keys = [k for k in frame.index if k != "ohne Segment"]
            for i, key in enumerate(keys):
                for c, column in enumerate(TOTAL_COLUMNS, start=1):
                    refs[f"{pricing_sheet.SHEET}!{a1(head + 1 + i, c)}"] = frame.at[key, column]
        wanted.append(refs)
    reports = probe([{"path": str(demo), "cells": list(wanted[0])},
                     {"path": str(user), "cells": list(wanted[1])}])
    for found, refs in zip(reports, wanted):
        assert found["ok"], found
        for ref, value in refs.items():
            got = found["cells"][ref]
            if value != value:  # no revenue: the share cell is empty
                assert got in ("", None), ref
            else:
                assert got == pytest.approx(float(value), rel=1e-9, abs=1e-9), ref
    assert demo_report.result.totals["Pauschale/Jahr"] > 0  # the demo shows the fee at work


def test_ribbon_entry_point_on_a_file_writes_the_sheet(tmp_path):
    from xl_cseg import macros

    path = _user_list(tmp_path / "liste.xlsx")
    summary = macros.run_on_file("pricing", path, today=TODAY)
    assert "Blatt „Preise & Kosten“ berechnet (3 Kunden)" in summary.text
    assert "Kunden!E5" in summary.text and not summary.ok
    assert "Preise & Kosten" in pc.CalamineWorkbook.from_path(str(path)).sheet_names


@needs_schemas
def test_written_workbook_follows_the_schemas(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx", {"Aufträge": [
        ["Kunden-Nr", "Datum", "Auftragswert"], [1002, _dt.datetime(2025, 4, 1), 900]]})
    jobs.pricing_workbook(path, today=TODAY)
    assert_schema_valid(path)


@needs_poi
def test_apache_poi_reads_the_added_sheets(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx")
    jobs.pricing_workbook(path, today=TODAY)
    runner.invoke(app, ["whatif", str(path), "--besuche-b", "3:5"])
    result = assert_poi_reads([path], cells=True)[path]
    assert {"Kunden", "Preise & Kosten", "Was-wäre-wenn"} <= set(result.sheets)
    rows, cells = result.sheets["Preise & Kosten"]
    assert rows >= 20 and cells > 100  # title, two total tables, the customer rows


def test_rerun_on_the_template_keeps_the_sheets_vba_code_name(tmp_path):
    from xl_cseg.build.workbook import TEMPLATE

    path = tmp_path / "Gebiet.xlsm"
    path.write_bytes(build_workbook(TEMPLATE))
    with zipfile.ZipFile(path) as zf:
        before = {n: zf.read(n) for n in zf.namelist()}
    part = next(n for n, data in before.items() if n.startswith("xl/worksheets/sheet")
                and b'codeName="shPreise"' in data)
    from xl_cseg.xlsx.atomic import write_package
    from xl_cseg.xlsx.safezip import open_package
    from xl_cseg.xlsx.sheetwriter import write_sheet

    pkg = open_package(path)  # a customer typed in, with the project's own writer
    kunden = next(s.part for s in pkg.sheets() if s.name == "Kunden")
    write_package(path, path, {kunden: write_sheet(pkg.sheet_scan(kunden), {
        (1, 0): 1001.0, (1, 1): "Klein GmbH", (1, 4): 1800.0, (1, 5): 2000.0})})
    jobs.pricing_workbook(path, today=TODAY)
    with zipfile.ZipFile(path) as zf:
        after = zf.read(part)
        assert b'codeName="shPreise"' in after
        assert zf.read("xl/vbaProject.bin") == before["xl/vbaProject.bin"]


def test_piped_cli_tables_cut_no_figure_or_header(tmp_path):
    """A rep's list piped to a log: the wide pricing table keeps ``10,9 %`` and its headers
    whole instead of rich's ``10,9…`` and ``Kund…``."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kunden"
    sheet.append(["Kundenliste Nord"])
    sheet.append(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    for row in (["N1", "Schmidt GmbH", 45000, 90000], ["N2", "Köhler AG", 12000, 60000],
                ["N5", "Brandt e.K.", 800, 20000]):
        sheet.append(row)
    path = tmp_path / "liste.xlsx"
    book.save(path)
    result = runner.invoke(app, ["pricing", str(path)])
    assert result.exit_code == 0, result.output
    assert "10,9 %" in result.output  # C-Win: 1,400 EUR of 12,800 EUR
    assert "…" not in result.output
    assert "Kunden   betroffen   Aufträge < MBW" in result.output
