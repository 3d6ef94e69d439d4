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

RATIO = 0.92  # difflib's similarity two name keys need to be one customer's
MAX_TYPO = 3  # characters that may differ, all in one place
BY_ID, BY_NAME = "gleiche Kunden-Nr", "ähnlicher Name"  # why rows are listed as duplicates

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
    joined = "\0".join(texts).casefold()
    for old, new in _UMLAUTS:
        joined = joined.replace(old, new)
    joined = joined.encode().translate(_TABLE, _DROPPED).decode()
    keys = [" ".join(sorted(set(t.split()) - LEGAL_FORMS)) or None for t in joined.split("\0")]
    if len(texts) == len(names):
        return keys
    found = iter(keys)
    return [next(found) if isinstance(n, str) else None for n in names]


def similar_names(a: str, b: str) -> bool:
    """Two name keys of one customer: a typo, not another branch (numbers must agree: "Filiale
    3" is not "Filiale 4")."""
    if _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= RATIO
