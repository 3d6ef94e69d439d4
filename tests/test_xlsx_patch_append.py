"""The bulk append path (new columns right of everything) agrees with the general writer."""

from __future__ import annotations

import re

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_xlsx_support import cell_map, dimension, sheet_xml

from xl_cseg.xlsx import patch_append as append_module
from xl_cseg.xlsx.cellref import a1
from xl_cseg.xlsx.patch import KEEP, ColumnBlock, patch_sheet_chunks
from xl_cseg.xlsx.patch_fast import Styles, patch_fast
from xl_cseg.xlsx.sheetxml import fast_layout


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
    chunks = patch_sheet_chunks(xml, header, default_styles=by_col, cell_styles=by_cell,
                                block=block)
    layout = fast_layout(xml)
    expected_rows = {r: [] for r in block_rows}
    for r_i, r in enumerate(block_rows):
        expected_rows[r] = [(c, v[r_i]) for c, v in sorted(columns.items()) if v[r_i] is not KEEP]
    for (r, c), v in header.items():
        items = dict(expected_rows.get(r, []))
        items[c] = v
        expected_rows[r] = sorted(items.items())
    general = patch_fast(xml, layout, expected_rows, Styles(by_col, by_cell))
    out, ref = b"".join(chunks), b"".join(general)
    assert cell_map(out) == cell_map(ref)
    assert dimension(out) == dimension(ref)
    assert [int(n) for n in re.findall(rb'<row r="(\d+)"', out)] == \
        [int(n) for n in re.findall(rb'<row r="(\d+)"', ref)]


def test_append_path_is_taken_for_new_columns_and_widens_spans() -> None:
    xml = _sheet({0: 3, 1: 3, 2: 2}, True, set())
    block = ColumnBlock([1, 2], {3: ["C-Win", None], 4: [0.25, 1.0]})
    out = append_module.patch_append(xml, fast_layout(xml), {0: [(3, "Segment"), (4, "x")]},
                                     block.rows, block.columns, Styles({4: 9}, {}))
    assert out is not None
    text = b"".join(out)
    assert b'<row r="2" spans="1:5"><c r="A2" s="1"><v>10</v></c><c r="B2" s="1"><v>11</v></c>' \
           b'<c r="C2" s="1"><v>12</v></c><c r="D2" t="inlineStr"><is><t xml:space="preserve">' \
           b'C-Win</t></is></c><c r="E2" s="9"><v>0.25</v></c></row>' in text
    assert b'<c r="E3" s="9"><v>1</v></c></row>' in text
    assert b'<c r="D3"' not in text
    assert dimension(text) == "A1:E9"


def test_cells_right_of_the_outputs_in_an_edited_row_go_to_the_general_writer() -> None:
    xml = _sheet({0: 3, 1: 3}, False, set()).replace(b"</row>", b'<c r="AB1"/></row>', 2)
    layout = fast_layout(xml)
    assert append_module.patch_append(xml, layout, {}, [1], {3: [1.0]}, Styles({}, {})) is None
    lower = _sheet({0: 3, 1: 3}, False, set()).replace(b"</row>", b'<c r="ab1"/></row>', 2)
    assert append_module.patch_append(lower, fast_layout(lower), {}, [1], {3: [1.0]},
                                      Styles({}, {})) is None
    # in a row that is not written, such a cell is simply left alone
    other = _sheet({0: 3, 1: 3}, False, set()).replace(b"</row>", b'<c r="AB1"/></row>', 1)
    out = append_module.patch_append(other, fast_layout(other), {}, [1], {3: [1.0]},
                                     Styles({}, {}))
    assert b'<c r="AB1"/>' in b"".join(out) and b'<c r="D2"><v>1</v></c>' in b"".join(out)


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
    chunks = patch_sheet_chunks(xml, {}, default_styles=by_col, block=ColumnBlock(block_rows,
                                                                               columns))
    expected = {r: [(c, v[i]) for c, v in sorted(columns.items())]
                for i, r in enumerate(block_rows)}
    general = patch_fast(xml, fast_layout(xml), expected, Styles(by_col, {}))
    out, ref = b"".join(chunks), b"".join(general)
    assert cell_map(out) == cell_map(ref)
    assert dimension(out) == dimension(ref)


def test_rerun_path_is_taken_and_keeps_styles() -> None:
    row = ('<row r="2" spans="1:5"><c r="A2"><v>1</v></c><c r="D2" s="7" t="inlineStr"><is><t>'
           'alt</t></is></c><c r="E2" s="9"><v>0.5</v></c></row>')
    xml = sheet_xml(row, dimension="A1:E2")
    out = append_module.patch_append(xml, fast_layout(xml), {}, [1],
                                     {3: ["B-Grow"], 4: [None]}, Styles({}, {}))
    assert out is not None
    assert b'<c r="A2"><v>1</v></c><c r="D2" s="7" t="inlineStr"><is><t xml:space="preserve">' \
           b'B-Grow</t></is></c><c r="E2" s="9"/></row>' in b"".join(out)


def test_cells_from_matches_exactly_the_columns_at_or_right() -> None:
    for col in (0, 3, 25, 26, 27, 51, 700, 701, 702, 16383):
        pattern = append_module._cells_from(col)
        for other in (0, 1, 24, 25, 26, 27, 50, 51, 52, 700, 701, 702, 703, 16383):
            found = bool(pattern.match(f'<c r="{a1(0, other)}"'.encode()))
            assert found == (other >= col), (col, other)


def test_cells_from_ignores_letter_case() -> None:
    pattern = append_module._cells_from(7)  # H
    assert pattern.match(b'<c r="h5"') and pattern.match(b'<c r="aa5"')
    assert not pattern.match(b'<c r="g5"')


def test_column_tails_render_like_the_general_writer() -> None:
    from xl_cseg.xlsx.cellvalue import render_value

    mixed = [0.25, "neu", None, 3.0, KEEP, -0.0, 1e16, 2.0**53, "neu", 1e-7]
    assert append_module.column_tails(mixed) == [
        None if v is None or v is KEEP else render_value(v) for v in mixed]
    few = [4.0, 12.0] * 50
    assert append_module.column_tails(few) == [render_value(v) for v in few]


def test_non_finite_numbers_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="non-finite"):
        append_module.column_tails([1.0, float("inf")] + [float(i) + 0.5 for i in range(10)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False),
                          st.integers(-10, 10).map(float)), min_size=1, max_size=30))
def test_float_tails_match_render_value(values) -> None:
    from xl_cseg.xlsx.cellvalue import render_value

    assert append_module.column_tails(values) == [render_value(v) for v in values]


_TEXTS = st.lists(st.sampled_from(
    ["a", "Ä", " ", "&", "<", ">", '"', "\r", "\n", "\x00", "\x1f", "_x0041_", "_x", "\ue000",
     "\ud800", "\uffff", "€", "🙂", ","]), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXTS), min_size=1, max_size=20),
       st.lists(st.one_of(st.none(), _TEXTS, st.floats(allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=20))
def test_text_and_mixed_tails_match_render_value(texts, mixed) -> None:
    from xl_cseg.xlsx.cellvalue import render_value

    for values in (texts, mixed, mixed + [KEEP]):
        expected = [None if v is KEEP else render_value(v) for v in values]
        assert append_module.column_tails(values) == expected


def test_text_tails_refuse_an_over_long_text_like_a_single_cell() -> None:
    from xl_cseg.xlsx.cellvalue import MAX_TEXT, text_tails

    with pytest.raises(ValueError, match="longer than"):
        text_tails(["kurz", "x" * (MAX_TEXT + 1)])
    assert len(text_tails(["kurz", "x" * MAX_TEXT])[1]) > MAX_TEXT


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
    found = append_module.rows_with_content(_rows_sheet(rows))
    assert (found if found is None else found.tolist()) == expected
