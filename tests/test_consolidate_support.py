"""Builders for territory workbooks (demo copies, XlsxWriter files, broken files) and a reader
for the master workbook; shared by the consolidation, push and migration tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import xlsxwriter
from xlsx_support import build_cfb

from xl_cseg.build.demo_data import demo_customers
from xl_cseg.io.edits import SheetEdit
from xl_cseg.io.measures import find_measures_table
from xl_cseg.io.reader import find_customer_table
from xl_cseg.io.source import FileSource
from xl_cseg.io.writer import FileWriter
from xl_cseg.resources import demo_workbook, template_workbook

TODAY = dt.date(2026, 11, 23)
HYPERLINK_TEXT = '=HYPERLINK("http://example.com/x","Klick")'
VARIANT_HEADERS = {"customer_id": "Kd.-Nr.", "name": "Firma", "revenue": "Umsatz 2025",
                   "revenue_prev": "Umsatz 2024", "potential": "Kundenpotenzial",
                   "loyalty": "Kundenbindung", "territory": "Region"}
PLAIN_HEADERS = {"customer_id": "Kunden-Nr", "name": "Kunde", "revenue": "Umsatz Vorjahr",
                 "revenue_prev": "Umsatz Vorvorjahr", "potential": "Potenzial",
                 "loyalty": "Verbundenheit", "territory": "Gebiet"}
_DEMO_KEYS = {"Kunden-Nr": "customer_id", "Kunde": "name", "Gebiet": "territory",
              "Umsatz Vorvorjahr": "revenue_prev", "Umsatz Vorjahr": "revenue",
              "Potenzial": "potential", "Verbundenheit": "loyalty"}


def customers(count: int, seed: int, first_id: int, territory: str | None = None) -> list[dict]:
    """Demo customers keyed by field, with ids ``first_id``, ``first_id + 1``, ..."""
    frame = demo_customers(count, seed=seed, territory="Nord").rename(columns=_DEMO_KEYS)
    frame["customer_id"] = range(first_id, first_id + count)
    frame["territory"] = territory
    return frame.to_dict("records")


def edit_workbook(path: Path, cells: dict[str, dict[tuple[int, int], Any]]) -> None:
    """Write ``cells`` per sheet name into ``path`` (surgically, like the tool itself)."""
    source = FileSource(path)
    sheets = {s.name: s for s in source.worksheets()}
    FileWriter(source, path).apply([SheetEdit(sheets[name], c) for name, c in cells.items()])


def demo_copy(dst: Path, territory: str | None, id_offset: int = 0,
              names: dict[int, str] | None = None, params: dict[str, Any] | None = None) -> Path:
    """The demo workbook with its ``Gebiet`` cells set (None: cleared), customer numbers shifted
    (also in ``Maßnahmen``), some names replaced (by customer index) and parameters set."""
    shutil.copyfile(demo_workbook(), dst)
    source = FileSource(dst)
    table = find_customer_table(source, TODAY.year)
    id_col, name_col = table.columns["customer_id"], table.columns["name"]
    kunden: dict[tuple[int, int], Any] = {}
    for i, row in enumerate(table.rows):
        kunden[row, table.columns["territory"]] = territory
        kunden[row, id_col] = table.grid[row][id_col] + id_offset
        if names and i in names:
            kunden[row, name_col] = names[i]
    edits = {table.sheet: kunden}
    measures = find_measures_table(source)
    if measures is not None and id_offset:
        col = measures.columns["customer_id"]
        edits[measures.sheet] = {(r, col): measures.grid[r][col] + id_offset
                                 for r in measures.rows}
    if params:
        cells = source.named_cells()
        for name, value in params.items():
            cell = cells[name]
            edits.setdefault(cell.sheet, {})[cell.row, cell.col] = value
    edit_workbook(dst, edits)
    return dst


def parameter_workbook(dst: Path, values: dict[str, Any]) -> Path:
    """The empty template with some parameter cells changed: the controller's file."""
    shutil.copyfile(template_workbook(), dst)
    cells = FileSource(dst).named_cells()
    edits: dict[str, dict[tuple[int, int], Any]] = {}
    for name, value in values.items():
        edits.setdefault(cells[name].sheet, {})[cells[name].row, cells[name].col] = value
    edit_workbook(dst, edits)
    return dst


def xlsx_territory(path: Path, rows: list[dict], headers: dict[str, str] = PLAIN_HEADERS,
                   measures: list[dict] | None = None, sheet: str = "Kunden") -> Path:
    """A plain customer list written by XlsxWriter. A name given as ``("=formula", cached)``
    becomes a formula with that cached value; text is always written as text."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    keys = list(headers)
    for col, key in enumerate(keys):
        ws.write_string(0, col, headers[key])
    for r, row in enumerate(rows, start=1):
        for col, key in enumerate(keys):
            _write(ws, r, col, row.get(key))
    if measures is not None:
        ms = wb.add_worksheet("Maßnahmen")
        mkeys = ("Kunden-Nr", "Maßnahme", "Status", "Erwarteter Umsatz", "Fällig am")
        for col, text in enumerate(mkeys):
            ms.write_string(0, col, text)
        for r, row in enumerate(measures, start=1):
            for col, text in enumerate(mkeys):
                _write(ms, r, col, row.get(text))
    wb.close()
    return path


def _write(ws, row: int, col: int, value: Any) -> None:
    if value is None or isinstance(value, float) and value != value:
        return
    if isinstance(value, tuple):
        ws.write_formula(row, col, value[0], None, value[1])
    elif isinstance(value, str):
        ws.write_string(row, col, value)
    elif isinstance(value, dt.date):
        ws.write_number(row, col, (value - dt.date(1899, 12, 30)).days)
    else:
        ws.write_number(row, col, float(value))


def broken_files(folder: Path, intact: Path) -> dict[str, str]:
    """Files that must be logged, never fatal; name -> expected status."""
    data = intact.read_bytes()
    (folder / "abgeschnitten.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "zufall.xlsx").write_bytes(os.urandom(4096))
    (folder / "verschluesselt.xlsx").write_bytes(
        build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x" * 64}))
    (folder / "nichts.xlsx").write_bytes(b"")
    wb = xlsxwriter.Workbook(str(folder / "leer.xlsx"))
    wb.add_worksheet("Tabelle1")
    wb.close()
    xlsx_territory(folder / "falsche-spalten.xlsx", [{"a": 1, "b": "x"}],
                   {"a": "Artikel", "b": "Menge"})
    (folder / "~$Nord.xlsm").write_bytes(b"\x0cowner" + b"\x00" * 100)
    (folder / "alt.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60)
    _zip_bomb(folder / "riesig.xlsx", intact)
    return {"abgeschnitten.xlsx": "Fehler", "zufall.xlsx": "Fehler",
            "verschluesselt.xlsx": "Fehler", "nichts.xlsx": "Fehler", "leer.xlsx": "Fehler",
            "falsche-spalten.xlsx": "Fehler", "~$Nord.xlsm": "übersprungen",
            "alt.xls": "übersprungen", "riesig.xlsx": "Fehler"}


def _zip_bomb(path: Path, intact: Path) -> None:
    """An otherwise valid package whose sheet inflates far beyond the ratio limit."""
    with zipfile.ZipFile(intact) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (40 << 20), 1)
            dst.writestr(info.filename, data)


def read_master(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of the master as a frame; tables with a header row in row 1."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = {}
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            sheets[ws.title] = pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()
        return sheets
    finally:
        wb.close()


def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}

