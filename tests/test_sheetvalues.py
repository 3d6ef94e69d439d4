"""One entry reads a sheet's values (io.sheetvalues): whichever reader it takes (fastexcel for
big sheets, the first rows from the XML, python-calamine when in doubt), the grid equals
python-calamine's, whatever the sheet holds."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import python_calamine as pc
import pytest
import xlsxwriter
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xl_cseg.io import sheetvalues
from xl_cseg.io.sheetvalues import ColumnGrid, WorkbookValues, column_values, grid_width
from xl_cseg.io.source import FileSource
from xl_cseg.xlsx.errors import WorkbookError
from xl_cseg.xlsx.safezip import open_package

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "excel-made"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} missing")

cells = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(-10**6, 10**6),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
    st.sampled_from([" ", "", "_x000D_", "Summe", True, False, "#ERR", "=F", "DATE"]),
)


def _book(path: Path, top: int, left: int, kinds: list[str], rows: list[list], extra: dict,
          headers: list[str] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    date = wb.add_format({"num_format": "dd.mm.yyyy"})
    if top:
        ws.write_string(0, left, "Kundenliste Gebiet Nord")
    ws.write_row(top, left, headers or [f"Spalte {k}" for k in range(len(kinds))])
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values, start=left):
            if value is None:
                continue
            if value == "#ERR":
                ws.write_formula(r, c, "=NA()", None, "#N/A")
            elif value == "=F":
                ws.write_formula(r, c, "=1+1", None, 2)
            elif value == "DATE":
                ws.write_datetime(r, c, dt.datetime(2026, 3, 1), date)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    for (r, c), value in extra.items():
        ws.write(r, c, value)
    wb.close()
    return path


def calamine(path: Path, sheet: str) -> list[list]:
    """python-calamine's grid of the sheet, read directly (the reference)."""
    with pc.CalamineWorkbook.from_path(str(path)) as book:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def _same_as_calamine(path: Path) -> bool:
    package = open_package(path)
    sheet = package.sheets()[0]
    grid = WorkbookValues(package).read_grid(sheet)
    reference = calamine(path, sheet.name)
    assert list(grid) == reference
    assert len(grid) == len(reference)
    if reference:
        last = len(reference) - 1
        for col in range(len(reference[0]) + 2):
            assert column_values(grid, col, 0, last) == column_values(reference, col, 0, last)
            assert column_values(grid, col, 3, last - 1) == \
                column_values(reference, col, 3, last - 1)
        assert grid_width(grid, 0, last) == grid_width(reference, 0, last)
    return isinstance(grid, ColumnGrid)


@pytest.fixture(autouse=True)
def _always_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheetvalues, "MIN_SHEET_BYTES", 0)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    top=st.integers(0, 14),
    left=st.integers(0, 3),
    width=st.integers(1, 4),
    height=st.integers(0, 40),
    data=st.data(),
)
def test_grid_equals_calamine(tmp_path_factory, top, left, width, height, data) -> None:
    column_kind = st.sampled_from(["number", "text", "any"])
    kinds = [data.draw(column_kind) for _ in range(width)]
    rows = []
    for _ in range(height):
        row = []
        for kind in kinds:
            if kind == "number":
                row.append(data.draw(st.one_of(st.none(), st.floats(-1e9, 1e9))))
            elif kind == "text":
                row.append(data.draw(st.one_of(st.none(), st.text(max_size=5))))
            else:
                row.append(data.draw(cells))
        rows.append(row)
    extra = data.draw(st.dictionaries(st.tuples(st.integers(0, 60), st.integers(0, 7)),
                                      st.sampled_from(["Notiz", 1.5, "x"]), max_size=2))
    headers = [data.draw(st.sampled_from([f"Spalte {k}", "Umsatzentwicklung", "Segment"]))
               for k in range(width)]  # output columns of an earlier run are read on demand
    path = tmp_path_factory.mktemp("fg") / "kunden.xlsx"
    fast = _same_as_calamine(_book(path, top, left, kinds, rows, extra, headers))
    event("fast" if fast else "calamine")


def test_skipped_output_column_does_not_retype_its_neighbour(tmp_path: Path) -> None:
    """fastexcel's integer dtype keys count from column A: with the table starting in column B,
    the key meant for the skipped output column typed the column left of it as text (found by
    the property test above: a number read as "0")."""
    rows = [[None, None, None] for _ in range(26)]
    rows[6][0] = 0.0
    rows[25][1] = 0.0
    path = _book(tmp_path / "k.xlsx", 4, 1, ["number"] * 3, rows, {},
                 ["Spalte 0", "Spalte 1", "Umsatzentwicklung"])
    assert _same_as_calamine(path)


@pytest.mark.parametrize("moved", ["last row first", "middle row last", "two rows swapped"])
def test_rows_out_of_order_read_like_calamine(tmp_path: Path, moved: str) -> None:
    """Row elements out of order (invalid, but readers place cells by their reference): the
    grid still equals calamine's; fastexcel's columns are taken only while the last element is
    the last row."""
    rows = [[1000 + r, f"Kunde {r}", r * 12.5] for r in range(40)]
    path = _book(tmp_path / "k.xlsx", 2, 0, ["number", "text", "number"], rows, {})
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"]
    elements = re.findall(rb"<row .*?</row>", xml)
    order = list(range(len(elements)))
    if moved == "last row first":
        order = order[-1:] + order[:-1]
    elif moved == "middle row last":
        order.append(order.pop(len(order) // 2))
    else:
        order[20], order[30] = order[30], order[20]
    start, end = xml.index(elements[0]), xml.index(elements[-1]) + len(elements[-1])
    parts["xl/worksheets/sheet1.xml"] = \
        xml[:start] + b"".join(elements[i] for i in order) + xml[end:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert _same_as_calamine(path) == (moved == "two rows swapped")


def test_clean_big_table_takes_the_fast_path(tmp_path: Path) -> None:
    rows = [[1000 + r, f"Kunde {r}", None if r % 7 == 0 else r * 12.5, "#ERR" if r == 20 else 3.0]
            for r in range(60)]
    path = _book(tmp_path / "k.xlsx", 2, 1, ["number", "text", "number", "any"], rows, {})
    assert _same_as_calamine(path)


@pytest.mark.parametrize("spoiler", ["DATE", "text among numbers", "header below the probe"])
def test_doubtful_sheets_fall_back_to_calamine(tmp_path: Path, spoiler: str) -> None:
    rows = [[1000 + r, float(r)] for r in range(60)]
    top = 1
    if spoiler == "DATE":
        rows[40][1] = "DATE"
    elif spoiler == "text among numbers":
        rows[40][1] = "vierzehn"
    else:
        top = sheetvalues.PROBE_ROWS + 3
    path = _book(tmp_path / "k.xlsx", top, 0, ["number", "number"], rows, {})
    assert not _same_as_calamine(path)


@needs_corpus
def test_excel_made_sheets_read_alike() -> None:
    fast = 0
    for path in sorted(CORPUS.glob("*.xls[xm]")):
        try:
            values = WorkbookValues(open_package(path))
            sheets = values.package.sheets()
        except Exception:  # noqa: BLE001 - unreadable corpus files are the reader's tests
            continue
        for sheet in sheets:
            try:
                grid = values.read_grid(sheet)
            except WorkbookError:  # refused with a message: the reader's own tests
                continue
            try:
                reference = calamine(path, sheet.name)
            except pc.WorksheetNotFound:
                reference = []
            assert list(grid) == reference, (path.name, sheet.name)
            fast += isinstance(grid, ColumnGrid)
    assert fast >= 3


@pytest.mark.parametrize("probe_bytes", [700, 1500, 4000])
def test_probe_reads_only_the_start_of_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 probe_bytes: int) -> None:
    monkeypatch.setattr(sheetvalues, "PROBE_BYTES", probe_bytes)
    rows = [[1000 + r, f"Kunde {r} mit einem etwas längeren Namen", r * 2.5] for r in range(80)]
    path = _book(tmp_path / "k.xlsx", 3, 0, ["number", "text", "number"], rows, {})
    assert _same_as_calamine(path)


def test_read_head_is_a_prefix_of_the_part(tmp_path: Path) -> None:
    rows = [[r, f"Kunde {r}", r * 1.5] for r in range(3000)]
    path = _book(tmp_path / "k.xlsx", 0, 0, ["number", "text", "number"], rows, {})
    package = FileSource(path).package
    part = "xl/worksheets/sheet1.xml"
    whole = package.read(part)
    fresh = FileSource(path).package
    for size in (1, 100, 5000, len(whole) + 10):
        head = fresh.read_head(part, size)
        assert whole.startswith(head) and len(head) <= size
        assert size < 5000 or head == whole[:size]  # XML inflates to more than it stores


def _customers(path: Path, rows: int = 80) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorvorjahr", "Umsatz Vorjahr", "Potenzial"])
    for r in range(1, rows + 1):
        previous = 0 if r % 9 == 0 else r * 900.0  # some new customers: trend "neu"
        ws.write_row(r, 0, [10_000 + r, f"Kunde {r} GmbH", previous, r * 1000.0, r * 2500.0])
    wb.close()
    return path


def test_rerun_reads_without_the_output_columns(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Second run: the output columns (a trend is a number or "neu") are left out of the fast
    read, nothing of the job asks for them, and the result is the same as with calamine."""
    from xl_cseg import jobs

    path = _customers(tmp_path / "k.xlsx")
    jobs.segment_workbook(path)
    reference = calamine(path, "Kunden")
    source = FileSource(path)
    grid = source.grid(source.worksheets()[0])
    assert isinstance(grid, ColumnGrid)
    for col in range(len(reference[0])):  # the output columns read on demand
        assert column_values(grid, col, 0, len(reference) - 1) == \
            column_values(reference, col, 0, len(reference) - 1)

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the job read the whole sheet with python-calamine")

    monkeypatch.setattr(pc.CalamineWorkbook, "from_path", refuse)
    again = tmp_path / "again.xlsx"
    jobs.segment_workbook(path, again)
    monkeypatch.undo()
    assert calamine(again, "Kunden") == reference


def test_a_refused_fast_read_falls_back_to_calamine(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """fastexcel failing in any way (an error, a Rust panic) is no error: calamine reads."""
    path = _customers(tmp_path / "k.xlsx")

    class Panic(BaseException):
        pass

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise Panic("fastexcel refused")

    monkeypatch.setattr(sheetvalues.fastexcel, "read_excel", refuse)
    package = open_package(path)
    grid = WorkbookValues(package).read_grid(package.sheets()[0])
    assert not isinstance(grid, ColumnGrid) and grid == calamine(path, "Kunden")


def _rewritten_sheet(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """The workbook with its first sheet's XML passed through ``change``."""
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members["xl/worksheets/sheet1.xml"] = change(members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _read_by_fastexcel(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """The grid of the first sheet and what fastexcel was given to read (a path or bytes)."""
    given: list = []
    real = sheetvalues.fastexcel.read_excel

    def spy(source):  # type: ignore[no-untyped-def]
        given.append(source)
        return real(source)

    monkeypatch.setattr(sheetvalues.fastexcel, "read_excel", spy)
    package = open_package(path)
    grid = WorkbookValues(package).read_grid(package.sheets()[0])
    monkeypatch.undo()
    return grid, given


def test_rerun_gives_fastexcel_the_sheet_without_the_output_columns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun: fastexcel reads a copy of the sheet without this tool's cells (it would parse
    them only to leave them out); every column reads as python-calamine reads the file."""
    from xl_cseg import jobs

    path = _customers(tmp_path / "k.xlsx")
    jobs.segment_workbook(path)
    grid, given = _read_by_fastexcel(path, monkeypatch)
    assert isinstance(grid, ColumnGrid) and [type(g) for g in given] == [bytes]
    with zipfile.ZipFile(__import__("io").BytesIO(given[0])) as copy:
        sheet = copy.read("xl/worksheets/sheet1.xml")
    assert b'<c r="F2"' not in sheet and b'<c r="E2"' in sheet
    reference = calamine(path, "Kunden")
    for col in range(len(reference[0]) + 1):
        assert column_values(grid, col, 0, len(reference) - 1) == \
            column_values(reference, col, 0, len(reference) - 1)


@pytest.mark.parametrize("change", [
    # a cell of the rep's after ours in a row (cells out of order)
    lambda xml: re.sub(rb'(<c r="B40"[^>]*>.*?</c>)(.*?)</row>', rb"\2\1</row>", xml, count=1),
    # a cell of the rep's right of our columns
    lambda xml: re.sub(rb'(<row r="9"[^>]*>.*?)</row>', rb'\1<c r="Z9"><v>7</v></c></row>', xml,
                       count=1),
], ids=["out-of-order", "own-column-right"])
def test_rerun_reads_every_cell_whatever_the_order(tmp_path: Path, change,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from xl_cseg import jobs

    path = _customers(tmp_path / "k.xlsx")
    jobs.segment_workbook(path)
    _rewritten_sheet(path, change)
    grid, _given = _read_by_fastexcel(path, monkeypatch)
    reference = calamine(path, "Kunden")
    assert len(grid) == len(reference)
    for col in range(len(reference[0]) + 1):
        assert column_values(grid, col, 0, len(reference) - 1) == \
            column_values(reference, col, 0, len(reference) - 1)

def test_a_column_of_few_texts_holds_each_text_once(tmp_path: Path) -> None:
    """A region column of a big list: the same values as python-calamine reads, each distinct
    text one object (not one per cell); names stay as they are."""
    rows = [[1000 + r, f"Kunde {r}", ("Nord", "Süd", "West")[r % 3]] for r in range(3000)]
    path = _book(tmp_path / "k.xlsx", 0, 0, ["number", "text", "text"], rows, {})
    assert _same_as_calamine(path)
    source = FileSource(path)
    grid = source.grid(source.worksheets()[0])
    assert isinstance(grid, ColumnGrid)
    fetched = sheetvalues.PROBE_ROWS  # the rows below those read from the XML first
    regions = column_values(grid, 2, fetched, len(rows))
    names = column_values(grid, 1, fetched, len(rows))
    assert len({id(v) for v in regions}) == 3 and len(set(names)) == len(names)
