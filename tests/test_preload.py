"""The command line starts reading the workbook before its heavy imports (io.preload)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import xlsxwriter

from xl_cseg import launch
from xl_cseg.io import fastgrid, preload
from xl_cseg.io.reader import find_customer_table
from xl_cseg.io.source import FileSource


def _book(path: Path, rows: int, below: bool = False) -> Path:
    """A customer list on the second sheet; ``below``: a merged total line under it and a
    note in a block of rows of its own (other row spans)."""
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Start").write_string(0, 0, "Kundensegmentierung")
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [10_000 + r, f"Kunde {r} GmbH", 1000.0 * (r % 50), 60_000.0])
    if below:
        ws.merge_range(rows + 3, 0, rows + 3, 2, "Summe")
        ws.write_string(rows + 40, 5, "Notiz")
    wb.close()
    return path


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = _book(tmp_path / "gross.xlsx", 8000)
    assert fastgrid.worth_it(FileSource(path).package, "xl/worksheets/sheet2.xml")
    return path


def _no_second_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args):
        raise AssertionError("the sheet was parsed again")
    monkeypatch.setattr(fastgrid, "load_columns", refuse)


def test_preloaded_sheet_is_taken_and_equals_a_normal_read(big: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    expected = find_customer_table(FileSource(big), 2026).raw
    preload.start(big)
    early = preload.claim(big)
    assert early is not None and early.sheet == "Kunden" and early.loading is not None
    monkeypatch.setattr(preload, "claim", lambda _path: early)
    _no_second_parse(monkeypatch)
    table = find_customer_table(FileSource(big), 2026)
    assert table.raw.equals(expected) and len(table.rows) == 8000
    assert early.loading is None  # handed over once


def test_package_is_claimed_while_the_sheet_is_still_parsing(big: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    expected = find_customer_table(FileSource(big), 2026).raw
    release = threading.Event()
    load_sheet = fastgrid.load_sheet

    def slow_load(*args):
        assert release.wait(30)
        return load_sheet(*args)

    monkeypatch.setattr(fastgrid, "load_sheet", slow_load)
    preload.start(big)
    early = preload.claim(big)  # returns although the parse waits
    assert early is not None and early.loading is not None and not early.loading.done()
    monkeypatch.setattr(preload, "claim", lambda _path: early)
    _no_second_parse(monkeypatch)
    source = FileSource(big)
    threading.Timer(0.2, release.set).start()
    assert find_customer_table(source, 2026).raw.equals(expected)


def test_refused_parse_falls_back_to_a_normal_read(big: Path, monkeypatch: pytest.MonkeyPatch):
    expected = find_customer_table(FileSource(big), 2026).raw

    def refuse(*_args):
        raise RuntimeError("fastexcel refused")

    monkeypatch.setattr(fastgrid, "load_sheet", refuse)
    preload.start(big)
    early = preload.claim(big)
    assert early is not None and early.loading is not None and early.loading.result() is None
    monkeypatch.setattr(preload, "claim", lambda _path: early)
    assert find_customer_table(FileSource(big), 2026).raw.equals(expected)


def test_changed_file_is_read_again(big: Path):
    preload.start(big)
    preload._opening[str(big.resolve())].wait()  # opened, then the file changes
    with big.open("ab") as fh:  # a zip with trailing bytes still opens
        fh.write(b"\0")
    os.utime(big, ns=(1, 1))
    assert preload.claim(big) is None


def test_claimed_once_and_small_files_give_only_the_package(tmp_path: Path, big: Path):
    preload.start(big)
    assert preload.claim(big) is not None
    assert preload.claim(big) is None
    small = _book(tmp_path / "klein.xlsx", 10)
    preload.start(small)
    early = preload.claim(small)
    assert early is not None and early.sheet is None and early.package.path == small


def test_no_workbook_is_left_to_the_normal_read(tmp_path: Path):
    text = tmp_path / "kunden.xlsx"
    text.write_text("keine Arbeitsmappe")
    preload.start(text)
    preload.start(tmp_path / "fehlt.xlsx")
    assert preload.claim(text) is None and preload.claim(tmp_path / "fehlt.xlsx") is None


@pytest.mark.parametrize(("args", "expected"), [
    (["segment", "Kunden.xlsx"], "Kunden.xlsx"),
    (["segment", "--out", "Neu.xlsx", "Kunden.xlsx"], "Kunden.xlsx"),
    (["segment", "-o", "Neu.xlsx", "Kunden.xlsx"], "Kunden.xlsx"),
    (["validate", "Kunden.xlsm"], "Kunden.xlsm"),
    (["segment", "--help"], None),
    (["consolidate", "Gebiete", "--out", "Gesamt.xlsx"], None),
    (["demo"], None),
    ([], None),
])
def test_workbook_argument(args: list[str], expected: str | None):
    assert launch.workbook_argument(args) == expected
