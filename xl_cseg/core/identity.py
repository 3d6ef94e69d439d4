"""When two customers in different territories are the same customer: the same customer number,
or names that are equal or one small typo apart once legal forms, case, punctuation, umlaut
spelling and word order are ignored.

The consolidation's duplicate search (``consolidate/duplicates.py``) finds the candidate pairs
fast; whether a pair is one customer is decided here.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable

import numpy as np
import pandas as pd

RATIO = 0.92  # difflib's similarity two name keys need to be one customer's
WORD_RATIO = 0.8  # and each word that differs, to its counterpart: a typo, not another word
MAX_TYPO = 3  # characters that may differ, all in one place
BY_ID, BY_NAME = "gleiche Kunden-Nr", "ähnlicher Name"  # why rows are listed as duplicates
BY_BOTH = "gleiche Kunden-Nr und ähnlicher Name"
PLACE_MARK = "\x1f"  # joins a name key and a place key into one compared key

LEGAL_FORMS = frozenset({
    "gmbh", "mbh", "co", "kg", "ag", "ohg", "gbr", "ug", "ek", "ev", "eg", "se", "kgaa", "ggmbh",
    "haftungsbeschraenkt", "ltd", "limited", "inc", "llc", "plc", "sarl", "sa", "bv", "nv",
    "gesellschaft", "und", "and", "u",
})
_DIGITS = re.compile(r"\d+")
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
    joined = "\0".join(texts)
    if joined.count("\0") != max(len(texts) - 1, 0):  # a NUL in a name (_x0000_): a space
        joined = "\0".join(t.replace("\0", " ") for t in texts)
    joined = joined.casefold()
    for old, new in _UMLAUTS:
        joined = joined.replace(old, new)
    joined = joined.encode().translate(_TABLE, _DROPPED).decode()
    keys = [" ".join(sorted(set(t.split()) - LEGAL_FORMS)) or None for t in joined.split("\0")]
    if len(texts) == len(names):
        return keys
    found = iter(keys)
    return [next(found) if isinstance(n, str) else None for n in names]


def similarity(a: str, b: str) -> float:
    """difflib's ratio of two keys (1.0: equal)."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def similar_names(a: str, b: str) -> bool:
    """Two name keys of one customer: a typo, not another branch (numbers must agree: "Filiale
    3" is not "Filiale 4"), not another place (places joined to the keys must be equal) and
    not another word ("duisburg" is no typo of "augsburg": each word that differs needs
    :data:`WORD_RATIO` to its counterpart)."""
    (a, place_a), (b, place_b) = _split(a), _split(b)
    if place_a != place_b or _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if similarity(a, b) < RATIO:
        return False
    only_a, only_b = set(a.split()) - set(b.split()), set(b.split()) - set(a.split())
    if only_a and only_b and len(only_a) == len(only_b):
        left = sorted(only_b)
        for word in sorted(only_a):
            best = max(left, key=lambda other: similarity(word, other))
            if similarity(word, best) < WORD_RATIO:
                return False
            left.remove(best)
    return True


def place_keys(postcodes: Iterable[object], cities: Iterable[object]) -> list[str | None]:
    """Where a customer is, for telling companies of one name apart: the postcode's digits
    when given (``"D-47051"`` -> ``"47051"``), else the city as a name key, else None."""
    out: list[str | None] = []
    city_keys = name_keys(list(cities))
    for code, city in zip(postcodes, city_keys):
        digits = "".join(ch for ch in str(code) if ch.isdigit()) if code is not None and \
            not (isinstance(code, float) and code != code) else ""
        if isinstance(code, float) and code == int(code):
            digits = str(int(code))
        out.append(digits or city or None)
    return out


def compared_keys(names: Iterable[str | None], places: Iterable[str | None]
                  ) -> list[str | None]:
    """Name keys with their place joined (``PLACE_MARK``) where one is known: equal names in
    different places are different customers."""
    return [None if n is None else (n if p is None else f"{n}{PLACE_MARK}{p}")
            for n, p in zip(names, places)]


def _split(key: str) -> tuple[str, str]:
    name, _mark, place = key.partition(PLACE_MARK)
    return name, place


def counted_once(row_group: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Rows that stay in totals that count each customer once: every row outside a group
    (``row_group`` 0) and, of each group of rows of one customer, the row with the highest
    revenue (the first such row on a tie)."""
    keep = row_group == 0
    grouped = np.flatnonzero(~keep)
    if len(grouped):
        frame = pd.DataFrame({"group": row_group[grouped],
                              "revenue": np.nan_to_num(revenue[grouped], nan=-1.0),
                              "row": grouped})
        best = frame.sort_values(["group", "revenue", "row"], ascending=[True, False, True],
                                 kind="stable").drop_duplicates("group")["row"].to_numpy()
        keep[best] = True
    return keep
