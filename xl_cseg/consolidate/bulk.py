"""A large worksheet written fast into a package made by XlsxWriter.

XlsxWriter lays out the workbook (styles, the big sheet's header row, column formats, filter,
the small sheets and charts); the big sheet's rows are then produced here in bulk: each column
is factorized, every distinct value rendered once as cell XML (a number, or an index into the
shared-string table, so text is never a formula), and rows are joined chunk by chunk. While the
next chunk is built, a second thread compresses the previous one (zlib releases the GIL).
Cells carry no ``r`` attribute: they follow each other from column A, which ECMA-376 allows
(Excel, LibreOffice, openpyxl and python-calamine read them so).
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd

from ..xlsx.atomic import TEMP_PREFIX, TEMP_SUFFIX, check_writable
from ..xlsx.cellvalue import MAX_TEXT
from ..xlsx.xmltext import clean_text, escape

CHUNK_ROWS = 20_000
_SST_HEAD = re.compile(rb'<sst\b[^>]*?\scount="(\d+)"\s+uniqueCount="(\d+)"')
_COL = re.compile(rb'<col\s+min="(\d+)"\s+max="(\d+)"[^>]*?\sstyle="(\d+)"')
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_SEP = "\ue000"  # a private-use character joins new strings so they are cleaned in one pass
_SI = '<si><t xml:space="preserve">'
_TEXT, _NUMBER, _OTHER = 0, 1, 2
_NUMBER_TYPES = dict.fromkeys((float, int, np.float64, np.int64, np.float32, np.int32), _NUMBER)


def numeric_id(text: str) -> bool:
    """Customer numbers written as numbers: digits without a leading zero, at most 15."""
    return text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= 15


@dataclass(frozen=True)
class BulkColumn:
    values: pd.Series
    numeric_ids: bool = False  # customer numbers like "10001" become numbers (not "0815")


class SharedStrings:
    """The package's shared-string table, extended by the strings of the big sheet."""

    def __init__(self, xml: bytes) -> None:
        head = _SST_HEAD.search(xml)
        if head is None or not xml.rstrip().endswith(b"</sst>"):
            raise ValueError("unexpected sharedStrings.xml layout")
        self._xml, self._head = xml, head
        self.count, self.unique = int(head[1]), int(head[2])
        self._index: dict[str, int] = {}
        self._blocks: list[str] = []  # <si> elements of the added strings

    def indexes(self, texts: Sequence[str]) -> list[int]:
        """The index of each text; new texts are cleaned, escaped and added in one pass."""
        index = self._index
        new = list(dict.fromkeys([t for t in texts if t not in index]))
        if new:
            content = [t[:MAX_TEXT] for t in new] if max(map(len, new)) > MAX_TEXT else new
            joined = _SEP.join(content)
            if joined.count(_SEP) == len(new) - 1:  # clean_text keeps the separator
                block = escape(clean_text(joined)).replace(_SEP, "</t></si>" + _SI)
            else:  # a text holds the separator itself
                block = f"</t></si>{_SI}".join(escape(clean_text(t)) for t in content)
            self._blocks.append(f"{_SI}{block}</t></si>")
            start = self.unique + len(index)
            index.update(zip(new, range(start, start + len(new))))
        return [index[t] for t in texts]

    def xml(self) -> bytes:
        head = self._head
        unique = self.unique + len(self._index)
        new_head = head[0].replace(b'count="%s"' % head[1], b'count="%d"' % self.count, 1) \
            .replace(b'uniqueCount="%s"' % head[2], b'uniqueCount="%d"' % unique, 1)
        body = self._xml.rstrip()[: -len(b"</sst>")]
        return b"".join([body[: head.start()], new_head, body[head.end():],
                         "".join(self._blocks).encode(), b"</sst>"])


def column_styles(sheet_xml: bytes) -> dict[int, int]:
    """Column (0-based) -> style index, from the ``<cols>`` XlsxWriter wrote for the sheet."""
    styles: dict[int, int] = {}
    for lo, hi, style in _COL.findall(sheet_xml):
        styles.update({c: int(style) for c in range(int(lo) - 1, int(hi))})
    return styles


def _numbers(values: np.ndarray, s: str) -> list[str]:
    """Number cells (blank for inf); whole numbers without ".0"."""
    values = values.astype(float)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e15)
    texts = values.astype(str).astype(object)
    texts[whole] = values[whole].astype(np.int64).astype(str)
    finite = np.isfinite(values).tolist()
    return [f"<c{s}><v>{t}</v></c>" if ok else "<c/>" for t, ok in zip(texts.tolist(), finite)]


def _render(column: BulkColumn, style: int | None, sst: SharedStrings
            ) -> tuple[np.ndarray, np.ndarray]:
    """(lookup of cell XML per distinct value plus a blank cell last, code per row)."""
    codes, uniques = pd.factorize(column.values, use_na_sentinel=True)
    s = f' s="{style}"' if style else ""
    if isinstance(uniques, np.ndarray) and uniques.dtype.kind in "iuf":  # numbers only
        return np.array(_numbers(uniques, s) + ["<c/>"], dtype=object), codes
    values = np.asarray(uniques, dtype=object)
    kinds = np.fromiter((_TEXT if type(v) is str else _NUMBER_TYPES.get(type(v), _OTHER)
                         for v in values), dtype=np.int8, count=len(values))
    cells = np.full(len(values) + 1, "<c/>", dtype=object)
    numbers = np.flatnonzero(kinds == _NUMBER)
    cells[numbers] = _numbers(values[numbers], s)
    shared: list[int] = []  # positions of values written as shared strings
    texts: list[str] = []
    for pos in np.flatnonzero(kinds == _TEXT).tolist():
        value = values[pos]
        if column.numeric_ids and numeric_id(value):
            cells[pos] = f"<c{s}><v>{value}</v></c>"
        elif value:
            shared.append(pos)
            texts.append(value)
    for pos in np.flatnonzero(kinds == _OTHER).tolist():
        value = values[pos]
        if isinstance(value, (bool, np.bool_)):
            cells[pos] = f'<c{s} t="b"><v>{int(value)}</v></c>'
        else:  # dates, error values, anything else: their text
            shared.append(pos)
            texts.append(str(value))
    cells[shared] = [f'<c{s} t="s"><v>{i}</v></c>' for i in sst.indexes(texts)]
    if shared:
        is_shared = np.zeros(len(cells), dtype=bool)
        is_shared[shared] = True
        sst.count += int(np.count_nonzero(is_shared[codes]))
    return cells, codes


def sheet_rows(columns: Sequence[BulkColumn], styles: dict[int, int], sst: SharedStrings,
               first_row: int) -> Iterator[bytes]:
    """``<row>`` elements for ``columns`` (equal length), starting at sheet row ``first_row``
    (1-based), in chunks of UTF-8 bytes. Every string is registered in ``sst`` up front."""
    rendered = [_render(col, styles.get(i), sst) for i, col in enumerate(columns)]
    count = len(columns[0].values) if columns else 0

    def chunks() -> Iterator[bytes]:
        for start in range(0, count, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, count)
            cells = [lookup[codes[start:stop]].tolist() for lookup, codes in rendered]
            heads = [f'<row r="{r}">' for r in range(first_row + start, first_row + stop)]
            parts = chain.from_iterable(zip(heads, *cells, repeat("</row>")))
            yield "".join(parts).encode()

    return chunks()


def with_rows(sheet_xml: bytes, rows: Iterable[bytes], last_row: int, last_col: str
              ) -> Iterator[bytes]:
    """The sheet part with ``rows`` appended to its ``<sheetData>`` and the dimension grown."""
    end = sheet_xml.rindex(b"</sheetData>")
    head = _DIMENSION.sub(b'<dimension ref="A1:%s%d"/>' % (last_col.encode(), last_row),
                          sheet_xml[:end], count=1)
    yield head
    yield from rows
    yield sheet_xml[end:]


def write_streamed(template: bytes, dst: Path, replaced: dict[str, bytes | Iterable[bytes]]
                  ) -> None:
    """Write the package ``template`` (zip bytes) to ``dst`` atomically, with some members
    replaced by bytes or by a stream of byte chunks."""
    check_writable(dst)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=dst.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            with zipfile.ZipFile(io.BytesIO(template)) as src, \
                    zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for info in src.infolist():
                    data = replaced.get(info.filename, None)
                    if data is None:
                        zf.writestr(info, src.read(info))
                    elif isinstance(data, bytes):
                        zf.writestr(info.filename, data)
                    else:
                        _stream(zf, info.filename, data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _stream(zf: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> None:
    """Compress ``chunks`` into member ``name`` in a second thread while they are produced."""
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def consume() -> None:
        try:
            with zf.open(name, "w") as fh:
                while (chunk := pending.get()) is not None:
                    fh.write(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the producer
            failed.append(exc)
            while pending.get() is not None:
                pass

    worker = threading.Thread(target=consume, name="xl-cseg-zip", daemon=True)
    worker.start()
    try:
        for chunk in chunks:
            if failed:
                break
            pending.put(chunk)
    finally:
        pending.put(None)
        worker.join()
    if failed:
        raise failed[0]
