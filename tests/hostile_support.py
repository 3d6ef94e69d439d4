"""Hostile, broken and extreme workbooks for the robustness tests (issue 17): each builder
writes a small customer list with XlsxWriter and then breaks one thing in its XML."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

SHEET = "xl/worksheets/sheet1.xml"
SST = "xl/sharedStrings.xml"
TABLE = "xl/tables/table1.xml"
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"]


def customer_list(path: Path, rows: int = 5, *, table: bool = False, ids=None, names=None,
                  revenue=None, extra_cells=(), headers=HEADERS) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    data = [[ids[r] if ids else f"K{r + 1:05d}", names[r] if names else f"Firma {r + 1}",
             revenue[r] if revenue else 1000.0 * (r % 50 + 1), 50000.0 + r] for r in range(rows)]
    if table:
        ws.add_table(0, 0, rows, len(headers) - 1,
                     {"columns": [{"header": h} for h in headers], "data": data})
    else:
        ws.write_row(0, 0, headers)
        for i, row in enumerate(data, 1):
            ws.write_row(i, 0, row)
    for r, c, v in extra_cells:
        ws.write(r, c, v)
    wb.close()
    return path


def members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def rewrite(path: Path, change: Callable[[str, bytes], bytes]) -> None:
    found = members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in found:
            zf.writestr(info, change(info.filename, data))


def replace(path: Path, part: str, old: bytes, new: bytes) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        assert old in data, (part, old)
        return data.replace(old, new, 1)
    rewrite(path, change)
    return path


def merge(ref: str) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return replace(customer_list(path), SHEET, b"</sheetData>",
                       f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
                       .encode())
    return build


def cell_ref(old: str, new: str, rows: int = 5) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return replace(customer_list(path, rows), SHEET, f'r="{old}"'.encode(),
                       f'r="{new}"'.encode())
    return build


def table_ref(new: str) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return replace(customer_list(path, table=True), TABLE, b'ref="A1:D6"', f'ref="{new}"'
                       .encode())
    return build


def table_column_missing(path: Path) -> Path:
    customer_list(path, table=True)
    rewrite(path, lambda name, data: re.sub(rb'<tableColumn id="4"[^>]*/>', b"", data)
            .replace(b'count="4"', b'count="3"') if name == TABLE else data)
    return path


def big_list(path: Path) -> Path:
    """Big enough (a sheet part of 200 KB and more) for the typed column reader."""
    return customer_list(path, rows=6000)


def shared_string_cell(value: bytes) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return replace(big_list(path), SHEET, b'<c r="A3" t="s"><v>', b'<c r="A3" t="s"><v>'
                       + value)
    return build


def text_in_number(path: Path) -> Path:
    return replace(big_list(path), SHEET, b'<c r="C3"><v>', b'<c r="C3"><v>abc')


def duplicated_attribute(path: Path) -> Path:
    return replace(big_list(path), SST, b"<sst ", b'<sst count="1" count="2" ')


def cell_type(kind: str) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        return replace(customer_list(path), SHEET, b'<c r="A3" t="s">',
                       f'<c r="A3" t="{kind}">'.encode())
    return build


def member_bigger_than_declared(path: Path) -> Path:
    customer_list(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(SHEET)
    struct.pack_into("<L", data, info.header_offset + 22, info.file_size - 100)
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        length = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + length]) == SHEET.encode():
            struct.pack_into("<L", data, pos + 24, info.file_size - 100)
            break
        pos += 4
    path.write_bytes(bytes(data))
    return path


def unused_doctype(path: Path) -> Path:
    return replace(customer_list(path), SST, b"?>",
                   b'?><!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]>')


def many_members(path: Path, count: int = 20_000) -> Path:
    customer_list(path)
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(count):
            zf.writestr(f"x/{i}.bin", b"")
    return path


def last_cell_used(path: Path) -> Path:
    """A value in XFD1048576, Excel's last cell (openpyxl and Excel write such files)."""
    return customer_list(path, extra_cells=[(1_048_575, 16_383, 1)])


def header_over_all_columns(path: Path) -> Path:
    return customer_list(path, rows=3,
                         headers=HEADERS + [f"Spalte {i}" for i in range(16_384 - len(HEADERS))])


def nul_in_name(path: Path) -> Path:
    return replace(customer_list(path), SST, b"<t>Firma 2</t>", b"<t>Firma_x0000_2</t>")
