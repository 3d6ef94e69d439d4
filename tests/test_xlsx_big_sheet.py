"""The sheet writer on a big sheet: appended and overwritten columns in every row (the timings
are in benchmarks/bench_sheetwriter.py)."""

from __future__ import annotations

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
        assert b'<c r="D5" t="inlineStr"><is><t xml:space="preserve">B</t></is></c>' in \
            overwritten
        assert b'<c r="E5"><v>1.04</v></c>' in overwritten
        assert overwritten.count(b"<c ") == appended.count(b"<c ") - 9 * ROWS
        # the columns written again (a rerun) come out as the first time
        assert _write(appended, _outputs(15), block) == appended
