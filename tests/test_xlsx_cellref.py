"""Cell references, value encoding and XML text helpers of xl_cseg.xlsx."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from xl_cseg.xlsx.cellref import (
    MAX_COLS,
    a1,
    col_index,
    col_letter,
    parse_a1,
    parse_range,
    range_ref,
)
from xl_cseg.xlsx.cellvalue import (encode_value, format_number, grown_ref, number_list,
                                    render_value)
from xl_cseg.xlsx.xmltext import clean_text, decode_xstring, escape, escaped_utf8, unescape


@pytest.mark.parametrize(
    ("idx", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")]
)
def test_col_letters(idx: int, letters: str) -> None:
    assert col_letter(idx) == letters
    assert col_index(letters) == idx
    assert col_index(letters.lower()) == idx


@given(st.integers(0, MAX_COLS - 1))
def test_col_roundtrip(idx: int) -> None:
    assert col_index(col_letter(idx)) == idx


@pytest.mark.parametrize("bad", ["", "XFE", "AAAA", "A1", "Ä"])
def test_col_index_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        col_index(bad)


def test_a1_and_ranges() -> None:
    assert a1(0, 0) == "A1"
    assert a1(1, 1) == "B2"
    assert parse_a1("B2") == (1, 1)
    assert parse_a1("$K$20") == (19, 10)
    assert parse_range("A1:K20") == ((0, 0), (19, 10))
    assert parse_range("K20:A1") == ((0, 0), (19, 10))
    assert parse_range("C3") == ((2, 2), (2, 2))
    assert range_ref(0, 0, 19, 10) == "A1:K20"
    assert range_ref(2, 2, 2, 2) == "C3"
    for bad in ("A0", "1A", "A1048577", "A1:"):
        with pytest.raises(ValueError):
            parse_range(bad)
    with pytest.raises(ValueError):
        a1(-1, 0)


def test_grown_ref() -> None:
    assert grown_ref("A1:C3", (4, 0, 6, 5)) == "A1:F7"
    assert grown_ref("A1:C3", (1, 1, 2, 2)) == "A1:C3"
    assert grown_ref("A1", None) == "A1"
    assert grown_ref("junk", (0, 0, 1, 1)) == "A1:B2"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (14000.0, "14000"),
        (0.1, "0.1"),
        (-3.0, "-3"),
        (1e16, "1e+16"),
        (1e-05, "0.00001"),
        (1e-07, "1e-7"),
        (-0.0, "0"),
        (1e15, "1000000000000000"),
        (123456789.125, "123456789.125"),
        (2.5e-300, "2.5e-300"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_refused(value: float) -> None:
    with pytest.raises(ValueError):
        format_number(value)
    with pytest.raises(ValueError):
        render_value(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_roundtrips(value: float) -> None:
    text = format_number(value)
    assert float(text) == value
    assert "." not in text or "e" in text or not text.endswith(".0")


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=40))
def test_number_list_is_format_number_in_bulk(values: list[float]) -> None:
    joined = number_list(np.array(values, dtype=float))
    texts = joined.decode("ascii").split(",") if joined else []
    assert texts == [format_number(v) for v in values]
    assert [float(t) for t in texts] == values


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_number_list_refuses_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        number_list(np.array([1.5, value]))


def test_encode_value() -> None:
    assert encode_value(None) is None
    assert encode_value(True) == ("b", "1", False)
    assert encode_value(False) == ("b", "0", False)
    assert encode_value(14000) == (None, "14000", False)
    assert encode_value(2**60) == (None, "1.152921504606847e+18", False)
    assert encode_value('=HYPERLINK("x")') == ("inlineStr", '=HYPERLINK("x")', True)
    assert encode_value("a\x00b\x1fc\ud800") == ("inlineStr", "abc", True)
    assert encode_value("_x0041_") == ("inlineStr", "_x005F_x0041_", True)
    with pytest.raises(ValueError):
        encode_value("x" * 32768)
    with pytest.raises(TypeError):
        encode_value(object())  # type: ignore[arg-type]


def test_render_value() -> None:
    assert render_value(None) is None
    assert render_value(0.5) == b"><v>0.5</v></c>"
    assert render_value(7) == b"><v>7</v></c>"
    assert render_value(True) == b' t="b"><v>1</v></c>'
    assert render_value("a<b & c") == (
        b' t="inlineStr"><is><t>a&lt;b &amp; c</t></is></c>'
    )
    assert render_value("Grüße") == (
        ' t="inlineStr"><is><t>Grüße</t></is></c>'.encode()
    )
    assert render_value(" a") == b' t="inlineStr"><is><t xml:space="preserve"> a</t></is></c>'
    assert render_value("a\n") == b' t="inlineStr"><is><t xml:space="preserve">a\n</t></is></c>'
    assert render_value("a  b") == b' t="inlineStr"><is><t>a  b</t></is></c>'


def test_xml_text_helpers() -> None:
    assert escape('<a href="x">&\r') == "&lt;a href=&quot;x&quot;&gt;&amp;&#13;"
    assert unescape("&lt;&amp;&quot;&apos;&gt;&#65;&#x42;") == "<&\"'>AB"
    assert clean_text("ok\tline\nnext") == "ok\tline\nnext"
    assert decode_xstring("a_x000a_b") == "a\nb"
    assert decode_xstring(clean_text("_x000a_")) == "_x000a_"


_XML_EDGES = st.sampled_from(["&", "<", ">", '"', "'", "\r", "\n", "\t", "\x01", "\x0b", "\x1f",
                              "_x000D_", "_x", "_X0041_", "\ud800", "\udfff", "\ufffe", "\uffff",
                              "\ue000", "ä", "€", "𝄞", "a", " "])


@given(st.lists(st.one_of(_XML_EDGES, st.text(max_size=3))).map("".join))
@example("_x000D_ Zeile")
@example("a\uffffb\ufffe")
@example("a\x0bb")
@example("Müller & Söhne <GmbH>")
def test_escaped_utf8_equals_cleaning_and_escaping(text: str):
    """The fast path (nothing to clean or escape) and the slow one agree with the regexes."""
    assert escaped_utf8(text) == escape(clean_text(text)).encode("utf-8")
