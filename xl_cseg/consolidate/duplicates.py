"""Customers found in several territories: the same customer number or a near-identical name
(what counts as the same customer: :mod:`xl_cseg.core.identity`).

Candidates for a typo are the neighbours in the sorted order of the name keys and of the
reversed keys, so the work grows with n log n, not n²; each candidate pair differs in at most
:data:`~xl_cseg.core.identity.MAX_TYPO` characters between a common start and end before
:func:`~xl_cseg.core.identity.similar_names` judges it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.identity import BY_ID, BY_NAME, MAX_TYPO, similar_names

WINDOW = 2  # neighbours compared in each sorted order
_WIDTH = 40  # characters of a key compared at each end
DUPLICATE_COLUMNS = ("reason", "key", "territory", "source", "row", "customer_id", "name",
                     "revenue", "code")


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
    characters "?") with their lengths."""

    front: np.ndarray  # S40
    back: np.ndarray  # S40, the key reversed
    lengths: np.ndarray  # int64, 0 for no key


def name_index(keys: np.ndarray) -> NameIndex:
    """The index of ``keys`` (None for none)."""
    texts = [k if type(k) is str else "" for k in keys.tolist()]
    joined = "\n".join(texts)  # keys hold no line breaks (words joined by spaces)
    ends = [joined.encode("ascii", "replace"), joined[::-1].encode("ascii", "replace")]
    front, back = (np.array(e.split(b"\n") if texts else [], dtype=f"S{_WIDTH}") for e in ends)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return NameIndex(front, back[::-1], lengths)


def by_name(customers: pd.DataFrame, territory: np.ndarray) -> pd.DataFrame:
    """Customers whose name key, or one a typo away, occurs in several territories. Its sorts
    and comparisons run mostly without the GIL: a thread beside other work suits it."""
    codes, keys = _factorized(customers["name_key"])
    similar = _similar_keys(keys, name_index(keys))
    if similar:  # codes of keys with a representative point to the representative's code
        remap = np.arange(len(keys))
        remap[list(similar)] = list(similar.values())
        codes = np.where(codes >= 0, remap[codes], -1)
    return _groups(customers, codes, keys, territory, BY_NAME)


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
        by_end = pool.submit(np.argsort, index.back, kind="stable")
        orders = [np.argsort(index.front, kind="stable"), by_end.result()]  # by start, by end
    for order in orders:
        # np.take gathers columns about twice as fast as fancy indexing does
        ahead, behind = np.take(front_words, order, axis=1), np.take(back_words, order, axis=1)
        size = lengths[order]
        for step in range(1, min(WINDOW, len(keys) - 1) + 1):
            for i, j in _candidates(ahead, behind, size, step):
                i, j = int(order[i]), int(order[j])
                if similar_names(keys[i], keys[j]):
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
