"""The cell renderer: Python values as SpreadsheetML cell content (numbers, texts, booleans,
blanks, escaping), one value at a time or a column at a time, plus range arithmetic.

A cell's *tail* is what follows its ``r``/``s`` attributes, e.g. `` t="b"><v>1</v></c>``.
The sheet writer puts ``<c r="H2" s="3"`` before it, the master writer ``<c s="3"``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import ne, not_

import numpy as np
import orjson

from .cellref import parse_range, range_ref
from .xmltext import ILLEGAL_CHARS, clean_text, escape, escaped_utf8

CellValue = None | str | int | float | bool
KEEP = object()
"""In a column block: leave this cell exactly as it is."""
MAX_TEXT = 32_767  # Excel's limit for one cell

Encoded = tuple[str | None, str, bool]
"""(t attribute or None, text, inline string?)"""


def format_number(value: float) -> str:
    """Shortest round-trip text for ``<v>``: 14000.0 -> "14000", 0.1 -> "0.1", 1e16 -> "1e+16",
    1e-05 -> "0.00001", -0.0 -> "0" (orjson's float formatting, as :func:`number_list`)."""
    text = orjson.dumps(float(value) + 0.0)  # + 0.0: no negative zero; non-finite: b"null"
    if text == b"null":
        raise ValueError(f"cannot write non-finite number {value!r} to a cell")
    return (text[:-2] if text.endswith(b".0") else text).decode("ascii")


def number_list(values: np.ndarray) -> bytes:
    """The :func:`format_number` texts of many numbers, joined by commas."""
    values = np.asarray(values, dtype=np.float64) + 0.0  # contiguous; no negative zero
    if not np.isfinite(values).all():
        raise ValueError("cannot write non-finite numbers (inf, nan) to cells")
    if not len(values):
        return b""
    # shortest round-trip digits never end in 0 except a whole number's ".0"
    return (orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1] + b",").replace(
        b".0,", b",")[:-1]


_SEP = "\ue000"  # a private-use character: texts joined by it are cleaned in one pass
_INLINE_PLAIN = b' t="inlineStr"><is><t>'
_INLINE_SPACED = b' t="inlineStr"><is><t xml:space="preserve">'
_INLINE_TAIL = b"</t></is></c>"


def text_cells(texts: list[str], head: bytes = b"") -> list[bytes]:
    """Inline-string cells of many texts, each ``head`` + its tail: cleaned, escaped and encoded
    in one pass over their join (one by one where a text holds the separator or is too long;
    a text longer than Excel's limit after cleaning raises ``ValueError``). Marked
    ``xml:space="preserve"`` only where the text begins or ends with whitespace (as
    :func:`render_value`)."""
    start = head + _INLINE_PLAIN
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1 or max(map(len, texts), default=0) > MAX_TEXT:
        cells = [start + _escaped(text) + _INLINE_TAIL for text in texts]
    else:
        sep = _SEP.encode("utf-8")
        cells = (start + escaped_utf8(joined).replace(sep, _INLINE_TAIL + sep + start)
                 + _INLINE_TAIL).split(sep)
    if ILLEGAL_CHARS.search(joined):  # removed characters may leave a text's blank at its end
        texts = list(map(clean_text, texts))
    padded = np.flatnonzero(np.fromiter(map(ne, texts, map(str.strip, texts)), bool, len(texts)))
    for i in padded.tolist():
        cells[i] = head + _INLINE_SPACED + cells[i][len(start):]
    return cells


def _escaped(text: str) -> bytes:
    text = clean_text(text)
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters cannot be stored in a cell")
    return escape(text).encode("utf-8")


def number_cells(values: np.ndarray, head: bytes = b"") -> list[bytes]:
    """Number cells of many (finite) numbers, each ``head`` + its tail."""
    return wrapped(number_list(values), head + b"><v>", b"</v></c>")


def wrapped(joined: bytes, head: bytes, tail: bytes) -> list[bytes]:
    """The items of comma-joined ``joined`` (which holds no other commas), each between ``head``
    and ``tail``."""
    if not joined:
        return []
    return (head + joined.replace(b",", tail + b"," + head) + tail).split(b",")


def encode_value(value: CellValue) -> Encoded | None:
    """(t attribute, text, inline string?) for a value; None for None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0", False
    if isinstance(value, str):
        text = clean_text(value)
        if len(text) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters cannot be stored in a cell")
        return "inlineStr", text, True
    if isinstance(value, numbers.Integral) and abs(int(value)) < 2**53:
        return None, str(int(value)), False
    if isinstance(value, numbers.Real):
        return None, format_number(float(value)), False
    raise TypeError(f"unsupported cell value type: {type(value).__name__}")


def render_value(value: CellValue) -> bytes | None:
    """Raw-XML cell tail for the byte-level writer: what follows the ``r``/``s`` attributes,
    e.g. `` t="b"><v>1</v></c>`` or ``><v>0.5</v></c>``; None for None."""
    if type(value) is float:  # the most common case first
        text = orjson.dumps(value + 0.0)  # + 0.0: no negative zero
        if text[-2:] == b".0":
            return b"><v>" + text[:-2] + b"</v></c>"
        if text != b"null":  # not inf/nan
            return b"><v>" + text + b"</v></c>"
    encoded = encode_value(value)
    if encoded is None:
        return None
    t, text, inline = encoded
    t_attr = b' t="%s"' % t.encode("ascii") if t else b""
    if inline:
        inner = b"<is>%s%s</t></is>" % (_text_tag(text), escape(text).encode("utf-8"))
    else:
        inner = b"<v>%s</v>" % text.encode("ascii")
    return b"%s>%s</c>" % (t_attr, inner)


def keeps_blanks(text: str) -> bool:
    """Whether an inline text needs ``xml:space="preserve"``: it begins or ends with whitespace
    (without it python-calamine and fastexcel drop a leading or trailing blank, as Excel does;
    Excel marks exactly these texts)."""
    return text != text.strip()


def _text_tag(text: str) -> bytes:
    """The ``<t>`` start tag for an (already cleaned) inline text."""
    return b'<t xml:space="preserve">' if keeps_blanks(text) else b"<t>"


def cell_tail(value: CellValue) -> bytes | None:
    """:func:`render_value`, and None for :data:`KEEP`."""
    return None if value is KEEP else render_value(value)


class NumberColumn(Sequence[float | None]):
    """A column of numbers held as one float64 array, NaN where no value is (None): what a
    column block holds for a numeric output column instead of a Python float per row."""

    def __init__(self, values: np.ndarray) -> None:
        self.array = np.asarray(values, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return NumberColumn(self.array[index])
        value = float(self.array[index])
        return None if value != value else value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list[float | None]:
        values = self.array.tolist()
        for i in np.flatnonzero(np.isnan(self.array)).tolist():
            values[i] = None
        return values

    def take(self, positions: Sequence[int]) -> NumberColumn:
        return NumberColumn(self.array[np.asarray(positions, dtype=np.int64)])

    def present(self) -> np.ndarray:
        """Where a value is (a cell is written)."""
        return ~np.isnan(self.array)


def column_tails(values: Sequence[CellValue], types: set[type] | None = None
                 ) -> list[bytes | None]:
    """The :func:`render_value` tails of one column's values; None where no cell is written
    (None, :data:`KEEP`). Floats are rendered in bulk, other values once per distinct value.
    ``types``: the types of the values, if known."""
    if isinstance(values, NumberColumn):
        missing = np.isnan(values.array)
        tails: list[bytes | None] = number_cells(np.where(missing, 0.0, values.array))
        for i in np.flatnonzero(missing).tolist():
            tails[i] = None
        return tails
    types = set(map(type, values)) if types is None else types
    kinds = types - {type(None), type(KEEP)}
    if not any(issubclass(kind, float) for kind in kinds):
        return _distinct_tails(values, kinds)
    if types == kinds and all(issubclass(kind, float) for kind in kinds):
        return number_cells(np.array(values, dtype=float))
    # numbers and some other values (a trend is a number or "neu"): all rendered as numbers,
    # the others (rendered once per distinct value) put in place after
    others = list(compress(range(len(values)), map(not_, map(isinstance, values, repeat(float)))))
    numeric = list(values)
    for i in others:
        numeric[i] = 0.0
    tails = number_cells(np.array(numeric, dtype=float))
    other_values = [values[i] for i in others]
    other_kinds = set(map(type, other_values)) - {type(None), type(KEEP)}
    for i, tail in zip(others, _distinct_tails(other_values, other_kinds)):
        tails[i] = tail
    return tails


def _distinct_tails(values: Sequence[CellValue], kinds: set[type]) -> list[bytes | None]:
    """Tails of values without floats; of one type (1 == True: not across types), each distinct
    value is rendered once (texts in one pass)."""
    if len(kinds) > 1:
        return list(map(cell_tail, values))
    distinct = set(values)
    if kinds and issubclass(next(iter(kinds)), str):
        texts = [v for v in distinct if v is not None and v is not KEEP]
        rendered: dict[CellValue, bytes | None] = dict(zip(texts, text_cells(texts)))
        rendered.update((v, None) for v in distinct if v is None or v is KEEP)
    else:
        rendered = {v: cell_tail(v) for v in distinct}
    return list(map(rendered.__getitem__, values))


def bounds(cells: Iterable[tuple[int, int]]) -> tuple[int, int, int, int] | None:
    """(first_row, first_col, last_row, last_col) of the given positions."""
    rows, cols = set(), set()
    for row, col in cells:
        rows.add(row)
        cols.add(col)
    if not rows:
        return None
    return min(rows), min(cols), max(rows), max(cols)


def grown_ref(old: str, box: tuple[int, int, int, int] | None) -> str:
    """Range ``old`` enlarged to include ``box`` (an unparsable ``old`` is replaced)."""
    if box is None:
        return old
    try:
        (r1, c1), (r2, c2) = parse_range(old)
    except ValueError:
        return range_ref(*box)
    return range_ref(min(r1, box[0]), min(c1, box[1]), max(r2, box[2]), max(c2, box[3]))


def widened_spans(lo: int, hi: int, created: list[int]) -> tuple[int, int]:
    """Row ``spans`` (1-based columns) covering newly created cells (0-based columns)."""
    return min(lo, min(created) + 1), max(hi, max(created) + 1)
