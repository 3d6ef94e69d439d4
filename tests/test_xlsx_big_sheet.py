"""The sheet writer on a big sheet: appended and overwritten columns in every row (the timings
are in benchmarks/bench_sheetwriter.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from xlsx_support import simple_book

from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.cellvalue import MAX_TEXT
from xl_cseg.xlsx.scan import SheetScan
from xl_cseg.xlsx.sheetwriter import ColumnBlock, write_sheet

ROWS = 20_000
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# 15 columns: text, numbers, a styled cell (like a typical customer list)
ROW = (
    b'<row r="%(r)d" spans="1:15"><c r="A%(r)d" t="inlineStr"><is><t>Kunde %(r)d</t></is></c>'
    b'<c r="B%(r)d" s="1"><v>%(r)d.5</v></c><c r="C%(r)d"><v>%(r)d</v></c>'
    b'<c r="D%(r)d" t="inlineStr"><is><t>Nord</t></is></c><c r="E%(r)d"><v>3</v></c>'
    b'<c r="F%(r)d"><v>1.25</v></c><c r="G%(r)d"><v>7</v></c><c r="H%(r)d"><v>8</v></c>'
    b'<c r="I%(r)d" t="inlineStr"><is><t>DE</t></is></c><c r="J%(r)d"><v>12</v></c>'
    b'<c r="K%(r)d"><v>0.5</v></c><c r="L%(r)d"><v>2</v></c><c r="M%(r)d"><v>9</v></c>'
    b'<c r="N%(r)d" t="inlineStr"><is><t>z</t></is></c><c r="O%(r)d"><v>1</v></c></row>'
)


def _big_sheet() -> bytes:
    rows = b"".join(ROW % {b"r": r} for r in range(1, ROWS + 1))
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="%s">'
        b'<dimension ref="A1:O%d"/><sheetData>%s</sheetData></worksheet>' % (MAIN, ROWS, rows)
    )


def _outputs(first_col: int) -> dict[tuple[int, int], object]:
    """9 computed values per row, as the segmentation writes them."""
    cells: dict[tuple[int, int], object] = {}
    for r in range(ROWS):
        for i in range(9):
            cells[r, first_col + i] = ("A", "B", "C")[r % 3] if i % 3 == 0 else r * 0.01 + i
    return cells


def _block(cells: dict[tuple[int, int], object]) -> ColumnBlock:
    cols = sorted({c for _r, c in cells})
    return ColumnBlock(range(ROWS), {c: [cells[r, c] for r in range(ROWS)] for c in cols})


def _write(xml: bytes, cells: dict, block: bool) -> bytes:
    if block:
        return b"".join(write_sheet(SheetScan(xml), {}, block=_block(cells)))
    return b"".join(write_sheet(SheetScan(xml), cells))


def test_big_sheet_append_and_overwrite() -> None:
    xml = _big_sheet()
    for block in (False, True):
        appended = _write(xml, _outputs(15), block)
        overwritten = _write(xml, _outputs(3), block)
        assert appended.count(b"<row ") == overwritten.count(b"<row ") == ROWS
        assert b'<dimension ref="A1:X%d"/>' % ROWS in appended
        last = f'<c r="X{ROWS}"><v>{(ROWS - 1) * 0.01 + 8}</v></c></row></sheetData>'
        assert last.encode() in appended
        assert b'<row r="%d" spans="1:24">' % ROWS in appended
        assert b'<c r="B77" s="1"><v>77.5</v></c>' in appended
        assert b'<c r="D5" t="inlineStr"><is><t>B</t></is></c>' in \
            overwritten
        assert b'<c r="E5"><v>1.04</v></c>' in overwritten
        assert overwritten.count(b"<c ") == appended.count(b"<c ") - 9 * ROWS
        # the columns written again (a rerun) come out as the first time
        assert _write(appended, _outputs(15), block) == appended


def test_a_big_patched_sheet_is_streamed_into_the_zip(tmp_path: Path) -> None:
    """The chunks the writer makes as they are read give the same file as their list."""
    path = simple_book(tmp_path / "mappe.xlsx")
    xml = _big_sheet()
    for cells in (_outputs(15), _outputs(3)):  # new columns, columns written before
        chunks = write_sheet(SheetScan(xml), {}, block=_block(cells))
        write_package(path, tmp_path / "listed.xlsx", {"xl/worksheets/sheet1.xml": list(chunks)})
        write_package(path, tmp_path / "streamed.xlsx", {"xl/worksheets/sheet1.xml": chunks})
        assert (tmp_path / "streamed.xlsx").read_bytes() == \
            (tmp_path / "listed.xlsx").read_bytes()
        with zipfile.ZipFile(tmp_path / "streamed.xlsx") as zf:
            assert zf.read("xl/worksheets/sheet1.xml") == _write(xml, cells, True)


@pytest.mark.parametrize("again", [False, True])  # new columns, the columns of a first run
def test_a_text_too_long_in_the_last_rows_leaves_the_workbook_as_it_was(
        tmp_path: Path, again: bool) -> None:
    """The rows are rendered while the zip is written: an over-long text near the end still
    ends the write with nothing written and no temp file left."""
    path = simple_book(tmp_path / "mappe.xlsx")
    original = path.read_bytes()
    xml = _write(_big_sheet(), _outputs(15), True) if again else _big_sheet()
    cells = _outputs(15)
    cells[ROWS - 2, 15] = "x" * (MAX_TEXT + 1)
    with pytest.raises(ValueError, match="longer than"):  # (a rerun may render it sooner,
        chunks = write_sheet(SheetScan(xml), {}, block=_block(cells))  # comparing the rows)
        write_package(path, path, {"xl/worksheets/sheet1.xml": chunks})
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mappe.xlsx"]
