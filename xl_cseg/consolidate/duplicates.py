"""Customers found in several territories, as groups: rows with the same customer number or a
near-identical name in the same place (what counts as the same customer:
:mod:`xl_cseg.core.identity`) form one group, listed once with its territories and files.

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

from ..core.identity import (BY_BOTH, BY_ID, BY_NAME, MAX_TYPO, compared_keys, similar_names,
                             similarity)

WINDOW = 2  # neighbours compared in each sorted order
_WIDTH = 40  # characters of a key compared at each end
LISTED = 10  # values of a group listed in one cell before "… (n)"
GROUP_COLUMNS = ("group", "reason", "similarity", "customer_id", "name", "place",
                 "territories", "territory_count", "sources", "rows", "revenue", "codes")
GROUP_HEADERS = {"group": "Gruppe", "reason": "Grund", "similarity": "Ähnlichkeit",
                 "customer_id": "Kunden-Nr", "name": "Kunde", "place": "PLZ/Ort",
                 "territories": "Gebiete", "territory_count": "Anzahl Gebiete",
                 "sources": "Dateien", "rows": "Zeilen", "revenue": "Umsatz (alle Zeilen)",
                 "codes": "Segmente"}


@dataclass(frozen=True)
class Groups:
    """Customers found in several territories: one row per group (``GROUP_COLUMNS``) and each
    customer row's group number (0 for none)."""

    table: pd.DataFrame
    row_group: np.ndarray


def territory_codes(customers: pd.DataFrame) -> np.ndarray:
    """Each customer's territory as an integer code (-1 for none)."""
    return _factorized(customers["territory"])[0]


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


def find_groups(customers: pd.DataFrame, territory: np.ndarray | None = None) -> Groups:
    """Groups of customer rows that are one customer (the same number, or names equal or a
    typo apart in the same place: :mod:`core.identity`), listed when a group spans two
    territories or more. Rows joined by number and by name are one group. Linear in the rows
    but for sorting the distinct name keys."""
    count = len(customers)
    if territory is None:
        territory = territory_codes(customers)
    ids, _id_keys = _factorized(customers["customer_id"])
    places = customers["place_key"] if "place_key" in customers else \
        pd.Series([None] * count, dtype=object)
    compared = np.array(compared_keys(customers["name_key"].tolist(), places.tolist()),
                        dtype=object) if count else np.array([], dtype=object)
    names, keys = _factorized(pd.Series(compared, dtype=object))
    key_codes = names  # before typos join them
    similar = _similar_keys(keys, name_index(keys))
    if similar:  # codes of keys with a representative point to the representative's code
        remap = np.arange(len(keys))
        remap[list(similar)] = list(similar.values())
        names = np.where(names >= 0, remap[names], -1)
    label = _components(ids, names, count)
    known = territory >= 0
    width = int(territory.max(initial=0)) + 1
    spread = np.zeros(count, dtype=np.int64)
    if count:
        pairs = pd.unique(label[known].astype(np.int64) * width + territory[known])
        spread = np.bincount(pairs // width, minlength=count)
    listed = np.flatnonzero(spread[label] >= 2)
    row_group = np.zeros(count, dtype=np.int64)
    if not len(listed):
        return Groups(pd.DataFrame(columns=list(GROUP_COLUMNS)), row_group)
    crossing_id = _crossing(ids, territory, listed)
    crossing_name = _crossing(names, territory, listed)
    rows = customers.iloc[listed]
    frame = pd.DataFrame({
        "label": label[listed], "customer_id": rows["customer_id"].to_numpy(dtype=object),
        "name": rows["name"].to_numpy(dtype=object), "place": places.iloc[listed].to_numpy(),
        "territory": rows["territory"].to_numpy(dtype=object),
        "source": rows["source"].to_numpy(dtype=object),
        "revenue": pd.to_numeric(rows["revenue"], errors="coerce").to_numpy(dtype=float),
        "code": rows["code"].to_numpy(dtype=object), "by_id": crossing_id,
        "by_name": crossing_name, "key_code": key_codes[listed], "name_code": names[listed]})
    by = frame.groupby("label", sort=False)
    # names' similarity: among the distinct keys of rows joined by name (few per group)
    linked = frame.loc[frame["by_name"], ["label", "name_code", "key_code"]].drop_duplicates()
    linked["key"] = keys[linked["key_code"].to_numpy()] if len(linked) else []
    alike = linked.groupby(["label", "name_code"])["key"].agg(_least_similarity)\
        .groupby(level=0).min()
    table = pd.DataFrame({"rows": by.size(), "revenue": by["revenue"].sum(),
                          "by_id": by["by_id"].any(), "by_name": by["by_name"].any()})
    labels = frame["label"].to_numpy()
    for column, values, separator in (("customer_id", "customer_id", ", "),
                                      ("name", "name", " | "), ("place", "place", ", "),
                                      ("territories", "territory", ", "),
                                      ("sources", "source", ", "), ("codes", "code", ", ")):
        texts, counts = _listings(labels, frame[values].to_numpy(dtype=object), separator)
        table[column] = texts.reindex(table.index).fillna("")
        if column == "territories":
            table["territory_count"] = counts.reindex(table.index).fillna(0).astype(int)
    table["similarity"] = alike.reindex(table.index)
    table["reason"] = np.select([table["by_id"] & table["by_name"], table["by_id"]],
                                [BY_BOTH, BY_ID], BY_NAME)
    table.loc[~table["by_name"], "similarity"] = np.nan
    table = table.sort_values(["territory_count", "revenue"], ascending=False, kind="stable")
    table["group"] = np.arange(1, len(table) + 1)
    number = pd.Series(table["group"].to_numpy(), index=table.index)
    row_group[listed] = number.reindex(label[listed]).to_numpy()
    return Groups(table.reset_index(drop=True)[list(GROUP_COLUMNS)], row_group)


def _components(ids: np.ndarray, names: np.ndarray, count: int) -> np.ndarray:
    """Each row's component (its smallest row position) in the graph whose edges join rows of
    one number and rows of one name code."""
    label = np.arange(count)
    with_id = np.flatnonzero(ids >= 0)
    if len(with_id):
        first = np.full(int(ids.max()) + 1, count, dtype=np.int64)
        np.minimum.at(first, ids[with_id], with_id)
        label[with_id] = first[ids[with_id]]
    with_name = np.flatnonzero(names >= 0)
    if not len(with_name):
        return label
    pairs = pd.DataFrame({"name": names[with_name], "label": label[with_name]})\
        .drop_duplicates().sort_values(["name", "label"], kind="stable")
    name, group = pairs["name"].to_numpy(), pairs["label"].to_numpy()
    same = np.flatnonzero(name[1:] == name[:-1])  # a name touching several number groups
    if not len(same):
        return label
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            parent[i] = parent.get(parent[i], parent[i])
            i = parent[i]
        return i

    for a, b in zip(group[same].tolist(), group[same + 1].tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    remap = np.arange(count)
    touched = np.array(list(parent), dtype=np.int64)
    remap[touched] = [root(int(i)) for i in touched]
    return remap[label]


def _crossing(codes: np.ndarray, territory: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For ``rows``: whether their code (number or name) occurs in two territories or more."""
    known = (codes >= 0) & (territory >= 0)
    size = int(codes.max(initial=-1)) + 1
    if not size:
        return np.zeros(len(rows), dtype=bool)
    width = int(territory.max(initial=0)) + 1
    pairs = pd.unique(codes[known].astype(np.int64) * width + territory[known])
    spread = np.bincount(pairs // width, minlength=size) >= 2
    return (codes[rows] >= 0) & spread[np.maximum(codes[rows], 0)]


def _listings(labels: np.ndarray, values: np.ndarray, separator: str = ", "
              ) -> tuple[pd.Series, pd.Series]:
    """Per group label: its distinct values as text, sorted, once each ("Nord, Süd"; beyond
    :data:`LISTED` "… (n)"), and how many there are. Each distinct value is converted and
    ranked once; the (label, value) pairs are made distinct as integers."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([str(u).strip() for u in uniques], dtype=object)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[np.argsort(texts.astype(str), kind="stable")] = np.arange(len(texts))
    usable = np.flatnonzero(codes >= 0)
    usable = usable[texts[codes[usable]] != ""] if len(usable) else usable
    if not len(usable):
        empty = pd.Series(dtype=object)
        return empty, pd.Series(dtype=np.int64)
    width = max(len(texts), 1)
    pairs = np.unique(labels[usable].astype(np.int64) * width + rank[codes[usable]])
    pair_label, pair_rank = np.divmod(pairs, width)
    by_rank = np.empty(len(texts), dtype=object)
    by_rank[rank] = texts
    starts = np.flatnonzero(np.r_[True, pair_label[1:] != pair_label[:-1]])
    ends = np.r_[starts[1:], len(pairs)]
    out, counts = {}, {}
    for start, end in zip(starts.tolist(), ends.tolist()):
        shown = by_rank[pair_rank[start:min(end, start + LISTED)]].tolist()
        label = int(pair_label[start])
        counts[label] = end - start
        out[label] = separator.join(shown) + (f" … ({end - start})" if end - start > LISTED
                                              else "")
    return pd.Series(out, dtype=object), pd.Series(counts, dtype=np.int64)


def _least_similarity(keys: pd.Series) -> float:
    """How alike the group's names are: the least similarity of a distinct key to the
    smallest one (1.0: all equal)."""
    found = sorted({k for k in keys if isinstance(k, str)})
    if len(found) < 2:
        return 1.0
    return min(similarity(found[0], k) for k in found[1:])


def _factorized(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for blank) and distinct values; hashed as plain objects (faster than text
    columns' own factorize)."""
    return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)


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
