"""Customers found in several territories: the same customer number or a near-identical name.

Names are compared by a key that ignores case, punctuation, umlaut spelling, legal forms
(GmbH, KG, AG, ...) and word order. Small typos (up to :data:`MAX_TYPO` characters differing in
one place) join two keys when difflib's ratio is at least :data:`RATIO`; candidates are the
neighbours in the sorted order of the keys and of the reversed keys, so the work grows with
n log n, not n².
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable

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
    keys = iter(" ".join(sorted(set(t.split()) - LEGAL_FORMS)) or None
                for t in joined.split("\0"))
    return [next(keys) if isinstance(n, str) else None for n in names]


def find_duplicates(customers: pd.DataFrame) -> pd.DataFrame:
    """Rows (``DUPLICATE_COLUMNS``) of customers whose number or name occurs in several
    territories; ``customers`` holds territory, source, row, customer_id, name, name_key,
    revenue and code."""
    keys = customers["name_key"].astype(object)
    similar = _similar_keys(keys.dropna().unique())
    if similar:
        keys = keys.map(similar).astype(object).fillna(keys)
    found = pd.concat([_groups(customers, customers["customer_id"], BY_ID),
                       _groups(customers, keys, BY_NAME)], ignore_index=True)
    return found.reindex(columns=list(DUPLICATE_COLUMNS))


def _groups(customers: pd.DataFrame, key: pd.Series, reason: str) -> pd.DataFrame:
    pairs = pd.DataFrame({"key": key, "territory": customers["territory"]}).dropna()
    keys = pairs.drop_duplicates()["key"]
    rows = key.isin(keys[keys.duplicated()].unique()).to_numpy()
    found = customers[rows].assign(reason=reason, key=key[rows])
    return found.sort_values(["key", "territory", "source", "row"], kind="stable")


def _similar_keys(keys: np.ndarray) -> dict[str, str]:
    """Key -> representative key for keys joined by a small typo (only keys that have one)."""
    keys = np.asarray(keys, dtype=object)
    if len(keys) < 2:
        return {}
    # ASCII bytes, truncated: other characters become "?", difflib judges the real keys
    front = np.array([k.encode("ascii", "replace") for k in keys], dtype=f"S{_WIDTH}")
    back = np.array([k[::-1].encode("ascii", "replace") for k in keys], dtype=f"S{_WIDTH}")
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    front_points, back_points = _columns(front), _columns(back)
    for order in (np.argsort(front), np.argsort(back)):
        for step in range(1, min(WINDOW, len(keys) - 1) + 1):
            a, b = order[:-step], order[step:]
            for i, j in zip(*_candidates(front_points, back_points, lengths, a, b)):
                if _similar(keys[i], keys[j]):
                    parent[root(i)] = root(j)
    if not parent:
        return {}
    members: dict[int, list[int]] = {}
    for i in set(parent) | set(parent.values()):
        members.setdefault(root(i), []).append(i)
    out: dict[str, str] = {}
    for group in members.values():
        first = min(keys[i] for i in group)
        out.update({keys[i]: first for i in group})
    return out


def _similar(a: str, b: str) -> bool:
    """A typo, not another branch: numbers must agree ("Filiale 3" is not "Filiale 4")."""
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= RATIO


def _columns(texts: np.ndarray) -> np.ndarray:
    """Fixed-width byte strings as one row per character position (zero padded)."""
    return np.ascontiguousarray(texts.view(np.uint8).reshape(len(texts), -1).T)


def _common(columns: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Length of the common start of texts ``a[k]`` and ``b[k]`` (padding counts as equal)."""
    length = np.zeros(len(a), dtype=np.int64)
    alive = np.arange(len(a))
    for column in columns:
        alive = alive[column[a[alive]] == column[b[alive]]]
        if not len(alive):
            break
        length[alive] += 1
    return length


def _candidates(front: np.ndarray, back: np.ndarray, lengths: np.ndarray, a: np.ndarray,
                b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose keys differ in at most MAX_TYPO characters between a common prefix and
    suffix."""
    prefix = _common(front, a, b)
    shorter = np.minimum(lengths[a], lengths[b])
    suffix = np.minimum(_common(back, a, b), shorter - np.minimum(prefix, shorter))
    middle = np.maximum(lengths[a], lengths[b]) - prefix - suffix
    keep = (middle <= MAX_TYPO) & (shorter >= 4)
    return a[keep], b[keep]
