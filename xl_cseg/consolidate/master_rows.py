"""The rows of the master's big sheets (``Kunden gesamt``; the messages at the foot of
``Importprotokoll``), written into the package XlsxWriter made for it.

XlsxWriter lays out the workbook (styles, the big sheet's header row, column formats, filter,
the small sheets and charts). Each consolidate worker renders the rows of its file with the cell
renderer (:mod:`xlsx.cellvalue`: each column factorized, every distinct value rendered once, a
number or an inline string, so text is never a formula) and deflates them; the parent joins the
deflated rows into the sheet. Rows and cells carry no ``r`` attribute: each follows the one
before (cells from column A, rows after the header row), which ECMA-376 allows (Excel,
LibreOffice, openpyxl and python-calamine read them so). Inline strings (``t="inlineStr"``) are
what Apache POI's streaming writer uses; Excel turns them into shared strings when it saves.
"""

from __future__ import annotations

import io
import os
import re
import stat
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_not
from pathlib import Path

import numpy as np
import pandas as pd
from isal import isal_zlib

from ..xlsx.atomic import (check_readable, check_writable, cleanup_stale_temps, new_file_mode,
                           target_path, temp_beside, write_packed)
from ..xlsx.cellref import col_index, col_letter
from ..xlsx.cellvalue import MAX_TEXT, number_cells, render_value, text_cells, wrapped

_COL = re.compile(rb'<col\s+min="(\d+)"\s+max="(\d+)"[^>]*?\sstyle="(\d+)"')
_NUMERIC_ID = re.compile(r"[1-9][0-9]{0,14}")
_NUMERIC_IDS = re.compile(r"(?:[1-9][0-9]{0,14},)*[1-9][0-9]{0,14}")  # joined by commas
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_TEXT, _NUMBER, _OTHER = 0, 1, 2
_BLANK = b"<c/>"
_KIND_OF_TYPE = {str: _TEXT, **dict.fromkeys(
    (float, int, np.float64, np.int64, np.float32, np.int32), _NUMBER)}


def numeric_id(text: str) -> bool:
    """Customer numbers written as numbers: digits without a leading zero, at most 15."""
    return _NUMERIC_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class MasterColumn:
    values: pd.Series
    numeric_ids: bool = False  # customer numbers like "10001" become numbers (not "0815")


def column_styles(sheet_xml: bytes) -> dict[int, int]:
    """Column (0-based) -> style index, from the ``<cols>`` XlsxWriter wrote for the sheet."""
    styles: dict[int, int] = {}
    for lo, hi, style in _COL.findall(sheet_xml):
        styles.update({c: int(style) for c in range(int(lo) - 1, int(hi))})
    return styles


def _numbers(values: np.ndarray, s: bytes) -> list[bytes]:
    """Number cells (blank for inf)."""
    values = values.astype(float)
    finite = np.isfinite(values)
    cells = number_cells(values[finite], b"<c%s" % s)
    if finite.all():
        return cells
    out = np.full(len(values), _BLANK, dtype=object)
    out[finite] = _objects(cells)
    return out.tolist()


def _objects(items: list[bytes]) -> np.ndarray:
    """``items`` as an object array (as they are: no conversion to a fixed-width dtype)."""
    return np.fromiter(items, object, len(items))


def _inline(texts: list[str], s: bytes) -> list[bytes]:
    """Inline string cells, texts longer than Excel's limit cut to it."""
    content = [t[:MAX_TEXT] for t in texts] if max(map(len, texts)) > MAX_TEXT else texts
    return text_cells(content, b"<c%s" % s)


def _cells(column: MasterColumn, style: int | None) -> list[bytes]:
    """The cell XML (UTF-8) of each row of ``column``."""
    values = column.values.to_numpy()
    s = b' s="%d"' % style if style else b""
    if values.dtype.kind in "iuf":  # numbers only: rendered in bulk, no distinct values needed
        return _numbers(values, s)
    lookup, codes = _distinct_cells(values, s, column.numeric_ids)
    return lookup[codes].tolist()


def _distinct_cells(values: np.ndarray, s: bytes, numeric_ids: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(lookup of cell XML per distinct value plus a blank cell last, code per row)."""
    # on the plain array: uniques come back as an array (no Index built), text hashed as objects
    codes, values = pd.factorize(values, use_na_sentinel=True)
    if values.dtype.kind in "iuf":
        return np.array(_numbers(values, s) + [_BLANK], dtype=object), codes
    values = values.astype(object, copy=False)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        kinds = np.full(len(values), _TEXT, dtype=np.int8)
    else:
        kinds = np.fromiter(map(_KIND_OF_TYPE.get, map(type, values), repeat(_OTHER)),
                            dtype=np.int8, count=len(values))
    cells = np.full(len(values) + 1, _BLANK, dtype=object)
    numbers = np.flatnonzero(kinds == _NUMBER)
    cells[numbers] = _objects(_numbers(values[numbers], s))
    shown: list[int] = []  # positions of values written as text
    texts: list[str] = []
    text = np.flatnonzero(kinds == _TEXT)
    if numeric_ids and len(text):
        candidates = values[text].tolist()
        joined = ",".join(candidates)
        if joined.count(",") == len(candidates) - 1 and _NUMERIC_IDS.fullmatch(joined):
            ids = np.ones(len(text), dtype=bool)  # all of them (one match over the join)
        else:
            ids = np.fromiter(map(is_not, map(_NUMERIC_ID.fullmatch, candidates),
                                  repeat(None)), dtype=bool, count=len(text))
            joined = ",".join(compress(candidates, ids.tolist()))  # digits: no commas
        if ids.any():
            cells[text[ids]] = _objects(wrapped(joined.encode(), b"<c%s><v>" % s, b"</v></c>"))
        text = text[~ids]
    filled = text[np.fromiter(map(bool, values[text].tolist()), bool, len(text))]
    shown += filled.tolist()
    texts += values[filled].tolist()
    for pos in np.flatnonzero(kinds == _OTHER).tolist():
        value = values[pos]
        if isinstance(value, (bool, np.bool_)):
            cells[pos] = b"<c%s%s" % (s, render_value(bool(value)))
        else:  # dates, error values, anything else: their text
            shown.append(pos)
            texts.append(str(value))
    if texts:
        cells[shown] = _objects(_inline(texts, s))
    return cells, codes


def render_rows(columns: Sequence[MasterColumn], styles: Mapping[int, int]) -> bytes:
    """``<row>`` elements (UTF-8) for equal-length ``columns``. Rows carry no ``r`` either:
    they continue from the row before, so blocks rendered apart can simply be joined."""
    if not columns:
        return b""
    # one flat list filled column by column (slice assignments), joined once
    width, count = len(columns) + 2, len(columns[0].values)
    flat = [b"<row>"] * (count * width)
    for i, column in enumerate(columns):
        flat[i + 1::width] = _cells(column, styles.get(i))
    flat[width - 1::width] = [b"</row>"] * count
    return b"".join(flat)


def _around_rows(sheet_xml: bytes, last_row: int, last_col: str) -> tuple[bytes, bytes]:
    """The sheet part before its rows (the dimension grown) and after them."""
    end = sheet_xml.rindex(b"</sheetData>")
    head = _DIMENSION.sub(b'<dimension ref="A1:%s%d"/>' % (last_col.encode(), last_row),
                          sheet_xml[:end], count=1)
    return head, sheet_xml[end:]


@dataclass(frozen=True)
class Deflated:
    """Raw deflate data of ``size`` bytes with CRC-32 ``crc``. All but the last segment of a
    member end on a byte boundary without a final block (a sync flush): segments compressed
    apart, in the workers, are joined as they are."""

    data: bytes
    crc: int
    size: int


def deflate(raw: bytes, *, last: bool = False) -> Deflated:
    """``raw`` as one segment (ISA-L at its fastest level); ``last`` closes the stream."""
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    data = compressor.compress(raw) + \
        (compressor.flush() if last else compressor.flush(isal_zlib.Z_SYNC_FLUSH))
    return Deflated(data, isal_zlib.crc32(raw), len(raw))


@dataclass(frozen=True)
class DeflatedPart:
    """A member given as deflated segments, the last one closing the stream."""

    segments: Sequence[Deflated]


def with_deflated_rows(sheet_xml: bytes, rows: Sequence[Deflated], last_row: int, last_col: str
                       ) -> DeflatedPart:
    """The sheet part with the deflated ``rows`` appended to its ``<sheetData>`` and the
    dimension grown."""
    head, tail = _around_rows(sheet_xml, last_row, last_col)
    return DeflatedPart([deflate(head), *rows, deflate(tail, last=True)])


_LAST_ROW = re.compile(rb'<row r="(\d+)"')
_DIMENSION_REF = re.compile(rb'<dimension ref="(?:[A-Z]+[0-9]+:)?([A-Z]+)[0-9]+"/>')
BELOW_ROWS = 65_536  # rows rendered and deflated at a time below a sheet's own rows


def with_rows_below(sheet_xml: bytes, columns: Sequence[MasterColumn], first_row: int
                    ) -> DeflatedPart:
    """The sheet part with the rows of ``columns`` (plain cells from column A, no styles)
    appended, the first in (0-based) ``first_row``, right below the sheet's last row; the
    dimension grown. Rendered and deflated :data:`BELOW_ROWS` at a time."""
    rows = _LAST_ROW.findall(sheet_xml)
    if (int(rows[-1]) if rows else 0) != first_row:
        raise RuntimeError("rows to append must follow the sheet's last row")  # a programming error
    count = len(columns[0].values) if columns else 0
    found = _DIMENSION_REF.search(sheet_xml)
    widest = max(len(columns), col_index(found[1].decode()) + 1 if found else 1)
    head, tail = _around_rows(sheet_xml, max(first_row + count, 1), col_letter(widest - 1))
    segments = [deflate(head)]
    for lo in range(0, count, BELOW_ROWS):
        part = [MasterColumn(c.values.iloc[lo:lo + BELOW_ROWS], c.numeric_ids) for c in columns]
        segments.append(deflate(render_rows(part, {})))
    return DeflatedPart([*segments, deflate(tail, last=True)])


def write_streamed(template: bytes, dst: Path, replaced: Mapping[str, DeflatedPart]) -> None:
    """Write the package ``template`` (zip bytes) to ``dst`` atomically, with some members
    replaced by deflated segments."""
    dst = target_path(dst)
    check_writable(dst)
    cleanup_stale_temps(dst.parent)  # named leftovers of writes killed long ago
    with temp_beside(dst) as (out, _readable):
        with zipfile.ZipFile(io.BytesIO(template)) as src, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for info in src.infolist():
                data = replaced.get(info.filename, None)
                if data is None:
                    zf.writestr(info, src.read(info))
                else:
                    _write_segments(zf, info.filename, data.segments)
            check_readable(zf.filelist, {info.filename for info in zf.filelist}, dst)
        os.fchmod(out.fileno(),
                  stat.S_IMODE(dst.stat().st_mode) if dst.exists() else new_file_mode())


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, time.localtime()[:6])
    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
    return info


def _write_segments(zf: zipfile.ZipFile, name: str, segments: Sequence[Deflated]) -> None:
    """Member ``name`` from deflated segments joined as they are (their CRCs combined)."""
    info = _member(name)
    crc = size = 0
    for segment in segments:
        crc = isal_zlib.crc32_combine(crc, segment.crc, segment.size)
        size += segment.size
    info.CRC, info.file_size = crc, size
    write_packed(zf, info, [segment.data for segment in segments])
