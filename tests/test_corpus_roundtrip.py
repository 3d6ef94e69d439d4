"""Every workbook Excel made in the corpus: the reader never crashes on it, and a customer table
placed into it is segmented without touching any other part; LibreOffice still opens the result."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc

from tests.lo.harness import probe, requires_lo
from xl_cseg.io.names import OWNED_NAME
from xl_cseg.xlsx.definednames import set_local_name
from xl_cseg import jobs
from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.cellref import MAX_COLS, parse_range
from xl_cseg.xlsx.errors import WorkbookError
from xl_cseg.xlsx.sheetwriter import write_sheet
from xl_cseg.xlsx.safezip import open_package

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "excel-made"
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix in (".xlsx", ".xlsm")) \
    if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")

HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"]
CUSTOMERS = [[9001.0, "Müller GmbH", 60000.0, 70000.0, 4.0],
             [9002.0, "=HYPERLINK(\"x\")", 20000.0, 100000.0, 2.0],
             [9003.0, "Neu AG", 0.0, 25000.0, 3.0]]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reader_never_crashes(path):
    try:
        jobs.analyse(path)
    except WorkbookError as exc:  # a clear German message is fine ("keine Kundentabelle", ...)
        assert str(exc) and "Traceback" not in str(exc)


def place_customers(src: Path, dst: Path) -> tuple[str, str] | None:
    """Write a small customer table right of the first worksheet's used range (row 1)."""
    pkg = open_package(src)
    sheets = pkg.sheets()
    book = pc.CalamineWorkbook.from_path(str(src))
    for info in sheets:
        try:
            sheet = book.get_sheet_by_name(info.name)
        except Exception:  # chart sheets
            continue
        width = sheet.end[1] + 1 if sheet.end else 0
        for (_r0, _c0), (_r1, c1) in pkg.merged_ranges(info.part):
            width = max(width, c1 + 1)
        for table in pkg.tables(info.part):
            width = max(width, parse_range(table.ref)[1][1] + 1)
        first = width + 1
        if first + len(HEADERS) + 12 >= MAX_COLS:
            continue
        cells = {(0, first + c): h for c, h in enumerate(HEADERS)}
        for r, row in enumerate(CUSTOMERS, start=1):
            cells.update({(r, first + c): v for c, v in enumerate(row)})
        write_package(src, dst, {info.part: write_sheet(pkg.sheet_scan(info.part), cells)})
        return info.name, info.part
    return None


def _cell_xfs(styles: bytes) -> list[bytes]:
    """The cell formats (``<xf>`` of ``<cellXfs>``) of a styles part, in order."""
    found = re.search(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", styles, re.S)
    return re.findall(rb"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", found.group(1), re.S) \
        if found else []


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@requires_lo
def test_segment_in_every_corpus_file_touches_only_its_sheet(tmp_path):
    done: list[Path] = []
    for src in FILES:
        placed = tmp_path / ("placed-" + src.name)
        where = place_customers(src, placed)
        if where is None:
            continue
        sheet_name, part = where
        out = tmp_path / ("segmented-" + src.name)
        report = jobs.segment_workbook(placed, out)
        assert report.table.sheet == sheet_name, src.name
        assert report.customers == 3, src.name
        original, before, after = _members(src), _members(placed), _members(out)
        assert list(original) == list(before) == list(after), src.name
        workbook = open_package(placed).workbook_part
        for name in original:
            if name == workbook:  # gained only the marker of the columns this run owns (and a
                # sheet autofilter's hidden name follows the filter grown over the new columns)
                unmarked = set_local_name(after[name], OWNED_NAME, sheet_name, None)
                old_filter = re.search(rb'(<definedName name="_xlnm._FilterDatabase"[^>]*>)'
                                       rb'([^<]*)<', before[name])
                if old_filter is not None:
                    unmarked = re.sub(re.escape(old_filter[1]) + rb"[^<]*<",
                                      lambda _m: old_filter[0], unmarked)
                assert original[name] == before[name] == unmarked, src.name
                assert OWNED_NAME.encode() in after[name]
            elif name == "xl/styles.xml" and before[name] != after[name]:
                # number formats appended for the output columns; every existing style kept
                assert _cell_xfs(after[name])[:len(_cell_xfs(before[name]))] == \
                    _cell_xfs(before[name]), src.name
            elif name != part:
                assert original[name] == before[name] == after[name], (src.name, name)
        codes = [row for row in report.result.output["code"]]
        assert codes == ["A-Maintain", "B-Win", "C-Win"], src.name
        done.append(out)
    assert len(done) >= 200
    results = probe([{"path": str(p), "recalc": False, "timeout": 60} for p in done])
    failed = [(r["path"], r.get("error")) for r in results if not r["ok"]]
    assert not failed, failed[:5]
