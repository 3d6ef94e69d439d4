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
WINDOW = 3  # neighbours compared in each sorted order
MAX_TYPO = 3
_WIDTH = 64  # bytes of a key compared at each end
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
    keys = customers["name_key"]
    similar = _similar_keys(keys.dropna().unique())
    groups = [_groups(customers, customers["customer_id"], BY_ID),
              _groups(customers, keys.map(similar).fillna(keys), BY_NAME)]
    found = pd.concat(groups, ignore_index=True)
    return found.reindex(columns=list(DUPLICATE_COLUMNS))


def _groups(customers: pd.DataFrame, key: pd.Series, reason: str) -> pd.DataFrame:
    valid = key.notna().to_numpy()
    territories = customers["territory"][valid].groupby(key[valid].to_numpy()).transform("nunique")
    rows = territories.index[territories.to_numpy() > 1]
    found = customers.loc[rows].assign(reason=reason, key=key[rows])
    return found.sort_values(["key", "territory", "source", "row"], kind="stable")


def _similar_keys(keys: np.ndarray) -> dict[str, str]:
    """Key -> representative key for keys joined by a small typo (only keys that have one)."""
    if len(keys) < 2:
        return {}
    front = _fixed(keys)
    back = _fixed([k[::-1] for k in keys])
    lengths = np.fromiter((len(k.encode()) for k in keys), dtype=np.int64, count=len(keys))
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    for order in (np.argsort(front.view(f"S{_WIDTH}").ravel(), kind="stable"),
                  np.argsort(back.view(f"S{_WIDTH}").ravel(), kind="stable")):
        for step in range(1, min(WINDOW, len(keys) - 1) + 1):
            a, b = order[:-step], order[step:]
            for i, j in zip(*_candidates(front, back, lengths, a, b)):
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


def _fixed(keys) -> np.ndarray:
    """Keys as rows of ``_WIDTH`` UTF-8 bytes, zero padded."""
    data = b"".join(k.encode()[:_WIDTH].ljust(_WIDTH, b"\0") for k in keys)
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, _WIDTH)


def _common(rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    equal = rows[a] == rows[b]
    return np.where(equal.all(axis=1), _WIDTH, equal.argmin(axis=1))


def _candidates(front: np.ndarray, back: np.ndarray, lengths: np.ndarray, a: np.ndarray,
                b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose keys differ in at most MAX_TYPO bytes between a common prefix and suffix."""
    prefix = _common(front, a, b)
    shorter = np.minimum(lengths[a], lengths[b])
    suffix = np.minimum(_common(back, a, b), shorter - np.minimum(prefix, shorter))
    middle = np.maximum(lengths[a], lengths[b]) - prefix - suffix
    keep = (middle <= MAX_TYPO) & (shorter >= 4)
    return a[keep], b[keep]
