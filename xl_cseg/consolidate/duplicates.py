"""Customers found in several territories: the same customer number or a near-identical name.

Names are compared by a key that ignores case, punctuation, umlaut spelling, legal forms
(GmbH, KG, AG, ...) and word order. Small typos (up to :data:`MAX_TYPO` characters differing in
one place) join two keys when difflib's ratio is at least :data:`RATIO`; candidates are the
neighbours in the sorted order of the keys and of the reversed keys, so the work grows with
n log n, not n². A consolidation's workers sort their own file's keys (:func:`name_index`); the
parent then merges sorted runs instead of sorting from scratch.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

RATIO = 0.92
WINDOW = 2  # neighbours compared in each sorted order
MAX_TYPO = 3
_WIDTH = 40  # characters of a key compared at each end
_DIGITS = re.compile(r"\d+")
BY_ID, BY_NAME = "gleiche Kunden-Nr", "ähnlicher Name"
DUPLICATE_COLUMNS = ("reason", "key", "territory", "source", "row", "customer_id", "name",
                     "revenue", "code")

LEGAL_FORMS = frozenset({
    "gmbh", "mbh", "co", "kg", "ag", "ohg", "gbr", "ug", "ek", "ev", "eg", "se", "kgaa", "ggmbh",
    "haftungsbeschraenkt", "ltd", "limited", "inc", "llc", "plc", "sarl", "sa", "bv", "nv",
    "gesellschaft", "und", "and", "u",
})
_DROPPED = b".'`"
_PUNCTUATION = bytes(c for c in string.punctuation.encode() if c not in _DROPPED)
_TABLE = bytes.maketrans(_PUNCTUATION, b" " * len(_PUNCTUATION))
_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("´", ""), ("’", ""), ("‘", ""),
            ("–", " "), ("—", " "), ("„", " "), ("“", " "), ("”", " "), ("\u00a0", " "))


def name_keys(names: Iterable[object]) -> list[str | None]:
    """Comparison keys: ``"Müller GmbH & Co. KG, Köln"`` -> ``"koeln mueller"`` (None for no
    text). Computed on all names at once: one pass of each replacement over the joined text."""
    names = list(names)
    texts = [n for n in names if isinstance(n, str)]
    joined = "\0".join(texts).casefold()
    for old, new in _UMLAUTS:
        joined = joined.replace(old, new)
    joined = joined.encode().translate(_TABLE, _DROPPED).decode()
    keys = [" ".join(sorted(set(t.split()) - LEGAL_FORMS)) or None for t in joined.split("\0")]
    if len(texts) == len(names):
        return keys
    found = iter(keys)
    return [next(found) if isinstance(n, str) else None for n in names]


def find_duplicates(customers: pd.DataFrame) -> pd.DataFrame:
    """Rows (``DUPLICATE_COLUMNS``) of customers whose number or name occurs in several
    territories; ``customers`` holds territory, source, row, customer_id, name, name_key,
    revenue and code."""
    territory = territory_codes(customers)
    return joined(by_number(customers, territory), by_name(customers, territory))


def territory_codes(customers: pd.DataFrame) -> np.ndarray:
    """Each customer's territory as an integer code (-1 for none)."""
    return _factorized(customers["territory"])[0]


def by_number(customers: pd.DataFrame, territory: np.ndarray) -> pd.DataFrame:
    """Customers whose number occurs in several territories."""
    ids, id_keys = _factorized(customers["customer_id"])
    return _groups(customers, ids, id_keys, territory, BY_ID)


@dataclass(frozen=True)
class NameIndex:
    """Name keys as fixed-width ASCII (start and end, :data:`_WIDTH` bytes each; other
    characters "?") with their lengths, and two orders of the keys: by start and by end. An
    order is a sequence of sorted runs (one per file when joined from the workers' indexes);
    :func:`_sorted` merges them."""

    front: np.ndarray  # S40
    back: np.ndarray  # S40, the key reversed
    lengths: np.ndarray  # int64, 0 for no key
    by_front: np.ndarray  # positions: sorted runs of front
    by_back: np.ndarray


def name_index(keys: np.ndarray, sort: bool = True) -> NameIndex:
    """The index of ``keys`` (None for none), both orders sorted (stable); without ``sort``
    the orders are left to :func:`_sorted` (which sorts the two at once)."""
    texts = [k if type(k) is str else "" for k in keys.tolist()]
    joined = "\n".join(texts)  # keys hold no line breaks (words joined by spaces)
    ends = [joined.encode("ascii", "replace"), joined[::-1].encode("ascii", "replace")]
    front, back = (np.array(e.split(b"\n") if texts else [], dtype=f"S{_WIDTH}") for e in ends)
    back = back[::-1]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if not sort:
        return NameIndex(front, back, lengths, np.arange(len(texts)), np.arange(len(texts)))
    return NameIndex(front, back, lengths, np.argsort(front, kind="stable"),
                     np.argsort(back, kind="stable"))


def joined_index(parts: Sequence[NameIndex]) -> NameIndex:
    """The indexes of consecutive blocks of rows as one (orders: the blocks' sorted runs)."""
    starts = np.cumsum([0] + [len(p.front) for p in parts[:-1]])
    return NameIndex(np.concatenate([p.front for p in parts]),
                     np.concatenate([p.back for p in parts]),
                     np.concatenate([p.lengths for p in parts]),
                     np.concatenate([p.by_front + s for p, s in zip(parts, starts)]),
                     np.concatenate([p.by_back + s for p, s in zip(parts, starts)]))


def by_name(customers: pd.DataFrame, territory: np.ndarray, index: NameIndex | None = None
            ) -> pd.DataFrame:
    """Customers whose name key, or one a typo away, occurs in several territories. ``index``:
    the rows' :class:`NameIndex` when the workers made it. Its sorts and comparisons run
    mostly without the GIL: a thread beside other work suits it."""
    codes, keys = _factorized(customers["name_key"])
    if index is None:
        index = name_index(keys, sort=False)
    else:  # the rows' index -> the index of the distinct keys (each at its first row)
        index = _distinct(index, codes, len(keys))
    similar = _similar_keys(keys, index)
    if similar:  # codes of keys with a representative point to the representative's code
        remap = np.arange(len(keys))
        remap[list(similar)] = list(similar.values())
        codes = np.where(codes >= 0, remap[codes], -1)
    return _groups(customers, codes, keys, territory, BY_NAME)


def _distinct(index: NameIndex, codes: np.ndarray, count: int) -> NameIndex:
    """A rows' index reduced to one entry per key code (its first row), in code order."""
    rows = np.flatnonzero(codes >= 0)
    first = np.empty(count, dtype=np.int64)
    first[codes[rows[::-1]]] = rows[::-1]
    is_first = np.zeros(len(codes), dtype=bool)
    is_first[first] = True

    def runs(order: np.ndarray) -> np.ndarray:  # first rows stay in their runs' order
        return codes[order[is_first[order]]]

    return NameIndex(index.front[first], index.back[first], index.lengths[first],
                     runs(index.by_front), runs(index.by_back))


def joined(numbers: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The duplicate rows, by number first, in ``DUPLICATE_COLUMNS``."""
    return pd.concat([numbers, names], ignore_index=True).reindex(columns=list(DUPLICATE_COLUMNS))


def _factorized(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for blank) and distinct values; hashed as plain objects (faster than text
    columns' own factorize)."""
    return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)


def _groups(customers: pd.DataFrame, codes: np.ndarray, keys: np.ndarray,
            territory: np.ndarray, reason: str) -> pd.DataFrame:
    """The rows whose key (``keys[codes]``, -1 for none) occurs in two or more territories."""
    known = (codes >= 0) & (territory >= 0)
    width = int(territory.max(initial=0)) + 1
    pairs = pd.unique(codes[known].astype(np.int64) * width + territory[known])
    spread = np.bincount(pairs // width, minlength=len(keys)) >= 2
    with_key = np.flatnonzero(codes >= 0)
    rows = with_key[spread[codes[with_key]]]  # (no keys at all: nothing to index)
    found = customers.iloc[rows].assign(reason=reason, key=keys[codes[rows]])
    return found.sort_values(["key", "territory", "source", "row"], kind="stable")


def _similar_keys(keys: np.ndarray, index: NameIndex) -> dict[int, int]:
    """Position of a key -> position of its representative, for keys joined by a small typo
    (only keys that have one). ``index`` holds ``keys``' ASCII starts and ends (truncated:
    difflib judges the real keys)."""
    if len(keys) < 2:
        return {}
    lengths = index.lengths
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    front_words, back_words = _columns(index.front), _columns(index.back)
    with ThreadPoolExecutor(1, thread_name_prefix="xl-cseg-sort") as pool:  # sorts without GIL
        by_end = pool.submit(_sorted, index.back, index.by_back)
        orders = [_sorted(index.front, index.by_front), by_end.result()]  # by start, by end
    for order in orders:
        # np.take gathers columns about twice as fast as fancy indexing does
        ahead, behind = np.take(front_words, order, axis=1), np.take(back_words, order, axis=1)
        size = lengths[order]
        for step in range(1, min(WINDOW, len(keys) - 1) + 1):
            for i, j in _candidates(ahead, behind, size, step):
                i, j = int(order[i]), int(order[j])
                if _similar(keys[i], keys[j]):
                    parent[root(i)] = root(j)
    if not parent:
        return {}
    members: dict[int, list[int]] = {}
    for i in set(parent) | set(parent.values()):
        members.setdefault(root(i), []).append(i)
    out: dict[int, int] = {}
    for group in members.values():
        first = min(group, key=keys.__getitem__)
        out.update({i: first for i in group})
    return out


def _sorted(texts: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Positions in the order of ``texts`` (stable by position): ``runs`` lists the positions
    as sorted runs, which a stable sort (timsort) merges in n log(runs), not n log n."""
    return runs[np.argsort(texts[runs], kind="stable")]


def _similar(a: str, b: str) -> bool:
    """A typo, not another branch: numbers must agree ("Filiale 3" is not "Filiale 4")."""
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= RATIO


def _columns(texts: np.ndarray) -> np.ndarray:
    """Fixed-width byte strings as rows of 8-byte words (read big-endian, held as native
    integers), one row per word position (zero padded): comparing words compares eight
    characters at once, and integer order is byte order."""
    words = np.frombuffer(texts.tobytes(), dtype=">u8").reshape(len(texts), -1)
    return np.ascontiguousarray(words.T, dtype=np.uint64)  # native: no byte swaps later


def _common(words: np.ndarray, step: int) -> np.ndarray:
    """Length of the common start of text ``k`` and text ``k + step``, for texts given as word
    rows (see :func:`_columns`; padding counts as equal). Word by word: the next word is
    compared only where all before it were equal."""
    count = max(words.shape[1] - step, 0)
    common = np.full(count, 8 * len(words), dtype=np.int64)
    differ = words[0, :-step] ^ words[0, step:]
    found = differ != 0
    common[found] = _leading_zero_bytes(differ[found])
    equal = np.flatnonzero(~found)
    for k in range(1, len(words)):
        if not len(equal):
            break
        differ = words[k, equal] ^ words[k, equal + step]
        found = differ != 0
        common[equal[found]] = 8 * k + _leading_zero_bytes(differ[found])
        equal = equal[~found]
    return common


def _leading_zero_bytes(words: np.ndarray) -> np.ndarray:
    """Zero bytes at the high end of each 64-bit word (8 for zero), from its bit length: each
    32-bit half converts to float exactly, and frexp's exponent is the bit length."""
    high = words >> np.uint64(32)
    half = np.where(high != 0, high, words & np.uint64(0xFFFFFFFF)).astype(np.float64)
    bits = np.frexp(half)[1] + np.where(high != 0, 32, 0)
    return (64 - bits) // 8


def _candidates(front: np.ndarray, back: np.ndarray, lengths: np.ndarray, step: int
                ) -> list[tuple[int, int]]:
    """Positions (k, k + step) of keys (word rows ``front`` of their start, ``back`` of their
    end, in one order) that differ in at most MAX_TYPO characters between a common prefix and
    suffix."""
    prefix = _common(front, step)
    shorter = np.minimum(lengths[:-step], lengths[step:])
    suffix = np.minimum(_common(back, step), shorter - np.minimum(prefix, shorter))
    middle = np.maximum(lengths[:-step], lengths[step:]) - prefix - suffix
    keep = np.flatnonzero((middle <= MAX_TYPO) & (shorter >= 4))
    return list(zip(keep.tolist(), (keep + step).tolist()))
