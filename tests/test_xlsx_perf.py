"""patch_sheet on big sheets: linear and fast (generous bounds; timings printed with -s).

By default 20,000 rows are used; XL_CSEG_BENCH=1 switches to 100,000 rows and also runs the
benchmark on a sheet written by XlsxWriter in constant_memory mode.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest

from xl_cseg.xlsx.patch import patch_sheet

BENCH = bool(os.environ.get("XL_CSEG_BENCH"))
ROWS = 100_000 if BENCH else 20_000
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


def _outputs(first_col: int, first_row: int = 0) -> dict[tuple[int, int], object]:
    """9 computed values per row, as the segmentation writes them."""
    cells: dict[tuple[int, int], object] = {}
    for r in range(first_row, ROWS):
        for i in range(9):
            cells[r, first_col + i] = ("A", "B", "C")[r % 3] if i % 3 == 0 else r * 0.01 + i
    return cells


def _timed(xml: bytes, cells: dict) -> tuple[bytes, float]:
    start = time.perf_counter()
    out = patch_sheet(xml, cells)
    return out, time.perf_counter() - start


def test_big_sheet_append_and_overwrite() -> None:
    xml = _big_sheet()
    appended, t_append = _timed(xml, _outputs(15))
    overwritten, t_overwrite = _timed(xml, _outputs(3))
    print(f"\n{ROWS} rows x 9 cells: append {t_append:.2f} s, overwrite {t_overwrite:.2f} s")
    limit = ROWS / 5_000  # seconds; far above normal, catches quadratic behaviour
    assert t_append < limit and t_overwrite < limit * 1.5
    assert appended.count(b"<row ") == overwritten.count(b"<row ") == ROWS
    assert b'<dimension ref="A1:X%d"/>' % ROWS in appended
    last = f'<c r="X{ROWS}"><v>{(ROWS - 1) * 0.01 + 8}</v></c></row></sheetData>'
    assert last.encode() in appended
    assert b'<row r="%d" spans="1:24">' % ROWS in appended
    assert b'<c r="B77" s="1"><v>77.5</v></c>' in appended
    assert b'<c r="D5" t="inlineStr"><is><t xml:space="preserve">B</t></is></c>' in overwritten
    assert b'<c r="E5"><v>1.04</v></c>' in overwritten


@pytest.mark.skipif(not BENCH, reason="set XL_CSEG_BENCH=1 to run")
def test_benchmark_xlsxwriter_sheet(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, [f"Spalte {i}" for i in range(15)])
    for r in range(1, ROWS + 1):
        row = [
            f"Kunde {r}",
            r * 1.5,
            r,
            "Nord",
            r % 7,
            "x",
            3.25,
            r,
            "DE",
            12,
            "y",
            r / 3,
            7,
            "z",
            1,
        ]
        ws.write_row(r, 0, row)
    wb.close()
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    appended = _outputs(15, first_row=1)
    overwrite = _outputs(3, first_row=1)
    _, t_append = _timed(xml, appended)
    _, t_overwrite = _timed(xml, overwrite)
    print(
        f"\nXlsxWriter sheet, {len(xml) / 1e6:.0f} MB, {ROWS} rows x 9 cells: "
        f"append {t_append:.2f} s, overwrite {t_overwrite:.2f} s"
    )
