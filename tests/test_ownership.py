"""Ownership of columns (issue 16, item 1): the project writes only the columns its marker names;
a rep's own column under one of our headers is never touched; ``Segment manuell`` wins."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine as pc

from tests.userlists import require_soffice, typed_list
from xl_cseg import jobs
from xl_cseg.consolidate.run import consolidate
from xl_cseg.core.segment import segment
from xl_cseg.io.names import OWNED_NAME
from xl_cseg.resources import template_workbook
from tests.lo.harness import SOFFICE

TODAY = dt.date(2026, 6, 30)
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "ABC", "Kanal"]
ROWS = [[1001, "Müller GmbH", 60000, 70000, "A", "persönlich, Chefsache"],
        [1002, "Schmidt KG", 20000, 100000, "A", "Messe"],
        [1003, "Weber AG", 5000, 40000, None, None]]


def values(path: Path, sheet: str = "Kunden") -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


def header_row(path: Path, row: int = 0) -> list:
    return values(path)[row]


def test_reps_own_abc_and_kanal_columns_are_never_written(tmp_path):
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS)
    before = values(path)
    report = jobs.segment_workbook(path, today=TODAY)
    after = values(path)
    for r, row in enumerate(before):
        assert after[r][:6] == row[:6]  # the rep's cells, own ABC and Kanal included
    head = after[0]
    assert "ABC (berechnet)" in head and "Kanal (berechnet)" in head
    assert head.count("ABC") == 1 and head.count("Segment") == 1
    computed = head.index("ABC (berechnet)")
    assert [row[computed] for row in after[1:4]] == ["A", "B", "C"]
    said = [n for n in report.notes if "ist Ihre eigene" in n]
    assert len(said) == 2 and said[0].startswith("Kunden!E1: Spalte „ABC“")
    assert "„ABC (berechnet)“" in said[0]


def test_second_run_writes_the_columns_it_made_and_adds_none(tmp_path):
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS)
    jobs.segment_workbook(path, today=TODAY)
    first = header_row(path)
    report = jobs.segment_workbook(path, today=TODAY)
    assert header_row(path) == first
    said = [n for n in report.notes if "ist Ihre eigene" in n]
    assert len(said) == 2
    # the note names the column as it stands in the sheet, not our plain header
    assert "„ABC (berechnet)“" in said[0] and "„Kanal (berechnet)“" in said[1]


def test_columns_with_our_headers_but_no_marker_are_the_reps(tmp_path):
    """Headers alone never make a column ours: an old list with a typed ``Segment`` keeps it."""
    rows = [[*row[:4], "B-Grow"] for row in ROWS]
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS[:4] + ["Segment"], rows)
    jobs.segment_workbook(path, today=TODAY)
    after = values(path)
    assert [row[4] for row in after[1:4]] == ["B-Grow"] * 3
    seg = after[0].index("Segment (berechnet)")
    assert [row[seg] for row in after[1:4]] == ["A-Maintain", "B-Win", "C-Win"]


def test_marker_is_a_hidden_sheet_local_name(tmp_path):
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS)
    jobs.segment_workbook(path, today=TODAY)
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
    name = re.search(rf'<definedName name="{OWNED_NAME}" localSheetId="0" hidden="1">([^<]*)<',
                     workbook)
    assert name is not None
    assert name.group(1).split(",")[0] == "Kunden!$G:$G"  # right of the rep's six columns


def test_marker_survives_a_save_by_another_program(tmp_path):
    """LibreOffice loads and saves the list (as Excel would): the marker still names our
    columns, so the next run reuses them instead of adding more."""
    require_soffice()
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS)
    jobs.segment_workbook(path, today=TODAY)
    first = header_row(path)
    saved = tmp_path / "lo"
    profile = Path(tempfile.mkdtemp(prefix="xl-cseg-lo-"))
    try:
        subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(saved), str(path)],
                       check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    again = saved / "Liste.xlsx"
    report = jobs.segment_workbook(again, today=TODAY)
    assert header_row(again) == first
    assert report.customers == 3


def test_a_column_the_rep_renamed_is_no_longer_written(tmp_path):
    path = typed_list(tmp_path / "Liste.xlsx", HEADERS[:4], [r[:4] for r in ROWS])
    jobs.segment_workbook(path, today=TODAY)
    wb = openpyxl.load_workbook(path)  # test only: the rep edits the sheet in a program
    ws = wb["Kunden"]
    risk_col = [c.value for c in ws[1]].index("Risiko") + 1
    ws.cell(1, risk_col).value = "Meine Notiz"
    ws.cell(2, risk_col).value = "anrufen"
    wb.save(path)
    jobs.segment_workbook(path, today=TODAY)
    after = values(path)
    assert after[1][risk_col - 1] == "anrufen"


def test_template_columns_count_as_ours(tmp_path):
    path = shutil.copyfile(template_workbook(), tmp_path / "Gebiet.xlsm")
    wb_head = values(path)[0]
    # a rep types customers into the empty template table
    from xl_cseg.xlsx.sheetwriter import write_sheet
    from xl_cseg.xlsx.atomic import write_package
    from xl_cseg.xlsx.safezip import open_package
    pkg = open_package(path)
    part = next(s.part for s in pkg.sheets() if s.name == "Kunden")
    cells = {(1, 0): 1001.0, (1, 1): "Müller GmbH", (1, 4): 60000.0, (1, 5): 70000.0}
    write_package(path, tmp_path / "typed.xlsm", {part: write_sheet(pkg.sheet_scan(part), cells)})
    report = jobs.segment_workbook(tmp_path / "typed.xlsm", today=TODAY)
    assert values(tmp_path / "typed.xlsm")[0] == wb_head  # no column added
    assert not [n for n in report.notes if "ist Ihre eigene" in n]
    assert report.result.output["code"].tolist() == ["A-Maintain"]


# -- Segment manuell ------------------------------------------------------------------------

def test_manual_segment_wins_in_every_downstream_figure():
    raw = pd.DataFrame({"customer_id": [1.0, 2.0, 3.0], "name": ["a", "b", "c"],
                        "revenue": [1000.0, 60000.0, 5000.0],
                        "potential": [50000.0, 70000.0, 6000.0],
                        "code_override": ["A-Win", None, "irgendwas"]})
    result = segment(raw)
    out = result.output
    assert out["code"].tolist() == ["A-Win", "A-Maintain", "C-Maintain"]
    assert out["abc"].tolist()[0] == "A" and out["potential_class"].tolist()[0] == "Win"
    assert out["visits"].tolist()[0] == 12.0  # A-Win is visited like an A customer
    notes = {i.row: i for i in result.issues if i.field == "code_override"}
    assert notes[0].severity == "Hinweis" and "„A-Win“ gilt statt berechnet „C-Win“" in \
        notes[0].message
    assert notes[2].severity == "Fehler" and "„irgendwas“ ist kein Segment" in notes[2].message


def test_manual_segment_in_a_workbook_counts_in_distribution_plan_and_consolidation(tmp_path):
    headers = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Segment manuell"]
    rows = [[1001, "Müller GmbH", 1000, 50000, "A-Win"], [1002, "Schmidt KG", 20000, 100000, None],
            [1003, "Weber AG", 5000, 40000, None]]
    path = typed_list(tmp_path / "Nord.xlsx", headers, rows)
    plain = typed_list(tmp_path / "ohne.xlsx", headers[:4], [r[:4] for r in rows])
    report = jobs.segment_workbook(path, today=TODAY)
    base = jobs.segment_workbook(plain, today=TODAY)
    assert report.distribution.by_code.at["A-Win", "Kunden"] == 1
    assert base.distribution.by_code.at["A-Win", "Kunden"] == 0
    assert report.distribution.matrix_customers.at["A", "Win"] == 1
    assert report.plan.capacity.visit_demand > base.plan.capacity.visit_demand
    assert any(n.startswith("Kunden!E2: „A-Win“ gilt statt berechnet „C-Win“")
               for n in report.notes)
    after = values(path)
    assert after[1][4] == "A-Win"  # the rep's cell stays as typed
    assert after[1][after[0].index("Segment")] == "A-Win"
    run = consolidate([path], tmp_path / "Gesamt.xlsx", today=TODAY)
    assert run.data.customers["code"].tolist()[0] == "A-Win"


def test_marked_workbooks_are_schema_valid_and_read_by_poi(tmp_path):
    """The marker in workbook.xml (appended to names the rep has, or a new container) keeps
    the workbook valid for the ECMA-376 schema and Apache POI."""
    from tests.ooxml.poi import assert_poi_reads
    from tests.ooxml.schema import assert_schema_valid

    plain = typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS, autofilter=False)
    filtered = typed_list(tmp_path / "Filter.xlsx", HEADERS, ROWS)  # has _FilterDatabase
    for path in (plain, filtered):
        jobs.segment_workbook(path, today=TODAY)
        assert_schema_valid(path)
    assert_poi_reads([plain, filtered])
