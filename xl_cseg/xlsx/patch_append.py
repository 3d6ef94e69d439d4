"""Bulk writer for the common case: new columns right of everything in the sheet.

When no cell of ``<sheetData>`` lies at or right of the first edited column and every edited
row exists with content, each edit is an append before a row's ``</row>``. The cells are then
rendered column by column and row by row with one ``%`` per row (rows with the same filled
columns share one template), and the sheet comes back as its ``</row>``-separated pieces
interleaved with the new cells: no per-cell search in the original bytes, no joined copy. Anything else returns None and the general
byte-level writer (:mod:`patch_fast`) takes over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import is_not, itemgetter, not_

import numpy as np

from .cellref import col_letter
from .cellvalue import (KEEP, CellValue, number_list, render_value, text_tails, widened_spans,
                        wrapped)
from .patch_fast import ROW_NUMBER, Styles, grow_dimension
from .sheetxml import Layout, fast_layout, per_document

_ROW_TAG = re.compile(rb'<row r="(\d+)"[^>]*?(/?)>')
_SPANS = re.compile(rb' spans="(\d+):(\d+)"')


@lru_cache(maxsize=64)
def _cells_from(col: int) -> re.Pattern[bytes]:
    """Matches a cell reference whose column is ``col`` or further right (any letter case).

    Written as "not a column left of ``col``": one look-ahead per cell is about twice as fast
    as trying the alternatives of the columns at or right of it."""
    letters = col_letter(col).encode("ascii")
    any_letter = b"[A-Za-z]"
    left = [any_letter + b"{1,%d}" % (len(letters) - 1)] if len(letters) > 1 else []
    for i, ch in enumerate(letters):
        if ch != ord("A"):  # same length, the same letters up to i, then an earlier one
            same = b"".join(b"[%c%c]" % (c, c + 32) for c in letters[:i])
            below = b"[A-%ca-%c]" % (ch - 1, ch + 31)
            left.append(same + below + any_letter * (len(letters) - i - 1))
    if not left:
        return re.compile(rb'<c r="[A-Za-z]{1,3}[0-9]')
    return re.compile(rb'<c r="(?!(?:%s)[0-9])[A-Za-z]{1,3}[0-9]' % b"|".join(left))


_CELL_LETTERS = re.compile(rb'<c r="([A-Za-z]+)[0-9]')


@per_document
def cell_letters(xml: bytes) -> frozenset[bytes]:
    """The distinct column letters of the cells in ``<sheetData>`` (of a fast-path sheet).

    One pass: each search skips the letters found so far and stops at the next new ones
    (a sheet has few columns; past 64 of them the rest is collected cell by cell)."""
    layout = fast_layout(xml)
    if layout is None:
        return frozenset()
    found: set[bytes] = set()
    pos, end = layout.start, layout.end
    while len(found) <= 64:
        skip = b"(?!(?:%s)[0-9])" % b"|".join(sorted(found)) if found else b""
        new = re.compile(rb'<c r="%s([A-Za-z]+)[0-9]' % skip).search(xml, pos, end)
        if new is None:
            return frozenset(found)
        found.add(new[1])
        pos = new.start()
    return frozenset(found.union(_CELL_LETTERS.findall(xml, pos, end)))


def has_cells_from(xml: bytes, col: int, layout: Layout) -> bool:
    """Whether a cell of ``<sheetData>`` lies at column ``col`` or right of it: from the
    distinct column letters when a prescan (:mod:`io.prescan`) found them, else one search."""
    pattern = _cells_from(col)
    letters = cell_letters.known(xml)
    if letters is None:
        return pattern.search(xml, layout.start, layout.end) is not None
    return any(pattern.match(b'<c r="%s0' % found) for found in letters)


@per_document
def rows_with_content(xml: bytes) -> np.ndarray | None:
    """Numbers of the rows that end in ``</row>``, ascending; None unless the sheet is regular
    and its rows ascend."""
    layout = fast_layout(xml)
    if layout is None:
        return None
    closed = xml.count(b"</row>", layout.start, layout.end)
    existing = np.array(ROW_NUMBER.findall(xml, layout.start, layout.end), dtype=np.int64)
    if len(existing) > 1 and not bool(np.all(existing[1:] > existing[:-1])):
        return None
    if closed == len(existing):  # no row is self-closing
        return existing
    tags = _ROW_TAG.findall(xml, layout.start, layout.end)
    if len(tags) != len(existing):
        return None
    filled = existing[np.array([not slash for _n, slash in tags], dtype=bool)]
    return filled if closed == len(filled) else None


def _pieces_of(filled: np.ndarray, rows: Sequence[int]) -> np.ndarray | None:
    """Index of each (0-based) row among the rows with content; None if one has none."""
    wanted = np.asarray(rows, dtype=np.int64) + 1
    at = np.searchsorted(filled, wanted)
    if len(wanted) and (at.max() >= len(filled) or not np.array_equal(filled[at], wanted)):
        return None
    return at


@per_document
def spans_found(xml: bytes) -> set[tuple[bytes, bytes]]:
    """The distinct row ``spans`` values of the sheet."""
    layout = fast_layout(xml)
    return set(_SPANS.findall(xml, layout.start, layout.end)) if layout else set()


def _number_tails(numbers: np.ndarray) -> list[bytes]:
    """Tails of number cells, rendered in bulk."""
    return wrapped(number_list(numbers), b"><v>", b"</v></c>")


def _tail(value: CellValue) -> bytes | None:
    return None if value is KEEP else render_value(value)


def column_tails(values: Sequence[CellValue], types: set[type] | None = None
                 ) -> list[bytes | None]:
    """Cell tails (what follows ``r``/``s``) of one column; None where no cell is written.
    Floats are rendered in bulk, other values once per distinct value. ``types``: the types
    of the values, if known."""
    types = set(map(type, values)) if types is None else types
    kinds = types - {type(None), type(KEEP)}
    if not any(issubclass(kind, float) for kind in kinds):
        return _distinct_tails(values, kinds)
    if types == kinds and all(issubclass(kind, float) for kind in kinds):
        return _number_tails(np.array(values, dtype=float))
    # numbers and some other values (a trend is a number or "neu"): all rendered as numbers,
    # the others (rendered once per distinct value) put in place after
    others = list(compress(range(len(values)), map(not_, map(isinstance, values, repeat(float)))))
    numeric = list(values)
    for i in others:
        numeric[i] = 0.0
    tails = _number_tails(np.array(numeric, dtype=float))
    other_values = [values[i] for i in others]
    other_kinds = set(map(type, other_values)) - {type(None), type(KEEP)}
    for i, tail in zip(others, _distinct_tails(other_values, other_kinds)):
        tails[i] = tail
    return tails


def _distinct_tails(values: Sequence[CellValue], kinds: set[type]) -> list[bytes | None]:
    """Tails of values without floats; of one type (1 == True: not across types), each distinct
    value is rendered once (texts in one pass)."""
    if len(kinds) > 1:
        return list(map(_tail, values))
    distinct = set(values)
    if kinds and issubclass(next(iter(kinds)), str):
        texts = [v for v in distinct if v is not None and v is not KEEP]
        rendered: dict[CellValue, bytes | None] = dict(zip(texts, text_tails(texts)))
        rendered.update((v, None) for v in distinct if v is None or v is KEEP)
    else:
        rendered = {v: _tail(v) for v in distinct}
    return list(map(rendered.__getitem__, values))


def patch_append(xml: bytes, layout: Layout, cells: Mapping[int, list[tuple[int, CellValue]]],
                 block_rows: Sequence[int], block: Mapping[int, Sequence[CellValue]],
                 styles: Styles) -> list[bytes] | None:
    """The patched sheet in chunks, or None when the edits are not pure appends.

    ``cells``: row -> edits (columns ascending) of rows written cell by cell (they may also be
    block rows); ``block``: col -> one value per ``block_rows`` row.
    """
    if layout.self_closing:
        return None
    columns = sorted(block)
    first = min([*columns, *(c for items in cells.values() for c, _v in items)])
    if has_cells_from(xml, first, layout):
        return _rewrite_tails(xml, cells, block_rows, block, styles, first)
    filled_rows = rows_with_content(xml)
    if filled_rows is None:
        return None
    # the document split at "</row>": piece i ends with the i-th row that has content
    special = sorted(set(cells) | {row for row, _col in styles.by_cell})
    targets = _pieces_of(filled_rows, block_rows)
    special_pieces = _pieces_of(filled_rows, special)
    if targets is None or special_pieces is None:
        return None
    piece_of = dict(zip(special, special_pieces.tolist()))
    adds: list[bytes] = [b"</row>"] * len(filled_rows) + [b""]
    written_rows: list[int] = []
    written_cols: set[int] = set()
    tails, filled = _rendered(block, columns)
    position = _positions(block_rows, special)
    if position:
        filled[list(position.values())] = 0
    numbers_of = np.asarray(block_rows, dtype=np.int64) + 1
    row_numbers = list(map(b"%d".__mod__, numbers_of.tolist()))
    for key in np.unique(filled):
        if key == 0:
            continue
        idx = np.flatnonzero(filled == key).tolist()
        used = [c for bit, c in enumerate(columns) if key >> bit & 1]
        template = b"".join(b'<c r="%s%%s"%s%%s' % (col_letter(c).encode("ascii"),
                                                   styles.attr(-1, c).replace(b"%", b"%%"))
                            for c in used) + b"</row>"
        numbers = _take(row_numbers, idx)
        args = [arg for c in used for arg in (numbers, _take(tails[c], idx))]
        rendered = list(map(template.__mod__, zip(*args)))
        at = targets[idx]
        if len(at) == 1 or bool(np.all(np.diff(at) == 1)):  # consecutive: one slice assignment
            adds[at[0]:at[-1] + 1] = rendered
        else:
            for i, text in zip(at.tolist(), rendered):
                adds[i] = text
        written_rows += (block_rows[idx[0]], block_rows[idx[-1]])
        written_cols.update(used)
    for row in special:  # header cells, other single cells, rows with cell styles
        merged = {c: block[c][position[row]] for c in columns} if row in position else {}
        merged.update(cells.get(row, ()))
        row_cells, cols = _single_cells(row, sorted(merged.items()), styles)
        if row_cells:
            adds[piece_of[row]] = row_cells + b"</row>"
            written_rows.append(row)
            written_cols.update(cols)
    if not written_rows:
        return [xml]
    box = (min(written_rows), min(written_cols), max(written_rows), max(written_cols))
    pieces = _widen(xml, sorted(written_cols)).split(b"</row>")
    pieces[0] = grow_dimension(pieces[0], box)
    return list(chain.from_iterable(zip(pieces, adds)))


_TAIL_CELL = re.compile(rb'<c r="([A-Za-z]+)[0-9]+"([^>]*?)(/?)>')
_STYLE = re.compile(rb'\ss="([0-9]+)"')


def _rewrite_tails(xml: bytes, cells: Mapping[int, list[tuple[int, CellValue]]],
                   block_rows: Sequence[int], block: Mapping[int, Sequence[CellValue]],
                   styles: Styles, first: int) -> list[bytes] | None:
    """Output columns written before (a rerun): every row's cells from column ``first`` on are
    rebuilt, keeping each existing cell's style. None (general writer) unless those cells are
    all block columns without formulas or metadata and the single cells only add new ones."""
    filled_rows = rows_with_content(xml)
    columns = sorted(block)
    if filled_rows is None or not columns or any(  # KEEP is the only value of type object
            type(KEEP) in set(map(type, block[c])) for c in columns):
        return None
    special = sorted(set(cells) | {row for row, _col in styles.by_cell})
    target_array = _pieces_of(filled_rows, block_rows)
    special_pieces = _pieces_of(filled_rows, special)
    if target_array is None or special_pieces is None or set(special) & set(block_rows):
        return None
    targets = target_array.tolist()
    piece_of = dict(zip(special, special_pieces.tolist()))
    col_of = {col_letter(c).encode("ascii"): c for c in columns}
    starts_at = _cells_from(first)
    pieces = _widen(xml, columns).split(b"</row>")
    for row in special:  # e.g. headers of new columns: only after the existing cells
        piece = pieces[piece_of[row]]
        if any(c <= col_of.get(found[0].upper(), -1) for c, _v in cells.get(row, ())
               for found in _TAIL_CELL.findall(piece)) or \
                (starts_at.search(piece) and row in styles.by_cell):
            return None
    tails, present = _rendered(block, columns)
    templates: dict[tuple, int] = {}  # rows with the same cells and values share a template
    plans: list[tuple[bytes, list[int]]] = []
    cuts: list[int] = []
    kinds: list[int] = []
    first_cell = b'<c r="' + col_letter(first).encode("ascii")
    for row, piece_index, mask in zip(block_rows, targets, present.tolist()):
        piece = pieces[piece_index]
        cut = piece.find(b'%s%d"' % (first_cell, row + 1))  # usually there: no regex needed
        if cut < 0:
            found = starts_at.search(piece)
            cut = found.start() if found else len(piece)
        key = (tuple(_TAIL_CELL.findall(piece, cut)), mask)
        kind = templates.get(key)
        unsafe = piece.find(b"<f", cut) >= 0 or piece.find(b'm="', cut) >= 0  # no copy
        if kind is None:
            plan = _tail_template(key, col_of, columns, styles, unsafe)
            if plan is None:
                return None
            kind = templates[key] = len(plans)
            plans.append(plan)
        elif unsafe:
            return None
        cuts.append(cut)
        kinds.append(kind)
    row_numbers = [b"%d" % (r + 1) for r in block_rows]
    rendered: list[bytes] = [b""] * len(block_rows)
    written_cols: set[int] = set()
    rows_written: list[int] = []
    by_column = [tails[c] for c in columns]
    kinds_array = np.array(kinds, dtype=np.int64)
    for kind, (template, used) in enumerate(plans):
        idx = np.flatnonzero(kinds_array == kind).tolist()
        if not idx or not used:
            continue
        numbers = _take(row_numbers, idx)
        args = [arg for k in used
                for arg in ((numbers, _take(by_column[k], idx)) if k >= 0 else (numbers,))]
        for i, text in zip(idx, map(template.__mod__, zip(*args))):
            rendered[i] = text
        if any(k >= 0 for k in used):  # the dimension covers values, not emptied cells
            rows_written += (block_rows[idx[0]], block_rows[idx[-1]])
            written_cols.update(columns[k] for k in used if k >= 0)
    for i, (piece_index, cut) in enumerate(zip(targets, cuts)):
        if rendered[i] or cut < len(pieces[piece_index]):
            pieces[piece_index] = pieces[piece_index][:cut] + rendered[i]
    for row in special:
        row_cells, cols = _single_cells(row, cells.get(row, ()), styles)
        if row_cells:
            pieces[piece_of[row]] += row_cells
            rows_written.append(row)
            written_cols.update(cols)
    if rows_written:
        pieces[0] = grow_dimension(pieces[0], (min(rows_written), min(written_cols),
                                               max(rows_written), max(written_cols)))
    return list(chain.from_iterable(zip(pieces, [b"</row>"] * (len(pieces) - 1) + [b""])))


def _tail_template(key: tuple, col_of: Mapping[bytes, int], columns: list[int], styles: Styles,
                   unsafe: bool) -> tuple[bytes, list[int]] | None:
    """For rows whose cells from the first output column are ``key[0]`` (letters, attributes,
    "/") and whose values are present per ``key[1]`` (bit per column): the new cells as a
    ``%`` template (row number and value tail per used column) and the used column positions;
    None when the general writer must do it."""
    existing, mask = key
    if unsafe:
        return None
    style_of: dict[int, bytes] = {}
    for letters, attrs, _slash in existing:
        col = col_of.get(letters.upper())
        if col is None or col in style_of:
            return None  # a cell of the user's right of the output columns, or a duplicate
        style = _STYLE.search(attrs)
        style_of[col] = b' s="%s"' % style[1] if style else b""
    parts: list[bytes] = []
    used: list[int] = []
    for k, col in enumerate(columns):
        letters = col_letter(col).encode("ascii").replace(b"%", b"%%")
        attr = style_of[col] if col in style_of else styles.attr(-1, col)
        attr = attr.replace(b"%", b"%%")
        if mask >> k & 1:
            parts.append(b'<c r="%s%%s"%s%%s' % (letters, attr))
            used.append(k)
        elif col in style_of:  # None empties an existing cell, its style stays
            parts.append(b'<c r="%s%%s"%s/>' % (letters, attr))
            used.append(-1 - k)
    template = b"".join(parts)
    return template, used


def _rendered(block: Mapping[int, Sequence[CellValue]], columns: list[int]
              ) -> tuple[dict[int, list[bytes | None]], np.ndarray]:
    """Cell tails per column, and per row a bit per column (in ``columns`` order) where a cell
    is written."""
    tails = {}
    written = np.zeros(len(block[columns[0]]) if columns else 0, dtype=np.int64)
    for bit, c in enumerate(columns):
        types = set(map(type, block[c]))
        tails[c] = column_tails(block[c], types)
        if type(None) not in types and type(KEEP) not in types:  # a cell in every row
            written |= 1 << bit
            continue
        present = np.fromiter(map(is_not, tails[c], repeat(None)), bool, len(tails[c]))
        written |= present.astype(np.int64) << bit
    return tails, written


def _single_cells(row: int, items: Sequence[tuple[int, CellValue]], styles: Styles
                  ) -> tuple[bytes, list[int]]:
    """New cells of one row written cell by cell (columns ascending), and their columns."""
    parts, cols = [], []
    for c, v in items:
        tail = _tail(v)
        if tail is not None:
            parts.append(b'<c r="%s%d"%s%s' % (col_letter(c).encode("ascii"), row + 1,
                                               styles.attr(row, c), tail))
            cols.append(c)
    return b"".join(parts), cols


def _positions(rows: Sequence[int], wanted: Sequence[int]) -> dict[int, int]:
    """Position in ``rows`` of each of the (few) ``wanted`` rows found there."""
    if not wanted:
        return {}
    found = np.flatnonzero(np.isin(np.asarray(rows, dtype=np.int64), wanted)).tolist()
    return {rows[i]: i for i in found}


def _take(seq: Sequence, idx: list[int]) -> tuple:
    return itemgetter(*idx)(seq) if len(idx) > 1 else (seq[idx[0]],)


def _widen(xml: bytes, cols: list[int]) -> bytes:
    """``xml`` with every row's ``spans`` widened to cover ``cols`` (spans are a hint for blocks
    of rows; a range wider than a row's cells is valid, XlsxWriter writes such ranges)."""
    for found in spans_found(xml):
        lo, hi = int(found[0]), int(found[1])
        new = widened_spans(lo, hi, cols)
        if new != (lo, hi):
            xml = xml.replace(b' spans="%s:%s"' % found, b' spans="%d:%d"' % new)
    return xml
