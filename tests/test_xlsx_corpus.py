"""Sweeps over real Excel-made workbooks (skipped when the corpus folder is absent)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from lxml import etree
from xlsx_support import corpus_files, needs_corpus

from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.cellref import parse_range, range_ref
from xl_cseg.xlsx.sheetwriter import write_sheet
from xl_cseg.xlsx.tablepart import patch_table
from xl_cseg.xlsx.safezip import open_package

FILES = corpus_files()
IDS = [p.name for p in FILES]
pytestmark = needs_corpus


def _last_row(xml: bytes) -> int:
    """1-based number of the last row element (0 if none)."""
    rows = re.findall(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"', xml)
    return max(map(int, rows), default=0)


def test_corpus_is_there() -> None:
    assert len(FILES) > 200


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_file_can_be_inspected(path: Path) -> None:
    package = open_package(path)
    package.defined_names()
    package.percent_style_index()
    for sheet in package.sheets():
        for table in package.tables(sheet.part):
            parse_range(table.ref)
        package.special_cells(sheet.part)
        package.merged_ranges(sheet.part)


BLOCK = [['=HYPERLINK("x")', "Grüße & <Kunden>", None], [14000, 0.1, -3], [True, "ok", 1e-05]]
EXPECTED = [['=HYPERLINK("x")', "Grüße & <Kunden>", ""], [14000.0, 0.1, -3.0], [True, "ok", 1e-05]]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_patch_below_used_range_roundtrips(path: Path, tmp_path: Path) -> None:
    package = open_package(path)
    sheets = package.sheets()
    if not sheets:
        pytest.skip("no worksheet")
    sheet = sheets[0]
    xml = package.read(sheet.part)
    base = _last_row(xml) + 1  # 0-based index of the first row below the used range
    cells = {(base + i, j): BLOCK[i][j] for i in range(3) for j in range(3)}
    patched = b"".join(write_sheet(package.sheet_scan(sheet.part), cells))
    etree.fromstring(patched)
    out = tmp_path / path.name
    write_package(path, out, {sheet.part: patched})

    with zipfile.ZipFile(path) as old, zipfile.ZipFile(out) as new:
        assert old.namelist() == new.namelist()
        for info in old.infolist():
            if info.filename != sheet.part:
                assert old.read(info) == new.read(info.filename), info.filename
                assert new.getinfo(info.filename).date_time == info.date_time

    grid = (
        python_calamine.CalamineWorkbook.from_path(str(out))
        .get_sheet_by_name(sheet.name)
        .to_python(skip_empty_area=False)
    )
    got = [[grid[base + i][j] for j in range(3)] for i in range(3)]
    assert got == EXPECTED
    assert isinstance(got[0][0], str)


TABLE_FILES = [p for p in FILES if p.name.startswith("table")]


@pytest.mark.parametrize("path", TABLE_FILES, ids=[p.name for p in TABLE_FILES])
def test_table_grows_by_two_columns(path: Path, tmp_path: Path) -> None:
    package = open_package(path)
    sheet = next(s for s in package.sheets() if package.tables(s.part))
    table = package.tables(sheet.part)[0]
    (r0, c0), (r1, c1) = parse_range(table.ref)
    new_names = ["Segment", "Score %"]
    cells: dict[tuple[int, int], object] = {}
    if table.header_row_count:
        cells.update({(r0, c1 + 1 + i): name for i, name in enumerate(new_names)})
    first_data = r0 + table.header_row_count
    last_data = r1 - table.totals_row_count
    for row in range(first_data, last_data + 1):
        cells[row, c1 + 1] = "A"
        cells[row, c1 + 2] = row / 10
    new_ref = range_ref(r0, c0, r1, c1 + 2)
    replacements = {
        sheet.part: write_sheet(package.sheet_scan(sheet.part), cells),
        table.part: patch_table(package.read(table.part), ref=new_ref, add_columns=new_names),
    }
    out = tmp_path / path.name
    write_package(path, out, replacements)

    reopened = open_package(out).tables(sheet.part)[0]
    assert reopened.ref == new_ref
    assert reopened.columns == table.columns + new_names
    openpyxl.load_workbook(out, read_only=True).close()
    book = openpyxl.load_workbook(out)  # read for assertions only, never saved
    ws = book[sheet.name]
    assert ws.tables[table.name].ref == new_ref
    assert [c.name for c in ws.tables[table.name].tableColumns][-2:] == new_names
    if table.header_row_count:
        assert [ws.cell(r0 + 1, c1 + 2 + i).value for i in range(2)] == new_names
    assert ws.cell(first_data + 1, c1 + 2).value == "A"
