"""A column block (new columns right of everything, or columns written before) is written as the
same cells written one by one would be; the renderer of a column renders like single values."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_support import cell_map, dimension, sheet_xml

from xl_cseg.xlsx.cellref import a1
from xl_cseg.xlsx.cellvalue import KEEP, NumberColumn, column_tails, render_value
from xl_cseg.xlsx.scan import SheetScan
from xl_cseg.xlsx.sheetwriter import ColumnBlock, write_sheet


def _write(xml: bytes, cells: dict, **options) -> bytes:
    return b"".join(write_sheet(SheetScan(xml), cells, **options))


def _one_by_one(xml: bytes, rows: dict[int, list], **options) -> bytes:
    """The same edits as single cells (no block: written cell by cell)."""
    return _write(xml, {(r, c): v for r, items in rows.items() for c, v in items}, **options)


def _sheet(rows: dict[int, int], spans: bool, blank: set[int]) -> bytes:
    """Rows (0-based row -> number of filled columns from A), some self-closing."""
    parts = []
    for r in sorted(rows):
        span = f' spans="1:{max(rows[r], 1)}"' if spans else ""
        if r in blank:
            parts.append(f'<row r="{r + 1}"{span} ht="20" customHeight="1"/>')
            continue
        cells = "".join(f'<c r="{a1(r, c)}" s="1"><v>{r * 10 + c}</v></c>' for c in range(rows[r]))
        parts.append(f'<row r="{r + 1}"{span}>{cells}</row>')
    return sheet_xml("".join(parts), dimension="A1:C9")


written_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                           st.floats(allow_nan=False, allow_infinity=False),
                           st.sampled_from(["A-Win", "C-Maintain", "=HYPERLINK(\"x\")", "a<b&c"]))
cell_values = st.one_of(st.just(KEEP), written_values)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.dictionaries(st.integers(0, 8), st.integers(0, 3), min_size=1, max_size=9),
    spans=st.booleans(),
    blank=st.sets(st.integers(0, 8), max_size=2),
    first=st.integers(3, 30),
    width=st.integers(1, 4),
    block_rows=st.lists(st.integers(0, 9), min_size=1, max_size=9, unique=True),
    data=st.data(),
)
def test_append_path_agrees_with_general_writer(rows, spans, blank, first, width, block_rows,
                                                data) -> None:
    xml = _sheet(rows, spans, blank)
    block_rows = sorted(block_rows)
    columns = {first + i: data.draw(st.lists(cell_values, min_size=len(block_rows),
                                             max_size=len(block_rows))) for i in range(width)}
    header = {(min(rows), c): f"H{c}" for c in columns} if data.draw(st.booleans()) else {}
    by_cell = {(min(rows), first): 7} if data.draw(st.booleans()) else {}
    by_col = {first: 3}
    block = ColumnBlock(block_rows, columns)
    out = _write(xml, header, default_styles=by_col, cell_styles=by_cell, block=block)
    expected_rows = {r: [] for r in block_rows}
    for r_i, r in enumerate(block_rows):
        expected_rows[r] = [(c, v[r_i]) for c, v in sorted(columns.items()) if v[r_i] is not KEEP]
    for (r, c), v in header.items():
        items = dict(expected_rows.get(r, []))
        items[c] = v
        expected_rows[r] = sorted(items.items())
    ref = _one_by_one(xml, expected_rows, default_styles=by_col, cell_styles=by_cell)
    assert cell_map(out) == cell_map(ref)
    assert dimension(out) == dimension(ref)
    assert [int(n) for n in re.findall(rb'<row r="(\d+)"', out)] == \
        [int(n) for n in re.findall(rb'<row r="(\d+)"', ref)]


def test_new_columns_are_appended_and_widen_spans() -> None:
    xml = _sheet({0: 3, 1: 3, 2: 2}, True, set())
    block = ColumnBlock([1, 2], {3: ["C-Win", None], 4: [0.25, 1.0]})
    text = _write(xml, {(0, 3): "Segment", (0, 4): "x"}, default_styles={4: 9}, block=block)
    assert b'<row r="2" spans="1:5"><c r="A2" s="1"><v>10</v></c><c r="B2" s="1"><v>11</v></c>' \
           b'<c r="C2" s="1"><v>12</v></c><c r="D2" t="inlineStr"><is><t>' \
           b'C-Win</t></is></c><c r="E2" s="9"><v>0.25</v></c></row>' in text
    assert b'<c r="E3" s="9"><v>1</v></c></row>' in text
    assert b'<c r="D3"' not in text
    assert dimension(text) == "A1:E9"


@pytest.mark.parametrize("letters", ["AB", "ab"])
def test_cells_of_the_users_right_of_the_block_stay_where_they_are(letters: str) -> None:
    for count in (1, 2):  # in a row that is written, and in one that is not
        xml = _sheet({0: 3, 1: 3}, False, set()).replace(
            b"</row>", b'<c r="%s%d"/></row>' % (letters.encode(), count), count)
        out = _write(xml, {}, block=ColumnBlock([1], {3: [1.0]}))
        assert out.count(b'<c r="%s' % letters.encode()) == count
        assert re.search(rb'<c r="D2"><v>1</v></c>(<c r="%s2"/>)?</row>' % letters.encode(), out)
        assert out == _one_by_one(xml, {1: [(3, 1.0)]})


existing_cells = st.dictionaries(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 9)),
                                 max_size=4)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.dictionaries(st.integers(0, 8), st.tuples(st.integers(0, 3), existing_cells),
                         min_size=1, max_size=9),
    first=st.integers(3, 28),
    block_rows=st.lists(st.integers(0, 9), min_size=1, max_size=9, unique=True),
    data=st.data(),
)
def test_rerun_path_agrees_with_general_writer(rows, first, block_rows, data) -> None:
    """Output columns written before (some cells styled, some emptied): the rewrite keeps
    styles and agrees with the cell-by-cell writer."""
    parts = []
    for r in sorted(rows):
        width, outputs = rows[r]
        cells = "".join(f'<c r="{a1(r, c)}" s="1"><v>{c}</v></c>' for c in range(width))
        for offset in sorted(outputs):
            style = "" if outputs[offset] is None else f' s="{outputs[offset]}"'
            cells += f'<c r="{a1(r, first + offset)}"{style} t="inlineStr"><is><t>alt</t></is></c>'
        parts.append(f'<row r="{r + 1}" spans="1:3">{cells}</row>')
    xml = sheet_xml("".join(parts), dimension="A1:C9")
    block_rows = sorted(block_rows)
    columns = {first + i: data.draw(st.lists(written_values,
                                             min_size=len(block_rows), max_size=len(block_rows)))
               for i in range(4)}
    by_col = {first + 1: 3}
    out = _write(xml, {}, default_styles=by_col, block=ColumnBlock(block_rows, columns))
    expected = {r: [(c, v[i]) for c, v in sorted(columns.items())]
                for i, r in enumerate(block_rows)}
    ref = _one_by_one(xml, expected, default_styles=by_col)
    assert cell_map(out) == cell_map(ref)
    assert dimension(out) == dimension(ref)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 3), min_size=1, max_size=9),
    data=st.data(),
)
def test_second_run_leaves_unchanged_rows_and_rewrites_the_others(widths, data) -> None:
    """A block written once, then again with some rows' values changed and some of the cells
    restyled by hand: the rows whose cells come out the same stay byte for byte, and all agree
    with the cell-by-cell writer."""
    rows = dict(enumerate(widths))
    xml = _sheet(rows, False, set())
    block_rows = sorted(rows)
    first = max(widths)
    before = {first + i: data.draw(st.lists(written_values, min_size=len(rows),
                                            max_size=len(rows))) for i in range(3)}
    by_col = {first + 1: 3}
    once = _write(xml, {}, default_styles=by_col, block=ColumnBlock(block_rows, before))
    for r, style in data.draw(st.dictionaries(st.sampled_from(block_rows), st.integers(4, 6),
                                              max_size=2)).items():
        once = once.replace(b'<c r="%s" s="3"' % a1(r, first + 1).encode(),
                            b'<c r="%s" s="%d"' % (a1(r, first + 1).encode(), style))
    changed = data.draw(st.sets(st.sampled_from(block_rows)))
    after = {c: [data.draw(written_values) if r in changed else v for r, v in zip(block_rows, vs)]
             for c, vs in before.items()}
    twice = _write(once, {}, default_styles=by_col, block=ColumnBlock(block_rows, after))
    expected = {r: [(c, v[i]) for c, v in sorted(after.items())] for i, r in enumerate(block_rows)}
    ref = _one_by_one(once, expected, default_styles=by_col)
    assert cell_map(twice) == cell_map(ref)
    assert dimension(twice) == dimension(ref)
    if after == before:
        assert twice == once


@pytest.mark.parametrize("cell", [
    '<c r="D2" s="7" t="inlineStr"><is><t>alt</t></is></c>',
    '<c r="D2" s="7" t="s"><v>3</v></c>',
    '<c r="d2" s="7" t="inlineStr"><is><t>alt</t></is></c>',  # other letter case
    '<c r="D2" s="7" cm="1" t="inlineStr"><is><t>alt</t></is></c>',  # other attributes
    '<c r="D2" s="7" t="inlineStr"><is><r><t>a</t></r><r><t>lt</t></r></is></c>',  # rich text
    '<c r="D2" s="7" t="inlineStr"><is><t>"alt"</t></is></c>',  # quotes in the text
])
def test_columns_written_before_are_rewritten_keeping_styles(cell: str) -> None:
    row = f'<row r="2" spans="1:5"><c r="A2"><v>1</v></c>{cell}<c r="E2" s="9"><v>0.5</v></c></row>'
    xml = sheet_xml(row, dimension="A1:E2")
    out = _write(xml, {}, block=ColumnBlock([1], {3: ["B-Grow"], 4: [None]}))
    assert b'<c r="A2"><v>1</v></c><c r="D2" s="7" t="inlineStr"><is><t>' \
           b'B-Grow</t></is></c><c r="E2" s="9"/></row>' in out


@pytest.mark.parametrize("col", [0, 3, 25, 26, 27, 51, 700, 701, 702, 16383])
def test_a_block_left_of_a_users_cell_is_written_cell_by_cell(col: int) -> None:
    """Whether a cell lies at or right of the block's first column decides how it is written;
    either way the users cells stay."""
    for other in (0, 1, 24, 25, 26, 27, 50, 51, 52, 700, 701, 702, 703, 16383):
        cells = f'<c r="{a1(1, other)}"><v>5</v></c>' if other != col else ""
        xml = sheet_xml(f'<row r="2">{cells}</row>', dimension="A1:A2")
        out = _write(xml, {}, block=ColumnBlock([1], {col: ["x"]}))
        assert out == _one_by_one(xml, {1: [(col, "x")]})
        if cells:
            assert cells.encode() in out


def test_column_tails_render_like_the_general_writer() -> None:
    mixed = [0.25, "neu", None, 3.0, KEEP, -0.0, 1e16, 2.0**53, "neu", 1e-7]
    assert column_tails(mixed) == [
        None if v is None or v is KEEP else render_value(v) for v in mixed]
    few = [4.0, 12.0] * 50
    assert column_tails(few) == [render_value(v) for v in few]


def test_non_finite_numbers_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="non-finite"):
        column_tails([1.0, float("inf")] + [float(i) + 0.5 for i in range(10)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False),
                          st.integers(-10, 10).map(float)), min_size=1, max_size=30))
def test_float_tails_match_render_value(values) -> None:
    assert column_tails(values) == [render_value(v) for v in values]
    # the same numbers held as one array (NaN: no value)
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    column = NumberColumn(array)
    assert column_tails(column) == [render_value(v) for v in values]
    assert list(column) == [None if v is None else v + 0.0 for v in values] == \
        [column[i] for i in range(len(values))]
    assert column_tails(column.take([len(values) - 1, 0])) == \
        [render_value(values[-1]), render_value(values[0])]


_TEXTS = st.lists(st.sampled_from(
    ["a", "Ä", " ", "&", "<", ">", '"', "\r", "\n", "\x00", "\x1f", "_x0041_", "_x", "\ue000",
     "\ud800", "\uffff", "€", "🙂", ","]), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXTS), min_size=1, max_size=20),
       st.lists(st.one_of(st.none(), _TEXTS, st.floats(allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=20))
def test_text_and_mixed_tails_match_render_value(texts, mixed) -> None:
    for values in (texts, mixed, mixed + [KEEP]):
        expected = [None if v is KEEP else render_value(v) for v in values]
        assert column_tails(values) == expected


def test_text_cells_refuse_an_over_long_text_like_a_single_cell() -> None:
    from xl_cseg.xlsx.cellvalue import MAX_TEXT, text_cells

    with pytest.raises(ValueError, match="longer than"):
        text_cells(["kurz", "x" * (MAX_TEXT + 1)])
    assert len(text_cells(["kurz", "x" * MAX_TEXT])[1]) > MAX_TEXT
    # cleaning comes first: a text within the limit after it is written
    assert text_cells(["\x01" + "x" * MAX_TEXT]) == [render_value("x" * MAX_TEXT)]


def _rows_sheet(rows: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
            b'http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + rows +
            b"</sheetData></worksheet>")


@pytest.mark.parametrize(("rows", "expected"), [
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="3" spans="1:2"></row>', [1, 3]),
    (b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2"/><row r="4" ht="9"/>'
     b'<row r="7"><c r="A7"><v>1</v></c></row>', [1, 7]),
    (b'<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>', None),
    (b"", []),
])
def test_rows_with_content(rows: bytes, expected: list[int] | None):
    found = SheetScan(_rows_sheet(rows)).rows_with_content
    assert (found if found is None else found.tolist()) == expected


def test_rows_alike_but_for_the_styles_of_their_cells_keep_their_own_styles() -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="D{r}" s="{s}"><v>0.{r}</v></c>'
                   f'<c r="E{r}" s="1{s}"/></row>' for r, s in ((2, 3), (3, 4), (4, 3), (5, 13)))
    xml = sheet_xml(rows, dimension="A1:E5")
    out = _write(xml, {}, block=ColumnBlock([1, 2, 3, 4], {3: [0.5] * 4, 4: [None] * 4}))
    for r, s in ((2, 3), (3, 4), (4, 3), (5, 13)):
        assert f'<c r="D{r}" s="{s}"><v>0.5</v></c><c r="E{r}" s="1{s}"/></row>'.encode() in out
    assert out == _one_by_one(xml, {r: [(3, 0.5), (4, None)] for r in (1, 2, 3, 4)})
