"""Decision makers (sheet Ansprechpartner): loyalty derived by the documented rule, the row's own
value wins, the risk flags join Risiko, bad contact rows are reported with their cell."""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import python_calamine as pc

from xl_cseg import jobs
from xl_cseg.build.workbook import DEMO, TEMPLATE, build_workbook
from xl_cseg.core.contacts import derived_loyalty, summarize

TODAY = _dt.date(2026, 5, 1)


def test_loyalty_rule_weights_purchasing_and_management_double():
    assert derived_loyalty([2, 5], ["Einkauf", "Anwendung"]) == 3  # (2*2 + 5) / 3
    assert derived_loyalty([4, 5], ["Technik", "Anwendung"]) == 5  # 4.5 rounds up
    assert derived_loyalty([3, 5], ["Geschäftsführung", "Einkauf"]) == 4
    assert derived_loyalty([float("nan")], ["Einkauf"]) != derived_loyalty([1], ["Einkauf"])


def _contacts(rows: list[list]) -> pd.DataFrame:
    keys = ["customer_id", "name", "role", "loyalty", "status", "left_on", "last_contact"]
    return pd.DataFrame(rows, columns=keys, index=range(1, len(rows) + 1))


def test_flags_per_customer():
    summary = summarize(_contacts([
        ["1", "A", "Einkauf", 2, "aktiv", None, _dt.date(2026, 4, 1)],
        ["1", "B", "Anwendung", 5, "aktiv", None, _dt.date(2026, 3, 1)],
        ["1", "C", "Geschäftsführung", 5, "ausgeschieden", _dt.date(2026, 1, 15), None],
        ["2", "D", "Teamleitung", 4, "aktiv", None, _dt.date(2025, 6, 1)],
        ["3", "E", "Einkauf", 4, "ausgeschieden", _dt.date(2024, 1, 1), None],
        ["3", "F", "Einkauf", 3, "", None, _dt.date(2026, 4, 20)],
        ["3", "G", "Produktion", 3, "aktiv", None, None]]),
        pd.Series(["1", "2", "3"]), TODAY, 180)
    flags = summary.per_customer["flags"].to_dict()
    assert flags["1"] == ["zugewandter Entscheider (5) ausgeschieden am 15.01.2026"]
    assert flags["2"] == ["kein Kontakt im Einkauf", "kein Kontakt in der Anwendung",
                          "nur ein Ansprechpartner", "kein Kontakt seit 334 Tagen"]
    assert flags["3"] == []  # the one who left did so more than twelve months ago
    assert summary.per_customer.at["1", "loyalty"] == 3
    assert not summary.issues


def test_bad_contact_rows_are_reported():
    summary = summarize(_contacts([
        [None, "Niemand", "Einkauf", 3, "aktiv", None, None],
        ["9", "Fremd", "Einkauf", 3, "aktiv", None, None],
        ["1", "Zuviel", "Einkauf", 7, "aktiv", None, None],
        ["1", "Komisch", "Einkauf", 3, "vielleicht", None, "gestern"]]),
        pd.Series(["1"]), TODAY, 180)
    messages = {(i.row, i.field): i.message for i in summary.issues}
    assert "gehört zu keinem Kunden" in messages[(1, "customer_id")]
    assert "Kunde 9 steht nicht in der Kundentabelle" == messages[(2, "customer_id")]
    assert "7 liegt außerhalb der Skala 1-5" == messages[(3, "loyalty")]
    assert "kein Status" in messages[(4, "status")]
    assert "kein Datum" in messages[(4, "last_contact")]
    assert summary.per_customer.at["1", "contacts"] == 2  # the rest is kept


def _book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws.append(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"])
    ws.append([1, "Groß AG", 90_000, 120_000, None])
    ws.append([2, "Mittel KG", 20_000, 40_000, 5])
    ws.append([3, "Klein", 3000, 9000, None])
    ws.append([4, "Ohne Kontakte AG", 50_000, 60_000, 4])
    sheet = wb.create_sheet("Ansprechpartner")
    sheet.append(["Kunden-Nr", "Name", "Rolle", "Verbundenheit", "Status", "Ausgeschieden am",
                  "Letzter Kontakt"])
    sheet.append([1, "Frau A", "Einkauf", 2, "aktiv", None, _dt.datetime(2026, 4, 1)])
    sheet.append([1, "Herr B", "Anwendung", 5, "aktiv", None, _dt.datetime(2026, 3, 1)])
    sheet.append([2, "Frau D", "Einkauf", 1, "aktiv", None, _dt.datetime(2026, 4, 1)])
    sheet.append([None, "Niemand", "Einkauf", 3, "aktiv", None, None])
    sheet.append([3, "Frau E", "Einkauf", 7, "aktiv", None, None])
    wb.save(path)
    return path


def test_workbook_run_derives_loyalty_and_flags_risk(tmp_path):
    path = _book(tmp_path / "liste.xlsx")
    report = jobs.segment_workbook(path, today=TODAY)
    assert "Ansprechpartner!A5: Kunden-Nr fehlt: der Ansprechpartner gehört zu keinem Kunden" \
        in report.errors
    assert "Ansprechpartner!D6: 7 liegt außerhalb der Skala 1-5" in report.errors
    assert "Kunden!E2: Verbundenheit 3 aus den Ansprechpartnern abgeleitet" in report.notes
    loyalty = report.result.inputs["loyalty"].tolist()
    assert loyalty[0] == 3 and loyalty[1] == 5  # derived; the row's own 5 wins over the 1
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Kunden").to_python()
    risk = {row[0]: row[grid[0].index("Risiko")] for row in grid[1:]}
    assert risk[2.0] == "kein Kontakt in der Anwendung; nur ein Ansprechpartner"
    assert risk[4.0] == "kein Ansprechpartner erfasst"
    assert risk[3.0] == ""  # C customers: no contact flags
    assert grid[1][4] in ("", None)  # the user's blank loyalty cell stays blank


def test_template_and_demo_carry_the_sheet(tmp_path):
    template = pc.CalamineWorkbook.from_filelike(io.BytesIO(build_workbook(TEMPLATE)))
    assert template.get_sheet_by_name("Ansprechpartner").to_python()[0][:3] == \
        ["Kunden-Nr", "Kunde", "Name"]
    demo = tmp_path / "demo.xlsm"
    demo.write_bytes(build_workbook(DEMO))
    rows = pc.CalamineWorkbook.from_path(str(demo)).get_sheet_by_name(
        "Ansprechpartner").to_python()
    assert len(rows) > 50
    # the demo's stored risk texts are what a run computes from its contacts
    report = jobs.analyse(demo, today=_dt.date(2026, 11, 1))
    grid = pc.CalamineWorkbook.from_path(str(demo)).get_sheet_by_name("Kunden").to_python()
    col = grid[0].index("Risiko")
    stored = [r[col] or None for r in grid[1:]]
    computed = [None if v != v else v for v in report.result.output["risk"].tolist()]
    assert stored == computed
    assert any(v and "Ansprechpartner" in v or v and "Kontakt" in v for v in stored)
