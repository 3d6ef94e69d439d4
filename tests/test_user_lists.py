"""Lists as reps have them (issue 16, items 3-5): CSV exports saved by LibreOffice, hand-kept
lists typed in openpyxl with title rows, totals, two-row headers, units and formulas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine as pc
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from tests.userlists import csv_export, typed_list
from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.core.headings import read_heading
from xl_cseg.core.numbers import number_scale, parse_number
from xl_cseg.core.totals import is_total_label, unlabelled_totals
from xl_cseg.io.headers import match_headers

runner = CliRunner()
TODAY = dt.date(2026, 6, 30)
ROWS = [[1001, "Müller GmbH", 60000, 70000], [1002, "Schmidt KG", 20000, 100000],
        [1003, "Weber AG", 5000, 40000]]


def values(path: Path, sheet: str = "Kunden") -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


# -- item 3: headers -------------------------------------------------------------------------

@pytest.mark.parametrize("revenue,potential", [
    ("Umsatz Vorjahr", "Potenzial (geschätzt)"), ("Umsatz Vorjahr", "Potenzial EUR"),
    ("Umsatz Vorjahr", "Potenzial p.a."), ("Umsatz Vorjahr", "Potenzial gesamt"),
    ("Umsatz Vorjahr", "Geschätztes Potenzial"), ("Umsatz VJ (netto)", "Potenzial"),
    ("Umsatz 2025 netto", "Potenzial"), ("Jahresumsatz 2025", "Potenzial"),
    ("VJ-Umsatz", "Potenzial"),
])
def test_header_variants_are_recognised(tmp_path, revenue, potential):
    path = typed_list(tmp_path / "Liste.xlsx", ["Kunden-Nr", "Kunde", revenue, potential], ROWS)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.result.output["code"].tolist() == ["A-Maintain", "B-Win", "C-Win"]


def test_umsatz_in_thousands_scales_the_column_and_says_so(tmp_path):
    rows = [[r[0], r[1], r[2] / 1000, r[3]] for r in ROWS]
    path = typed_list(tmp_path / "Liste.xlsx", ["Kunden-Nr", "Kunde", "Umsatz in T€", "Potenzial"],
                      rows)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.result.inputs["revenue"].tolist() == [60000, 20000, 5000]
    assert report.result.output["code"].tolist() == ["A-Maintain", "B-Win", "C-Win"]
    assert any("„Umsatz in T€“ in Tausend € gelesen" in n for n in report.notes)


def test_header_found_far_below_the_first_30_rows(tmp_path):
    title = [f"Notiz {i}: Gebietsplanung, Stand {i}.06.2026" for i in range(1, 40)]
    path = typed_list(tmp_path / "Liste.xlsx", ["Kunden-Nr", "Kunde", "Umsatz Vorjahr",
                                                "Potenzial"], ROWS, title_rows=title)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.table.header_row == 40 and report.customers == 3


def two_row_header(wb, ws):
    """``Umsatz`` merged over ``2024 | 2025`` (rows 1-2), the other headers over both rows."""
    ws.delete_rows(1, ws.max_row)
    ws.append(["Kunden-Nr", "Kunde", "Umsatz", None, "Potenzial"])
    ws.append([None, None, 2024, 2025, None])
    ws.merge_cells("C1:D1")
    for area in ("A1:A2", "B1:B2", "E1:E2"):
        ws.merge_cells(area)
    for cid, name, rev, pot in ROWS:
        ws.append([cid, name, rev / 2, rev, pot])


def test_two_row_header_takes_last_year_and_skips_the_year_row(tmp_path):
    path = typed_list(tmp_path / "Liste.xlsx", ["x"], [], extra=two_row_header,
                      autofilter=False)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.customers == 3  # the row "2024 | 2025" is no customer
    assert report.result.inputs["revenue"].tolist() == [60000, 20000, 5000]
    assert report.result.inputs["revenue_prev"].tolist() == [30000, 10000, 2500]
    assert report.result.output["code"].tolist() == ["A-Maintain", "B-Win", "C-Win"]
    grid = values(path)
    assert grid[1][:5] == ["", "", 2024.0, 2025.0, ""]  # untouched
    assert grid[1][5:] == [""] * (len(grid[1]) - 5)  # nothing written into the year row


def test_merged_header_over_data_is_no_two_row_header(tmp_path):
    def merged(wb, ws):
        ws.delete_rows(1, ws.max_row)
        ws.append(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", None, "Potenzial"])
        ws.merge_cells("C1:D1")
        for cid, name, rev, pot in ROWS:
            ws.append([cid, name, rev, rev / 2, pot])

    path = typed_list(tmp_path / "Liste.xlsx", ["x"], [], extra=merged, autofilter=False)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.customers == 3
    assert report.result.inputs["revenue"].tolist() == [60000, 20000, 5000]


def test_missing_required_column_names_the_near_miss_and_the_mapping(tmp_path):
    headers = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Region", "Pot. geschätzt"]
    rows = [[*r[:3], "Nord", r[3]] for r in ROWS]
    path = typed_list(tmp_path / "Liste.xlsx", headers, rows)
    before = path.read_bytes()
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2
    assert "meinten Sie „Pot. geschätzt“ (Spalte E)?" in result.output
    assert "Spaltenzuordnung" in result.output
    assert path.read_bytes() == before

    def mapping(wb, _ws):
        ws = wb.create_sheet("Spaltenzuordnung")
        ws.append(["Feld", "Überschrift in Ihrer Liste"])
        ws.append(["Potenzial", "Pot. geschätzt"])

    mapped = typed_list(tmp_path / "Mit.xlsx", headers, rows, extra=mapping)
    assert jobs.segment_workbook(mapped, today=TODAY).customers == 3


# -- item 4: totals and sub-headers -------------------------------------------------------------

def test_totals_and_headings_anywhere_are_left_out_and_reported(tmp_path):
    headers = ["Kunden-Nr", "Kunde", "Gebiet", "Umsatz Vorjahr", "Potenzial"]
    rows = [["Region Nord", None, None, None, None],
            [1001, "Müller GmbH", "Nord", 60000, 70000],
            [1002, "Schmidt KG", "Nord", 20000, 100000],
            [None, "Zwischensumme Nord", None, 80000, 170000],
            [1003, "Weber AG", "Süd", 5000, 40000],
            [1004, "Total Energies GmbH", "Süd", 30000, 50000],
            [None, None, "Σ", 35000, 90000],
            [None, None, None, 115000, 260000],  # unlabelled grand total
            ["Gesamt:", None, None, 115000, 260000]]
    path = typed_list(tmp_path / "Liste.xlsx", headers, rows, title_rows=["Kundenliste 2026"])
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.customers == 4
    assert report.result.inputs["customer_id"].tolist() == ["1001", "1002", "1003", "1004"]
    assert report.distribution.by_abc.at["Gesamt", "Umsatz"] == 115000
    assert not report.errors
    said = " | ".join(report.notes)
    for needle in ("Kunden!A4: Zwischenüberschrift „Region Nord“",
                   "Kunden!B7: Summenzeile „Zwischensumme Nord“", "Kunden!C10: Summenzeile „Σ“",
                   "Kunden!11: Zeile ohne Kunden-Nr mit den Summen",
                   "Kunden!A12: Summenzeile „Gesamt:“"):
        assert needle in said
    grid = values(path)
    segment_col = grid[2].index("Segment")
    assert [grid[r][segment_col] for r in (3, 6, 9, 10, 11)] == [""] * 5  # not written
    assert grid[4][segment_col] == "A-Maintain"


def test_libreoffice_csv_export_with_total_row_and_german_numbers(tmp_path):
    lines = ["Kundenliste Gebiet Nord (Export CRM);;;;",
             ";;;;",
             "Kd.-Nr.;Firma;Umsatz VJ (netto);Potenzial (geschätzt);Bemerkung",
             "1001;Müller Haustechnik GmbH;60.000,00;70.000;",
             "1002;Schmidt Metallbau KG;20.000,50;100.000;Messe",
             "1003;Weber & Söhne;3,5 T€;40.000;Zahl mit Einheit",
             "1004;Neukunde Bau AG;;25.000;",
             "Gesamt:;;83.500,50;235.000;"]
    path = csv_export(tmp_path, "Export", lines)
    report = jobs.segment_workbook(path, today=TODAY)
    assert report.customers == 4
    assert report.result.inputs["revenue"].tolist() == [60000, 20000.5, 3500, 0]
    assert report.result.output["code"].tolist() == ["A-Maintain", "B-Win", "C-Win", "C-Win"]
    said = " | ".join(report.notes)
    assert 'Zahl als Text „3,5 T€“ als 3.500 € übernommen' in said
    assert "Summenzeile „Gesamt:“" in said


# -- item 5: numbers --------------------------------------------------------------------------

def test_units_in_cells_scale_and_uncached_formulas_are_errors(tmp_path):
    rows = [[1001, "Müller GmbH", "3,5 T€", "1,2 Mio."], [1002, "Schmidt KG", "=1000*20", 100000],
            [1003, "Weber AG", 5000, "40 Tsd."]]
    path = typed_list(tmp_path / "Liste.xlsx", ["Kunden-Nr", "Kunde", "Umsatz Vorjahr",
                                                "Potenzial"], rows)
    report = jobs.segment_workbook(path, today=TODAY)
    inputs, out = report.result.inputs, report.result.output
    assert inputs["revenue"].tolist()[0] == 3500 and inputs["potential"].tolist()[0] == 1.2e6
    assert inputs["potential"].tolist()[2] == 40000
    assert np.isnan(inputs["revenue"].tolist()[1])
    assert pd.isna(out["code"].tolist()[1])  # never a C-Win prospect with revenue 0
    assert "Kunden!C3: Formel =1000*20 ohne gespeichertes Ergebnis" in " ".join(report.errors)
    assert "Formel =1000*20 ohne gespeichertes Ergebnis" in out["notes"].tolist()[1]
    assert report.exit_code == 1


# -- the rules, as properties -------------------------------------------------------------------

@given(st.sampled_from(["Potenzial", "Umsatz Vorjahr", "Kunde", "Verbundenheit"]),
       st.lists(st.sampled_from(["(geschätzt)", "EUR", "€", "p.a.", "netto", "brutto", "gesamt",
                                 "in EUR", "[EUR]"]), max_size=3))
def test_qualifiers_never_change_the_field(base, qualifiers):
    text = " ".join([base, *qualifiers])
    assert read_heading(text).key == read_heading(base).key
    assert read_heading(text).scale == 1.0


@given(st.sampled_from([("T€", 1e3), ("Tsd.", 1e3), ("TEUR", 1e3), ("Mio.", 1e6),
                        ("Mio. €", 1e6)]),
       st.decimals(min_value=0, max_value=10**6, places=2))
def test_units_scale_headers_and_cells_alike(unit, amount):
    word, factor = unit
    assert read_heading(f"Umsatz in {word}").scale == factor
    text = f"{amount:.2f}".replace(".", ",") + " " + word
    assert number_scale(text)[1] == factor
    assert parse_number(text)[0] == pytest.approx(float(amount) * factor)


@given(st.lists(st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2)), min_size=2,
                max_size=20))
def test_a_row_of_the_sums_above_is_a_total(amounts):
    revenue = np.array(amounts + [sum(amounts)])
    potential = np.array([a * 2 + 1 for a in amounts] + [sum(a * 2 + 1 for a in amounts)])
    candidates = np.zeros(len(revenue), dtype=bool)
    candidates[-1] = True
    found = unlabelled_totals([revenue, potential], candidates)
    assert found[-1]
    assert not found[:-1].any()


@given(st.text(max_size=30), st.sampled_from(["Total", "Summe", "Gesamt", "Σ"]))
def test_a_company_is_never_a_total_label(name, word):
    assert not is_total_label(f"{word} {name} GmbH")
    assert is_total_label(f"{word}:") and is_total_label(f"  {word} ")


def test_match_headers_reads_years_against_the_current_year():
    match = match_headers({0: "Kunden-Nr", 1: "Kunde", 2: "Umsatz 2024", 3: "Umsatz 2025",
                           4: "Potenzial"}, 2026)
    assert match.columns["revenue"] == 3 and match.columns["revenue_prev"] == 2


def test_csv_opened_without_splitting_names_the_cell_and_the_separator(tmp_path):
    """A semicolon export opened with LibreOffice's defaults keeps each line in one cell (and
    mangles the umlauts): the refusal says where the header line is and what to choose."""
    path = csv_export(tmp_path, "Export", [
        "Kundenliste Außendienst Süd – Stand 30.06.2026;;;",
        "Kunden-Nr;Kunde;Umsatz Vorjahr;Potenzial",
        "10001;Müller GmbH;14.000,50 €;80.000,00 €",
        "10002;Bäckerei Größl;3.200,00 €;9.000,00 €"], split=False)
    before = path.read_bytes()
    for command in ("validate", "segment"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "Export!A2: die Kopfzeile steht in einer Zelle" in said, said
        assert "Trennzeichen Semikolon" in said and "verstümmelt" in said
        assert "Traceback" not in said
    assert path.read_bytes() == before
