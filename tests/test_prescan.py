"""A helper process makes the writer's sheet scans of a big workbook (io.prescan)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from xl_cseg import jobs
from xl_cseg.io import prescan
from xl_cseg.xlsx import patch_append, scan, sheetxml
from xl_cseg.xlsx.safezip import open_package

SCANS = (sheetxml.fast_layout, patch_append.rows_with_content, patch_append.spans_found,
         patch_append.cell_letters, scan._merge_refs)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "excel-made"


def _book(path: Path, rows: int = 3000) -> Path:
    """A customer list on the second sheet, a merged total line under it and a note in a
    block of rows of its own (other row spans)."""
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Start").write_string(0, 0, "Kundensegmentierung")
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [10_000 + r, f"Kunde {r} GmbH", 1000.0 * (r % 50), 60_000.0])
    ws.merge_range(rows + 3, 0, rows + 3, 2, "Summe")
    ws.write_string(rows + 40, 5, "Notiz")
    wb.close()
    return path


def _scans_as_seeded(path: Path) -> tuple[bytes, list]:
    """The part the helper scanned, read here, and what each scan knows of it after seeding."""
    package = open_package(path)
    sheet = package.biggest_sheet()
    prescan.seed(package, sheet.part)
    xml = package.read(package.part_name(sheet.part))
    return xml, [scan_.known(xml) for scan_ in SCANS]


def _compare(xml: bytes, seeded: list) -> None:
    for scan_, known in zip(SCANS, seeded):
        expected = scan_.__wrapped__(xml)
        if hasattr(expected, "tolist"):
            assert known is not None and known.tolist() == expected.tolist(), scan_.__name__
        else:
            assert known == expected, scan_.__name__


def test_the_helper_scans_equal_the_scans_here(tmp_path: Path) -> None:
    path = _book(tmp_path / "kunden.xlsx")
    prescan.start(path)
    assert prescan.running(path)
    xml, seeded = _scans_as_seeded(path)
    assert not prescan.running(path)  # its results are taken once
    assert all(known is not None for known in seeded)
    assert seeded[3] == frozenset({b"A", b"B", b"C", b"D", b"F"})
    assert len(seeded[4]) == 1 and len(seeded[2]) >= 2
    _compare(xml, seeded)


@pytest.mark.parametrize("name", ["merge_cells01.xlsx", "merge_range01.xlsx", "table22.xlsx",
                                  "chart_sparse01.xlsx"])
def test_the_helper_scans_excel_made_files_like_this_process(tmp_path: Path, name: str) -> None:
    path = Path(shutil.copyfile(CORPUS / name, tmp_path / name))
    prescan.start(path)
    xml, seeded = _scans_as_seeded(path)
    if sheetxml.fast_layout.__wrapped__(xml) is None:
        assert seeded[0] is None
    _compare(xml, seeded)


def test_a_file_changed_after_the_helper_started_is_scanned_here(tmp_path: Path) -> None:
    path = _book(tmp_path / "kunden.xlsx", rows=10)  # its results fit the pipe: it can end
    prescan.start(path)
    prescan._helpers[str(path.resolve())].wait()
    _book(path, rows=20)  # rewritten: another size and time
    xml, seeded = _scans_as_seeded(path)
    assert seeded == [None] * len(SCANS)
    assert sheetxml.fast_layout(xml) is not None  # and scanned here as before


def test_a_failing_helper_leaves_the_scans_here(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 not a workbook")
    prescan.start(path)
    assert prescan.results(path) is None
    assert prescan.results(path) is None and not prescan.running(path)


def test_segmenting_with_the_helper_writes_the_same_file(tmp_path: Path) -> None:
    base = _book(tmp_path / "kunden.xlsx")
    plain, helped = tmp_path / "ohne.xlsx", tmp_path / "mit.xlsx"
    shutil.copyfile(base, plain)
    shutil.copyfile(base, helped)
    jobs.segment_workbook(plain)
    prescan.start(helped)
    seeded = []
    seed = prescan.seed
    prescan.seed = lambda package, part: seeded.append(seed(package, part) or part)
    try:
        jobs.segment_workbook(helped)
    finally:
        prescan.seed = seed
    assert seeded == ["xl/worksheets/sheet2.xml"] and not prescan.running(helped)
    assert plain.read_bytes() == helped.read_bytes()


@pytest.mark.parametrize("col", [0, 1, 3, 4, 7, 25, 26, 27, 700, 16383])
def test_cells_right_of_a_column_are_found_from_seeded_letters(col: int) -> None:
    from xl_cseg.xlsx.cellref import a1

    cells = b"".join(b'<c r="%s"><v>1</v></c>' % a1(r, c).encode()
                     for r, c in ((0, 0), (1, 3), (2, 26), (3, 3)))
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b"<sheetData>" + cells.replace(b'<c r="D4"', b'<c r="d4"') + b"</sheetData></worksheet>")
    layout = sheetxml.fast_layout(xml)
    searched = patch_append.has_cells_from(xml, col, layout)
    assert patch_append.cell_letters.known(xml) is None
    patch_append.cell_letters.remember(xml, patch_append.cell_letters.__wrapped__(xml))
    assert patch_append.has_cells_from(xml, col, layout) == searched == (col <= 26)


def test_the_helper_runs_at_low_priority(tmp_path: Path) -> None:
    if not hasattr(os, "getpriority"):
        pytest.skip("POSIX only")
    path = _book(tmp_path / "kunden.xlsx", rows=10)
    prescan.start(path)
    helper = prescan._helpers[str(path.resolve())]
    try:
        assert os.getpriority(os.PRIO_PROCESS, helper.pid) == 19
    except ProcessLookupError:  # already done
        pass
    assert prescan.results(path) is not None


def test_a_helper_nobody_waits_for_ends_with_the_process(tmp_path: Path) -> None:
    path = _book(tmp_path / "kunden.xlsx", rows=10)
    prescan.start(path)
    helper = prescan._helpers[str(path.resolve())]
    prescan._stop_unclaimed()
    assert helper.returncode is not None and not prescan.running(path)


def test_results_of_another_form_are_not_taken(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "kunden.xlsx", rows=10)
    monkeypatch.setattr(prescan, "results", lambda _path: {"part": "xl/worksheets/sheet2.xml"})
    package = open_package(path)
    prescan.seed(package, "xl/worksheets/sheet2.xml")  # no stamp: nothing is taken, no error
    xml = package.read("xl/worksheets/sheet2.xml")
    assert [scan_.known(xml) for scan_ in SCANS] == [None] * len(SCANS)
