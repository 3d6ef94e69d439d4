"""Segmenting real workbook files: finding the table, bad input, surgical and safe writing."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc
import xlsxwriter
from typer.testing import CliRunner

from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.core.columns import OUTPUT_FIELDS
from xl_cseg.io.reader import NoCustomerTable
from xl_cseg.resources import demo_workbook, template_workbook
from xl_cseg.xlsx.errors import WorkbookError

runner = CliRunner()
OUT_HEADERS = [f.header for f in OUTPUT_FIELDS]


def grid(path: Path, sheet: str) -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def user_list(path: Path, rows: list[list], headers: list[str], *, top: int = 0,
              table: bool = False, extra=None) -> Path:
    """A rep's own list: a title above, their headers, their formats."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    eur = wb.add_format({"num_format": '#,##0 "€"'})
    if top:
        ws.write_string(0, 0, "Meine Kundenliste 2026", bold)
    if table:
        ws.add_table(top, 0, top + len(rows), len(headers) - 1,
                     {"name": "MeineKunden", "columns": [{"header": h} for h in headers]})
    else:
        for c, h in enumerate(headers):
            ws.write_string(top, c, h, bold)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day),
                                  wb.add_format({"num_format": "dd.mm.yyyy"}))
            else:
                ws.write_number(r, c, value, eur)
    if extra:
        extra(wb, ws)
    other = wb.add_worksheet("Notizen")
    other.write_string(0, 0, "bleibt unverändert")
    wb.close()
    return path


GOOD_ROWS = [
    [1001, "Müller Haustechnik GmbH", 60000, 70000, 4],
    [1002, "Schmidt Metallbau KG", 20000, 100000, 2],
    [1003, "=HYPERLINK(\"http://x\",\"Weber\")", 5000, 40000, 3],
    [1004, "Neukunde Bau AG", None, 25000, None],
]
GOOD_HEADERS = ["Kd.-Nr.", "Firma", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"]


def test_demo_workbook_segments_in_place_and_reuses_columns(tmp_path):
    path = shutil.copyfile(demo_workbook(), tmp_path / "demo.xlsm")
    before = members(path)
    report = jobs.segment_workbook(path)
    assert report.exit_code == 0 and report.customers == 150
    after = members(path)
    changed = [n for n in before if before[n] != after[n]]
    # Kunden, Maßnahmen and Planung: customer outputs, measure outputs, the plan
    assert changed == ["xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml",
                       "xl/worksheets/sheet5.xml"]
    assert list(after) == list(before)
    g = grid(path, "Kunden")
    assert g[0][7:16] == OUT_HEADERS  # the template's output columns, reused


def test_user_header_row_with_variants_appends_outputs(tmp_path):
    path = user_list(tmp_path / "liste.xlsx", GOOD_ROWS, GOOD_HEADERS, top=2)
    original = grid(path, "Kunden")
    report = jobs.segment_workbook(path)
    assert report.exit_code == 0
    g = grid(path, "Kunden")
    assert g[2][:5] == GOOD_HEADERS
    assert g[2][5:14] == OUT_HEADERS
    by_id = {row[0]: row for row in g[3:7]}
    assert by_id[1001.0][5 + 1] == "A" and by_id[1001.0][5 + 4] == "A-Maintain"
    assert by_id[1002.0][5 + 4] == "B-Win"
    assert by_id[1002.0][5 + 7] == "geringe Verbundenheit (2)"
    assert by_id[1004.0][5] == "Potenzialkunde" and by_id[1004.0][5 + 4] == "C-Win"
    # the rep's own cells are unchanged, a "=HYPERLINK" name stayed text
    for r in range(len(original)):
        assert g[r][:5] == original[r][:5]
    assert g[5][1].startswith("=HYPERLINK")
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # nothing became a formula
    assert grid(path, "Notizen")[0][0] == "bleibt unverändert"


def test_appended_header_copies_the_header_style(tmp_path):
    path = user_list(tmp_path / "liste.xlsx", GOOD_ROWS, GOOD_HEADERS)
    jobs.segment_workbook(path)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    style_of = dict(re.findall(r'<c r="([A-Z]+1)" s="(\d+)"', sheet))
    assert style_of["F1"] == style_of["E1"]  # "Umsatzentwicklung" looks like "Verbundenheit"


def test_excel_table_grows_and_stays_a_table(tmp_path):
    path = user_list(tmp_path / "tab.xlsx", GOOD_ROWS, GOOD_HEADERS, table=True)
    before = members(path)
    jobs.segment_workbook(path)
    after = members(path)
    changed = sorted(n for n in before if before[n] != after[n])
    # workbook: only the marker of the owned columns; styles: the percent format appended (the
    # workbook had none), nothing before it changed
    assert changed == ["xl/styles.xml", "xl/tables/table1.xml", "xl/workbook.xml",
                       "xl/worksheets/sheet1.xml"]
    assert re.sub(rb"<definedNames>.*</definedNames>", b"", after["xl/workbook.xml"]) == \
        before["xl/workbook.xml"]
    old, new = before["xl/styles.xml"], after["xl/styles.xml"]
    cut = old.index(b"</cellXfs>")
    assert new.startswith(old[:old.index(b"<cellXfs")]) or b"<numFmts" in new
    assert old[cut:] == new[new.index(b"</cellXfs>"):]
    table = after["xl/tables/table1.xml"].decode()
    assert 'ref="A1:N5"' in table
    for head in OUT_HEADERS:
        assert f'name="{head}"' in table


def test_bad_input_cell_addressed_messages_and_nothing_lost(tmp_path):
    def extra(wb, ws):
        ws.write_formula(9, 2, "=SUM(C2:C3)", None, 80000)  # formula with a cached value
        ws.write_formula(10, 2, "=1/0", None, "#DIV/0!")

    rows = [
        [1001, "A GmbH", 60000, 70000, 4],
        [1002, "B KG", "14.000,50 €", "vierzehn", 3],
        [1003, "C AG", -500, 30000, 7],
        [1003, "D e.K.", 9000, None, 2],
        [1005, "E GmbH", dt.date(2024, 5, 1), 30000, 1],
        [None, "F GmbH", 9000, 30000, 1],
        [1007, "G GmbH", 8000, 0, 1],
        [1008, "H GmbH", "#NV", 1000, 1],
        [1009, "I GmbH", None, 50000, 3],
        [1010, "J GmbH", None, 50000, 3],
    ]
    path = user_list(tmp_path / "bad.xlsx", rows, GOOD_HEADERS, extra=extra)
    before_inputs = [r[:5] for r in grid(path, "Kunden")]
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 1, result.output
    text = result.output
    assert 'Kunden!D3: „vierzehn“ ist keine Zahl' in text
    assert "Kunden!C4: negativer Betrag" in text
    assert "Kunden!E4: 7 liegt außerhalb der Skala 1-5" in text
    assert "Kunden!A4: 1003 kommt 2-mal vor: Zeilen 4, 5" in text
    assert "Kunden!D5: fehlt (wird nicht geschätzt)" in text
    assert "Kunden!C6: 01.05.2024 ist ein Datum, keine Zahl" in text
    assert "Kunden!A7: fehlt" in text
    assert "Kunden!D8: ist 0, bitte Potenzial schätzen" in text
    assert "Kunden!C9: Fehlerwert #NV statt einer Zahl" in text
    assert "Kunden!C11: Fehlerwert #DIV/0! statt einer Zahl" in text
    g = grid(path, "Kunden")
    assert [r[:5] for r in g] == before_inputs  # nothing the user typed changed
    notes = {row[0] if row[0] != "" else row[1]: row[13] for row in g[1:]}
    assert notes[1001.0] == ""
    assert notes[1002.0].startswith('Potenzial: „vierzehn“ ist keine Zahl')
    assert "Zahl als Text" in notes[1002.0]
    assert g[1][9] == "A-Maintain" and g[2][6] == "B"  # other rows and columns still computed
    assert g[9][2] == 80000  # formula with a cached value: value used, formula kept
    with zipfile.ZipFile(path) as zf:
        assert "<f>SUM(C2:C3)</f>" in zf.read("xl/worksheets/sheet1.xml").decode()


def test_formula_without_cached_value_is_reported(tmp_path):
    path = user_list(tmp_path / "f.xlsx", GOOD_ROWS, GOOD_HEADERS,
                     extra=lambda wb, ws: ws.write_formula(1, 3, "=70000", None, 70000))
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<f>70000</f><v>70000</v>", b"<f>70000</f>")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    report = jobs.analyse(path)
    assert any(e.startswith("Kunden!D2: Formel =70000 ohne gespeichertes Ergebnis")
               for e in report.errors)


@pytest.mark.parametrize("headers,needle", [
    (["Kd.-Nr.", "Firma", "Umsatz Vorjahr", "Verbundenheit"], 'Pflichtspalte „Potenzial“ fehlt'),
    (["Kd.-Nr.", "Firma", "Umsatz Vorjahr", "Potenzial", "Umsatz Vorjahr"],
     'Spalte „Umsatz Vorjahr“ doppelt'),
])
def test_required_header_missing_or_duplicated_exits_2(tmp_path, headers, needle):
    rows = [[1, "a", 1.0, 2.0, 3.0][: len(headers)]]
    path = user_list(tmp_path / "h.xlsx", rows, headers)
    before = path.read_bytes()
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2
    assert needle in result.output
    assert path.read_bytes() == before


def test_merged_header_hidden_rows_total_row_extra_columns(tmp_path):
    def extra(wb, ws):
        ws.merge_range("F1:G1", "Bemerkung", wb.add_format({"bold": True}))
        ws.write_string(1, 5, "zuverlässig")
        ws.set_row(2, None, None, {"hidden": True})
        ws.write_string(5, 1, "Summe")
        ws.write_formula(5, 2, "=SUM(C2:C5)", None, 85000)

    path = user_list(tmp_path / "m.xlsx", GOOD_ROWS, GOOD_HEADERS, extra=extra)
    report = jobs.segment_workbook(path)
    assert report.customers == 4  # hidden row counted, the total row is not a customer
    assert any("Summenzeile" in n for n in report.notes)
    g = grid(path, "Kunden")
    assert g[0][5] == "Bemerkung" and g[1][5] == "zuverlässig"  # extra columns left alone
    assert g[0][7] == "Umsatzentwicklung"  # appended after the merged header area
    assert g[2][7 + 4] == "B-Win"  # hidden row segmented


def test_output_columns_blocked_by_user_data_refuses(tmp_path):
    path = user_list(tmp_path / "b.xlsx", GOOD_ROWS, GOOD_HEADERS,
                     extra=lambda wb, ws: ws.write_string(3, 8, "meine Notiz"))
    before = path.read_bytes()
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2 and "nicht frei" in result.output
    assert path.read_bytes() == before


def test_empty_table_exits_2(tmp_path):
    path = shutil.copyfile(template_workbook(), tmp_path / "leer.xlsm")
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2
    assert "keine Kunden" in result.output


def test_explicit_column_mapping_sheet(tmp_path):
    def extra(wb, ws):
        m = wb.add_worksheet("Spaltenzuordnung")
        for r, (k, v) in enumerate([("Feld", "Überschrift"), ("Kunden-Nr", "Debitor"),
                                    ("Kunde", "Bezeichnung"), ("Umsatz Vorjahr", "Netto 25"),
                                    ("Potenzial", "Bedarf geschätzt")]):
            m.write_string(r, 0, k)
            m.write_string(r, 1, v)

    path = user_list(tmp_path / "map.xlsx", GOOD_ROWS[:2],
                     ["Debitor", "Bezeichnung", "Netto 25", "Bedarf geschätzt", "Verbundenheit"],
                     extra=extra)
    report = jobs.segment_workbook(path)
    assert report.customers == 2 and report.exit_code == 0
    assert grid(path, "Kunden")[1][9] == "A-Maintain"


def test_validate_writes_nothing(tmp_path):
    path = user_list(tmp_path / "v.xlsx", GOOD_ROWS, GOOD_HEADERS)
    before = path.read_bytes()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert path.read_bytes() == before


@pytest.mark.parametrize("content,needle", [
    (b"not a workbook at all", "keine Excel-Arbeitsmappe"),
    (b"PK\x03\x04garbage", "beschädigt"),
    (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504), "keine Excel-Arbeitsmappe"),
])
def test_files_that_are_no_workbook_exit_2(tmp_path, content, needle):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2
    assert needle in result.output


def test_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["segment", str(tmp_path / "fehlt.xlsx")])
    assert result.exit_code == 2 and "nicht gefunden" in result.output


def test_entity_declarations_are_refused(tmp_path):
    path = user_list(tmp_path / "e.xlsx", GOOD_ROWS, GOOD_HEADERS)
    parts = members(path)
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]>')
    parts["xl/workbook.xml"] = evil + parts["xl/workbook.xml"].split(b"?>", 1)[1]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2 and "unzulässiges XML" in result.output


def test_locked_workbook_is_refused(tmp_path):
    path = user_list(tmp_path / "Kundenliste.xlsx", GOOD_ROWS, GOOD_HEADERS)
    (tmp_path / "~$Kundenliste.xlsx").write_bytes(b"owner")
    before = path.read_bytes()
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2 and "in Excel geöffnet" in result.output
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_workbook_is_refused(tmp_path):
    path = user_list(tmp_path / "ro.xlsx", GOOD_ROWS, GOOD_HEADERS)
    path.chmod(stat.S_IRUSR)
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 2 and "schreibgeschützt" in result.output


def test_read_only_flag_refused_even_for_root(tmp_path, monkeypatch):
    path = user_list(tmp_path / "ro.xlsx", GOOD_ROWS, GOOD_HEADERS)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == path and
                        mode & os.W_OK else real_access(p, mode, **kw))
    with pytest.raises(WorkbookError, match="schreibgeschützt"):
        jobs.segment_workbook(path)


def test_out_option_leaves_source_untouched(tmp_path):
    path = user_list(tmp_path / "src.xlsx", GOOD_ROWS, GOOD_HEADERS)
    before = path.read_bytes()
    out = tmp_path / "sub" / "ergebnis.xlsx"
    result = runner.invoke(app, ["segment", str(path), "--out", str(out)])
    assert result.exit_code == 0
    assert path.read_bytes() == before
    assert grid(out, "Kunden")[1][9] == "A-Maintain"


def test_demo_command(tmp_path):
    out = tmp_path / "demo.xlsm"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Verteilung nach Segment" in result.output and "C-Kunden-Schwelle 14.000 €" in result.output
    assert out.exists()


def test_no_customer_table_is_a_clear_error(tmp_path):
    path = tmp_path / "nichts.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Daten").write_string(0, 0, "Hallo")
    wb.close()
    with pytest.raises(NoCustomerTable, match="keine Kundentabelle"):
        jobs.analyse(path)


def test_cell_values_give_none_for_every_kind_of_missing_value() -> None:
    import pandas as pd

    from xl_cseg.io.writer import cell_values

    assert cell_values(pd.Series([0.5, float("nan"), -0.0])) == [0.5, None, -0.0]
    assert cell_values(pd.Series(["A", None, "B"], dtype=object)) == ["A", None, "B"]
    assert cell_values(pd.Series(["neu", 0.25, float("nan"), pd.NA, None], dtype=object)) == \
        ["neu", 0.25, None, None, None]
    assert cell_values(pd.Series([1, 2], dtype="Int64").where([True, False])) == [1, None]
    stamps = cell_values(pd.Series(pd.to_datetime(["2026-01-02", None])))
    assert stamps == [pd.Timestamp("2026-01-02"), None]
    assert cell_values(pd.Series(["x", None], dtype="string")) == ["x", None]
