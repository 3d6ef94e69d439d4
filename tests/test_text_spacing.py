"""Inline texts are marked ``xml:space="preserve"`` only where they begin or end with whitespace
(as Excel writes them): every reader reads the same texts, and a rerun rewrites the cells that
earlier versions wrote with the mark on every text."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import python_calamine as pc
import pytest

from tests.lo.harness import probe, requires_lo
from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.userlists import typed_list
from xl_cseg import jobs
from xl_cseg.xlsx.cellvalue import render_value, text_cells
from xl_cseg.xlsx.scan import SheetScan
from xl_cseg.xlsx.sheetwriter import ColumnBlock, write_sheet

TODAY = dt.date(2026, 6, 30)
TEXTS = ["C-Win", " vorn", "hinten ", "in  der\nMitte", "\tTab", "", "  ", "a\u00a0", "x\x01 ",
         "Umsatzrückgang −9 %", "<&>\"'"]
READ = [t.replace("\x01", "") for t in TEXTS]  # a character XML forbids is dropped
SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("text", TEXTS)
def test_only_texts_with_blanks_at_an_end_are_marked(text):
    marked = text.replace("\x01", "") != text.replace("\x01", "").strip()
    one = render_value(text)
    (bulk,) = text_cells([text])
    assert one == bulk
    assert (b'<t xml:space="preserve">' in one) is marked
    assert (b"<t>" in one) is not marked


def _sheet_with_texts(path: Path) -> Path:
    """A workbook whose column B the sheet writer filled with :data:`TEXTS`."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i in range(len(TEXTS)):
        ws.cell(i + 1, 1, i)
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    chunks = write_sheet(SheetScan(members[SHEET]), {},
                         block=ColumnBlock(list(range(len(TEXTS))), {1: TEXTS}))
    members[SHEET] = b"".join(chunks)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_readers_read_the_texts_as_written(tmp_path):
    path = _sheet_with_texts(tmp_path / "t.xlsx")
    calamine = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python()
    assert [row[1] for row in calamine] == READ
    ws = openpyxl.load_workbook(path)["S"]
    assert [ws.cell(i + 1, 2).value or "" for i in range(len(TEXTS))] == READ


@needs_poi
def test_poi_reads_the_texts_as_written(tmp_path):
    path = _sheet_with_texts(tmp_path / "t.xlsx")
    cells = assert_poi_reads([path], cells=True)[path].cells
    # POI's listing is one line per cell: line breaks and tabs come as blanks
    shown = [cells.get(f"S!B{i + 1}", ("", "", ""))[2] for i in range(len(TEXTS))]
    assert shown == [re.sub(r"[\t\n]", " ", t) for t in READ]


@requires_lo
def test_libreoffice_reads_the_texts_as_written(tmp_path):
    path = _sheet_with_texts(tmp_path / "t.xlsx")
    [report] = probe([{"path": str(path), "cells": [f"S!B{i + 1}" for i in range(len(TEXTS))],
                       "recalc": False}])
    got = [report["cells"][f"S!B{i + 1}"] or "" for i in range(len(TEXTS))]
    assert got == READ


def _cells_of_columns(sheet: bytes, letters: str) -> list[bytes]:
    return re.findall(rb'<c r="[%s][0-9]+".*?(?:/>|</c>)' % letters.encode(), sheet)


def test_rerun_rewrites_cells_marked_by_earlier_versions(tmp_path):
    """A list segmented by an earlier version (every text of ours marked) is segmented again:
    our cells come out as a first run writes them, the rep's cells byte for byte as they were."""
    rows = [[1000 + i, f"Kunde {i}", 1000.0 * (i % 17), 2000.0 * (i % 13 + 1)] for i in range(40)]
    path = typed_list(tmp_path / "Liste.xlsx", ["Kunden-Nr", "Kunde", "Umsatz Vorjahr",
                                                "Potenzial"], rows)
    jobs.segment_workbook(path, today=TODAY)
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    fresh = members[SHEET]
    assert b"<is><t>" in fresh and b'xml:space="preserve"' not in fresh
    assert b"<is><t>Kunde 1</t>" in fresh  # (openpyxl writes the rep's texts inline too)
    members[SHEET] = re.sub(rb'(<c r="[E-M][0-9]+"[^>]*><is><t)>', rb'\1 xml:space="preserve">',
                            fresh)
    assert members[SHEET].count(b'xml:space="preserve"') > 100
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    jobs.segment_workbook(path, today=TODAY)
    with zipfile.ZipFile(path) as zf:
        again = zf.read(SHEET)
    assert _cells_of_columns(again, "A-D") == _cells_of_columns(fresh, "A-D")
    # the values are rewritten as a first run writes them; the headers, already there, stay
    headers_kept = re.sub(rb'(<c r="[E-M]1"[^>]*><is><t)>', rb'\1 xml:space="preserve">', fresh)
    assert again == headers_kept
