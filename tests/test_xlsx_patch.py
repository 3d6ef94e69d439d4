"""write_sheet / patch_table: minimal byte-level edits, with the lxml path for odd sheets."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from xlsx_support import MAIN_NS, cell_map, dimension, sheet_xml

from xl_cseg.xlsx.cellref import a1
from xl_cseg.xlsx.cellvalue import format_number
from xl_cseg.xlsx.errors import SharedFormulaConflict, UnsafeXml
from xl_cseg.xlsx.scan import SheetScan
from xl_cseg.xlsx.sheetwriter import write_sheet
from xl_cseg.xlsx.tablepart import patch_table


def _patch(xml: bytes, cells: dict, **options) -> bytes:
    return b"".join(write_sheet(SheetScan(xml), cells, **options))


def _layout(xml: bytes):
    return SheetScan(xml).layout


ROWS = (
    '<row r="1" spans="1:3"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="1" t="s"><v>1</v></c>'
    '<c r="C1" s="2"/></row>'
    '<row r="2" spans="1:3"><c r="A2" t="inlineStr"><is><t>x</t></is></c>'
    '<c r="C2" s="3"><v>5</v></c></row>'
    '<row r="4" spans="1:3" ht="20" customHeight="1"><c r="A4"><f>SUM(C1:C2)</f><v>5</v></c>'
    '<c r="B4" t="e"><v>#N/A</v></c></row>'
    '<row r="5" spans="1:3" hidden="1"/>'
    '<row r="6" spans="2:3"><c r="B6" s="4"><f t="shared" ref="B6:B7" si="0">A6*2</f><v>0</v>'
    "</c></row>"
    '<row r="7" spans="2:3"><c r="B7" s="4"><f t="shared" si="0"/><v>0</v></c></row>'
)
BASE = sheet_xml(ROWS, dimension="A1:C7")


def test_nothing_to_do_returns_input() -> None:
    assert _patch(BASE, {}) is BASE
    assert _layout(BASE) is not None


def test_overwrite_changes_only_that_cell() -> None:
    out = _patch(BASE, {(1, 2): 7.5})
    assert out == BASE.replace(b'<c r="C2" s="3"><v>5</v></c>', b'<c r="C2" s="3"><v>7.5</v></c>')


def test_overwrite_string_cell_with_number_drops_type() -> None:
    out = _patch(BASE, {(1, 0): 3})
    old = b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>'
    assert out == BASE.replace(old, b'<c r="A2"><v>3</v></c>')


def test_self_closing_cell_gets_value_and_keeps_style() -> None:
    out = _patch(BASE, {(0, 2): '=HYPERLINK("x")'})
    new = (
        b'<c r="C1" s="2" t="inlineStr">'
        b'<is><t>=HYPERLINK(&quot;x&quot;)</t></is></c>'
    )
    assert out == BASE.replace(b'<c r="C1" s="2"/>', new)
    assert cell_map(out)[0, 2] == ("2", "inlineStr", '=HYPERLINK("x")')


def test_insert_cell_between_existing_cells() -> None:
    out = _patch(BASE, {(1, 1): "neu"})
    expected = BASE.replace(
        b'</is></c><c r="C2"',
        b'</is></c><c r="B2" t="inlineStr"><is><t>neu</t></is></c><c r="C2"',
    )
    assert out == expected


def test_append_widens_spans_and_dimension() -> None:
    out = _patch(BASE, {(1, 4): 1.0, (1, 3): True}, default_styles={3: 9})
    assert b'<row r="2" spans="1:5">' in out
    new = b'<c r="D2" s="9" t="b"><v>1</v></c><c r="E2"><v>1</v></c></row>'
    assert b'<c r="C2" s="3"><v>5</v></c>' + new in out
    assert dimension(out) == "A1:E7"
    rest = out.replace(b'spans="1:5"', b'spans="1:3"').replace(b'ref="A1:E7"', b'ref="A1:C7"')
    assert re.sub(rb'<c r="[DE]2".*?</c>', b"", rest) == BASE


def test_missing_rows_are_inserted_in_order() -> None:
    out = _patch(BASE, {(2, 0): "drei", (9, 1): 10, (9, 0): None, (11, 0): None})
    assert re.findall(rb'<row r="(\d+)"', out) == [b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"10"]
    assert b'<row r="3"><c r="A3" t="inlineStr">' in out
    assert b'<row r="10"><c r="B10"><v>10</v></c></row></sheetData>' in out
    assert dimension(out) == "A1:C10"


def test_row_before_first_row() -> None:
    xml = sheet_xml('<row r="3"><c r="A3"><v>1</v></c></row>', dimension="A3")
    out = _patch(xml, {(0, 1): 2})
    assert b'<sheetData><row r="1"><c r="B1"><v>2</v></c></row><row r="3">' in out
    assert dimension(out) == "A1:B3"


def test_self_closing_row_keeps_attributes() -> None:
    out = _patch(BASE, {(4, 1): 4})
    assert b'<row r="5" spans="1:3" hidden="1"><c r="B5"><v>4</v></c></row>' in out


def test_empty_sheet_data() -> None:
    xml = sheet_xml("").replace(b"<sheetData></sheetData>", b"<sheetData/>")
    out = _patch(xml, {(0, 0): "a", (1, 2): 2})
    assert b'<sheetData><row r="1"><c r="A1" t="inlineStr">' in out
    assert cell_map(out) == {(0, 0): (None, "inlineStr", "a"), (1, 2): (None, None, "2")}
    assert dimension(out) == "A1:C2"


def test_none_clears_value_but_keeps_style() -> None:
    out = _patch(BASE, {(1, 2): None})
    assert out == BASE.replace(b'<c r="C2" s="3"><v>5</v></c>', b'<c r="C2" s="3"/>')
    assert _patch(BASE, {(20, 20): None}) == BASE


def test_formula_and_error_cells_are_replaced() -> None:
    out = _patch(BASE, {(3, 0): 1, (3, 1): "ok"})
    assert b'<c r="A4"><v>1</v></c>' in out
    assert b'<c r="B4" t="inlineStr"><is><t>ok</t></is></c>' in out
    assert b"SUM(" not in out


def test_shared_formula_master_is_refused() -> None:
    with pytest.raises(SharedFormulaConflict) as info:
        _patch(BASE, {(5, 1): 1})
    assert "B6" in str(info.value)
    out = _patch(BASE, {(6, 1): 1})  # a dependent may be overwritten
    assert b'<c r="B7" s="4"><v>1</v></c>' in out


def test_value_metadata_and_attribute_order() -> None:
    xml = sheet_xml(
        '<row r="1"><c r="A1" t="e" vm="1"><v>#VALUE!</v></c><c r="B1" t="s" s="5"><v>0</v></c>'
        '<c r="C1" s="2" t="n" /><c r="D1"\n\tt="s"><v>1</v></c></row>'
    )
    out = _patch(xml, {(0, 0): 1, (0, 1): 2, (0, 2): 3, (0, 3): "d"})
    assert cell_map(out)[0, 3] == (None, "inlineStr", "d")  # one t attribute only
    row = b'<c r="A1"><v>1</v></c><c r="B1" s="5"><v>2</v></c><c r="C1" s="2"><v>3</v></c>'
    assert b'<row r="1">' + row + b'<c r="D1"\n t="inlineStr">' in out


def test_cell_styles_override_column_styles() -> None:
    out = _patch(
        BASE,
        {(0, 3): "Kopf", (1, 3): 0.5, (1, 2): 1},
        default_styles={3: 7},
        cell_styles={(0, 3): 8, (1, 2): 99},
    )
    cells = cell_map(out)
    assert cells[0, 3][0] == "8"
    assert cells[1, 3][0] == "7"
    assert cells[1, 2][0] == "3"  # existing cells keep their style


def test_text_is_escaped_and_cleaned() -> None:
    out = _patch(BASE, {(0, 5): 'a&b <c> "d" \x07 _x0041_ \r\n'})
    assert cell_map(out)[0, 5][2] == 'a&b <c> "d"  _x005F_x0041_ \r\n'
    etree.fromstring(out)


def test_invalid_input() -> None:
    for cells in ({(0, 0): math.nan}, {(0, 16384): 1}, {(1048576, 0): 1}, {(-1, 0): 1}):
        with pytest.raises(ValueError):
            _patch(BASE, cells)
    unsafe = BASE.replace(b"\r\n", b'\r\n<!DOCTYPE x [<!ENTITY e "x">]>', 1)
    with pytest.raises(UnsafeXml):
        _patch(unsafe, {(0, 0): 1})


# --- slow path ------------------------------------------------------------------------


def _expected(base: bytes, edits: dict, default_styles: dict | None = None) -> dict:
    cells = dict(cell_map(base))
    for (row, col), value in edits.items():
        old = cells.get((row, col))
        style = old[0] if old else (default_styles or {}).get(col)
        style = None if style is None else str(style)
        if value is None:
            if old:
                cells[row, col] = (style, None, None)
            continue
        if isinstance(value, bool):
            cells[row, col] = (style, "b", "1" if value else "0")
        elif isinstance(value, str):
            cells[row, col] = (style, "inlineStr", value)
        else:
            cells[row, col] = (style, None, format_number(float(value)))
    return cells


EDITS = {(0, 3): "neu", (1, 1): 2.5, (1, 2): None, (2, 0): True, (4, 1): 4, (9, 9): "x"}


def test_prefixed_namespace_uses_slow_path() -> None:
    xml = sheet_xml(ROWS.replace("<", "<x:").replace("<x:/", "</x:"), dimension="A1:C7", prefix="x")
    assert _layout(xml) is None
    out = _patch(xml, EDITS, default_styles={3: 5})
    assert b"<x:c" in out and b"<c " not in out and b'xmlns="' not in out
    regular = _patch(BASE, EDITS, default_styles={3: 5})
    plain = re.sub(rb"<(/?)x:", rb"<\1", out).replace(b"xmlns:x=", b"xmlns=")
    assert cell_map(plain) == cell_map(regular) == _expected(BASE, EDITS, {3: 5})
    assert dimension(out) == dimension(regular) == "A1:J10"


def test_rows_and_cells_without_r_use_slow_path() -> None:
    xml = sheet_xml(
        '<row><c><v>1</v></c><c s="2"><v>2</v></c></row>'  # row 1: A1, B1
        '<row r="3"><c r="B3"><v>3</v></c><c><v>4</v></c></row>'  # C3 is implicit
        '<row><c r="D4"><v>5</v></c></row>',  # row 4
        dimension="A1:D4",
    )
    assert _layout(xml) is None
    before = cell_map(xml)
    assert before[2, 2] == (None, None, "4") and before[3, 3] == (None, None, "5")
    edits = {(0, 2): "c1", (1, 0): 7, (2, 0): 8, (3, 3): None, (0, 1): 9}
    out = _patch(xml, edits)
    assert cell_map(out) == _expected(xml, edits)


@pytest.mark.parametrize(
    "variant",
    [
        lambda x: x.replace(b"<sheetData>", b"<sheetData><!-- note -->"),
        lambda x: x.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
        lambda x: x.replace(b'<c r="A2" t=', b'<c  r="A2" t='),
        lambda x: re.sub(rb'(<row r="1".*?</row>)(<row r="2".*?</row>)', rb"\2\1", x),
    ],
    ids=["comment", "latin1", "attribute-spacing", "unordered-rows"],
)
def test_irregular_variants_give_same_cells(variant) -> None:  # type: ignore[no-untyped-def]
    xml = variant(BASE)
    assert xml != BASE
    out = _patch(xml, EDITS)
    assert cell_map(out) == _expected(BASE, EDITS)
    assert dimension(out) == "A1:J10"


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.tuples(st.integers(0, 12), st.integers(0, 6)), values, max_size=25),
    st.dictionaries(st.integers(0, 6), st.integers(0, 20), max_size=3),
)
def test_fast_and_slow_paths_agree_with_model(edits: dict, styles: dict) -> None:
    slow_input = BASE.replace(b"<sheetData>", b"<sheetData><!---->")
    edits = {k: v for k, v in edits.items() if k not in ((5, 1),)}  # shared-formula master
    fast = _patch(BASE, edits, default_styles=styles)
    slow = _patch(slow_input, edits, default_styles=styles)
    expected = _expected(BASE, {k: _clean(v) for k, v in edits.items()}, styles)
    assert cell_map(fast) == cell_map(slow) == expected
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', fast)]
    assert rows == sorted(set(rows))
    for row in etree.fromstring(fast).iter(f"{{{MAIN_NS}}}row"):
        cols = [c.get("r") for c in row]
        assert cols == sorted(cols, key=lambda ref: (len(ref), ref))


def _clean(value):  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        value = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value)
        return re.sub("_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", value)
    return value


# --- tables ---------------------------------------------------------------------------

TABLE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="1" '
    b'name="Kunden" displayName="Kunden" ref="A1:B5" totalsRowShown="0">'
    b'<autoFilter ref="A1:B5"/><tableColumns count="2"><tableColumn id="1" name="Name"/>'
    b'<tableColumn id="3" name="Umsatz" dataDxfId="0"/></tableColumns>'
    b'<tableStyleInfo name="TableStyleMedium9" showFirstColumn="0" showLastColumn="0" '
    b'showRowStripes="1" showColumnStripes="0"/></table>'
)


def test_patch_table_grows_ref_and_columns() -> None:
    out = patch_table(TABLE, ref="A1:D7", add_columns=["Segment", "Anteil & Trend"])
    expected = (
        TABLE.replace(b'ref="A1:B5" totals', b'ref="A1:D7" totals')
        .replace(b'<autoFilter ref="A1:B5"/>', b'<autoFilter ref="A1:D7"/>')
        .replace(b'count="2"', b'count="4"')
        .replace(
            b"</tableColumns>",
            b'<tableColumn id="4" name="Segment"/><tableColumn id="5" name="Anteil &amp; Trend"/>'
            b"</tableColumns>",
        )
    )
    assert out == expected
    root = etree.fromstring(out)
    assert [c.get("name") for c in root.iter(f"{{{MAIN_NS}}}tableColumn")] == [
        "Name",
        "Umsatz",
        "Segment",
        "Anteil & Trend",
    ]


def test_patch_table_totals_row_and_prefix() -> None:
    xml = (
        TABLE.replace(b'totalsRowShown="0"', b'totalsRowCount="1"')
        .replace(b"<", b"<x:")
        .replace(b"<x:/", b"</x:")
        .replace(b"<x:?xml", b"<?xml")
        .replace(b'xmlns="', b'xmlns:x="')
    )
    out = patch_table(xml, ref="A1:C6", add_columns=["Neu"])
    assert b'<x:autoFilter ref="A1:C5"/>' in out
    assert b'<x:tableColumn id="4" name="Neu"/></x:tableColumns>' in out
    assert b'<x:tableColumns count="3">' in out


def test_patch_table_without_autofilter_and_only_ref() -> None:
    xml = TABLE.replace(b'<autoFilter ref="A1:B5"/>', b"")
    out = patch_table(xml, ref="A1:B9")
    assert out == xml.replace(b'ref="A1:B5"', b'ref="A1:B9"')


@pytest.mark.parametrize(
    ("ref", "names"), [("A1:C5", []), ("A1:C5", ["umsatz"]), ("A1:D5", ["X", "x"]), ("A1:C5", [""])]
)
def test_patch_table_rejects(ref: str, names: list[str]) -> None:
    with pytest.raises(ValueError):
        patch_table(TABLE, ref=ref, add_columns=names)


def test_a1_helper_matches_cell_map() -> None:
    out = _patch(BASE, {(r, c): f"{r},{c}" for r in range(3) for c in range(3)})
    cells = cell_map(out)
    for r in range(3):
        for c in range(3):
            assert cells[r, c][2] == f"{r},{c}", a1(r, c)


@pytest.mark.parametrize("row, regular", [
    ('<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b/></rPr><t>x</t></r></is></c></row>', True),
    ('<row r="2" spans="1:2"><c r="A2"><v>1</v></c><c r="B2" s="3"/></row><row r="3"/>', True),
    ('<row><c r="A2"><v>1</v></c></row>', False),
    ('<row/>', False),
    ('<row\n r="2"><c r="A2"><v>1</v></c></row>', False),
    ('<row r="2"><c><v>1</v></c></row>', False),
    ('<row r="2"><c/></row>', False),
    ('<row r="2"><c\tr="A2"><v>1</v></c></row>', False),
])
def test_byte_level_needs_every_row_and_cell_numbered_first(row: str, regular: bool) -> None:
    scan = SheetScan(sheet_xml('<row r="1"><c r="A1"><v>0</v></c></row>' + row))
    assert (scan.layout is not None) is regular
    out = _patch(scan.xml, {(0, 2): "neu"})
    assert cell_map(out)[0, 2] == (None, "inlineStr", "neu")
