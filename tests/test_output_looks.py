"""Readable results in the rep's own list: number formats appended to the styles, column widths
that fit, the worksheet autofilter over the new columns (issue 16, item 6)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill

from tests.lo.harness import SOFFICE, requires_lo
from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from xl_cseg import jobs
from xl_cseg.core.columns import (EUR_FORMAT, OUTPUT_FIELDS, PERCENT_FORMAT, PROBABILITY_FORMAT,
                                 TREND_FORMAT)
from xl_cseg.xlsx.sheet_frame import restyle_cells, widen_columns
from xl_cseg.xlsx.styles import StyleSheet

HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorvorjahr", "Umsatz Vorjahr", "Potenzial",
           "Verbundenheit"]
ROWS = [[1001, "Müller Haustechnik GmbH", 50000, 60000, 150000, 4],
        [1002, "Schmidt Metallbau KG", 20000, 14000, 20000, 3],
        [1003, "Weber Elektro AG", 8000, 9000, 90000, 2],
        [1004, "Becker Dach e.K.", 0, 0, 30000, None]]
OUT = {f.key: f.header for f in OUTPUT_FIELDS}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rep_list(path: Path, *, wrap: bool = True) -> Path:
    """A hand-kept list typed into openpyxl: title row, bold wrapped headers with a fill, a
    plain autofilter over the table, amounts as "#,##0", no percent style anywhere."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws["A1"] = "Kundenliste Gebiet Nord"
    ws["A1"].font = Font(bold=True, size=14)
    for c, head in enumerate(HEADERS, start=1):
        cell = ws.cell(row=3, column=c, value=head)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    for r, row in enumerate(ROWS, start=4):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if c in (3, 4, 5):
                cell.number_format = "#,##0"
    ws.auto_filter.ref = f"A3:F{3 + len(ROWS)}"
    ws.column_dimensions["B"].width = 30
    wb.save(path)
    return path


def test_percent_formats_widths_and_filter_in_an_openpyxl_list(tmp_path):
    path = rep_list(tmp_path / "Liste.xlsx")
    before = members(path)
    assert b"%" not in before["xl/styles.xml"]  # no percent style to reuse
    report = jobs.segment_workbook(path)
    assert report.exit_code == 0
    after = members(path)
    # styles: entries appended, every existing one byte for byte where it was
    old, new = before["xl/styles.xml"], after["xl/styles.xml"]
    old_xfs = re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", old, re.S)[1]
    new_xfs = re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", new, re.S)[1]
    assert new_xfs.startswith(old_xfs) and len(new_xfs) > len(old_xfs)
    for part in (b"fonts", b"fills", b"borders", b"cellStyleXfs", b"cellStyles"):
        pattern = rb"<%s\b.*?</%s>" % (part, part)
        assert re.search(pattern, old, re.S)[0] == re.search(pattern, new, re.S)[0]
    book = openpyxl.load_workbook(path)
    ws = book["Kunden"]
    heads = {ws.cell(row=3, column=c).value: c for c in range(1, ws.max_column + 1)}
    share, trend = heads[OUT["share"]], heads[OUT["trend"]]
    assert ws.cell(row=4, column=share).number_format == PERCENT_FORMAT
    assert ws.cell(row=4, column=trend).number_format == TREND_FORMAT
    assert ws.cell(row=4, column=3).number_format == "#,##0"  # the rep's own: unchanged
    assert ws.cell(row=3, column=share).font.bold  # header looks like the rep's headers
    # widths: every new column fits its header on one line (no word broken), values too
    for key, head in OUT.items():
        letter = openpyxl.utils.get_column_letter(heads[head])
        assert ws.column_dimensions[letter].width >= len(head) + 2, head
    assert ws.column_dimensions["B"].width == 30  # the rep's width
    # the plain autofilter now covers the new columns, so the rep can filter by Segment, and
    # the hidden name Excel keeps for it follows
    last = openpyxl.utils.get_column_letter(max(heads.values()))
    assert ws.auto_filter.ref == f"A3:{last}7"
    names = re.findall(rb'<definedName name="_xlnm._FilterDatabase"[^>]*>([^<]*)<',
                       after["xl/workbook.xml"])
    assert names == [f"'Kunden'!$A$3:${last}$7".encode()] or names == [
        f"Kunden!$A$3:${last}$7".encode()]
    # a second run changes no style and no width again
    again = members(path)
    jobs.segment_workbook(path)
    assert members(path)["xl/styles.xml"] == again["xl/styles.xml"]


@needs_poi
def test_poi_shows_percentages_the_german_way(tmp_path):
    path = rep_list(tmp_path / "Liste.xlsx")
    jobs.segment_workbook(path)
    cells = assert_poi_reads([path], cells=True)[path].cells
    book = openpyxl.load_workbook(path)
    ws = book["Kunden"]
    heads = {ws.cell(row=3, column=c).value: c for c in range(1, ws.max_column + 1)}
    share = openpyxl.utils.get_column_letter(heads[OUT["share"]])
    trend = openpyxl.utils.get_column_letter(heads[OUT["trend"]])
    assert cells[f"Kunden!{share}4"][2] == "40,0 %"
    assert cells[f"Kunden!{trend}4"][2] == "+20,0 %"


@needs_schemas
def test_rep_list_stays_schema_valid(tmp_path):
    path = rep_list(tmp_path / "Liste.xlsx")
    jobs.segment_workbook(path)
    assert_schema_valid(path)


@requires_lo
def test_libreoffice_csv_export_gets_formats_widths_and_filter(tmp_path):
    """A CRM export as German CSV, converted by LibreOffice (its <cols> span 1024 columns)."""
    csv = tmp_path / "export.csv"
    lines = [";".join(HEADERS)] + [";".join("" if v is None else str(v) for v in row)
                                   for row in ROWS]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = tmp_path / "profile"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={profile.as_uri()}",
                    "--infilter=CSV:59,34,76,1", "--convert-to", "xlsx", "--outdir",
                    str(tmp_path), str(csv)], check=True, capture_output=True, timeout=120)
    path = tmp_path / "export.xlsx"
    sheet_before = members(path)["xl/worksheets/sheet1.xml"]
    jobs.segment_workbook(path)
    sheet = members(path)["xl/worksheets/sheet1.xml"]
    cols = re.search(rb"<cols>(.*?)</cols>", sheet, re.S)[1]
    ranges = [(int(re.search(rb'min="(\d+)"', tag)[1]), int(re.search(rb'max="(\d+)"', tag)[1]))
              for tag in re.findall(rb"<col [^>]*>", cols)]
    assert ranges == sorted(ranges) and all(b >= a for a, b in ranges)
    # the old range was split: the first columns keep their LibreOffice entry
    first = re.search(rb"<col [^>]*>", cols)[0]
    assert first in sheet_before
    book = openpyxl.load_workbook(path)
    ws = book.active
    heads = {ws.cell(row=1, column=c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.cell(row=2, column=heads[OUT["share"]]).number_format == PERCENT_FORMAT
    letter = openpyxl.utils.get_column_letter(heads[OUT["potential_class"]])
    assert ws.column_dimensions[letter].width >= len(OUT["potential_class"]) + 2


# --- the pieces -------------------------------------------------------------------------------

STYLES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          b'<x:fonts count="1"><x:font/></x:fonts><x:fills count="1"><x:fill/></x:fills>'
          b'<x:borders count="1"><x:border/></x:borders>'
          b'<x:cellXfs count="2"><x:xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
          b'<x:xf numFmtId="3" fontId="0" fillId="0" borderId="0" applyNumberFormat="1">'
          b'<x:alignment wrapText="1"/></x:xf></x:cellXfs></x:styleSheet>')


def test_style_sheet_appends_formats_and_keeps_every_entry():
    styles = StyleSheet(STYLES)
    assert styles.format_code(1) == "#,##0" and styles.wraps(1) and not styles.wraps(0)
    pct = styles.with_format(None, "0.0 %")
    assert pct == 2 and styles.with_format(None, "0.0 %") == 2  # reused, not appended twice
    like = styles.with_format(1, "0.0 %")
    assert like == 3 and styles.wraps(3)  # the base's look (alignment) kept
    assert styles.with_format(1, "#,##0") == 1  # already so: nothing new
    assert styles.with_format(1, '#,##0 "€"', keep_kind=True) == 1  # a number stays a number
    xml = styles.patched()
    assert xml.startswith(STYLES[:STYLES.index(b"<x:fonts")])
    assert b'<x:numFmts count="1"><x:numFmt numFmtId="164" formatCode="0.0 %"/></x:numFmts>' \
        in xml
    assert b'<x:cellXfs count="4">' in xml
    assert xml.count(b"<x:xf ") == 4
    assert STYLES[STYLES.index(b"<x:xf "):STYLES.index(b"</x:cellXfs>")] in xml
    again = StyleSheet(xml)
    assert again.format_code(2) == "0.0 %" and again.format_code(3) == "0.0 %"
    assert again.with_format(None, '#,##0 "€"') == 4
    assert 'formatCode="#,##0 &quot;€&quot;"'.encode() in again.patched()


def test_widen_columns_splits_ranges_and_never_narrows():
    head = (b'<worksheet><sheetFormatPr defaultColWidth="10"/><cols>'
            b'<col min="1" max="1024" width="11.5" style="3" customWidth="1"/></cols>'
            b'<sheetData><row r="1"/></sheetData></worksheet>')
    out = b"".join(widen_columns([head], {2: 20.0, 4: 5.0}))
    assert (b'<col min="1" max="2" width="11.5" style="3" customWidth="1"/>'
            b'<col min="3" max="3" width="20" style="3" customWidth="1"/>'
            b'<col min="4" max="1024" width="11.5" style="3" customWidth="1"/>') in out
    plain = b'<worksheet><sheetData><row r="1"/></sheetData></worksheet>'
    out = b"".join(widen_columns([plain], {0: 4.0, 5: 17.5}))
    assert b'<cols><col min="6" max="6" width="17.5" customWidth="1"/></cols><sheetData>' in out
    hidden = head.replace(b'style="3"', b'hidden="1"')
    assert widen_columns([hidden], {2: 20.0}) == [hidden]


def test_restyle_sets_only_the_named_cells():
    xml = b'<sheetData><row r="6"><c r="B6" s="4"><v>1</v></c><c r="B60"><v>2</v></c></row>' \
          b'<row r="7"><c r="B7"/></row></sheetData>'
    out = b"".join(restyle_cells([xml], {(5, 1): 9, (6, 1): 10}))
    assert out == xml.replace(b'r="B6" s="4"', b'r="B6" s="9"').replace(
        b'<c r="B7"/>', b'<c r="B7" s="10"/>')


def test_measure_amounts_in_euro_and_probabilities_in_percent(tmp_path):
    """A rep's own Maßnahmen sheet: the weighted revenue shows as €, the probability as %."""
    path = rep_list(tmp_path / "Liste.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("Maßnahmen")
    ws.append(["Kunden-Nr", "Maßnahme", "Status", "Erwarteter Umsatz"])
    ws.append([1001, "Sortiment erweitern", "Angebot beim Einkauf", 12000])
    ws.append([1003, "Erstbesuch", "in Erprobung", 5000])
    book.save(path)  # the test's own input file, made before any run
    report = jobs.segment_workbook(path)
    assert report.exit_code in (0, 1)
    ws = openpyxl.load_workbook(path)["Maßnahmen"]
    heads = {ws.cell(row=1, column=c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.cell(row=2, column=heads["Gewichteter Umsatz"]).number_format == EUR_FORMAT
    assert ws.cell(row=2, column=heads["Wahrscheinlichkeit"]).number_format == \
        PROBABILITY_FORMAT
    letter = openpyxl.utils.get_column_letter(heads["Gewichteter Umsatz"])
    assert ws.column_dimensions[letter].width >= len("Gewichteter Umsatz") + 2
