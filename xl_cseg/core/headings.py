"""What a column header says once the words people add to it are set aside.

``Potenzial (geschätzt)``, ``Potenzial EUR``, ``Potenzial p.a.``, ``Geschätztes Potenzial`` all
say ``potenzial``; ``Umsatz 2025 netto`` and ``Jahresumsatz 2025`` say revenue of 2025;
``Umsatz in T€`` says revenue in thousands (its values are scaled). The reader matches the
remaining key against its aliases; :func:`closeness` ranks near misses for the message that
suggests a mapping.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

# words that qualify an amount but do not change which field it is
FILLER = frozenset((
    "eur", "euro", "in", "netto", "brutto", "gesamt", "insgesamt", "geschaetzt",
    "geschaetzte", "geschaetzter", "geschaetztes", "ca", "circa", "pa", "jaehrlich", "betrag",
))
# a unit of a thousand or a million in a header: the column's values are scaled
SCALES = (
    (1e3, re.compile(r"\bt\s*(?:€|eur)|\bteur\b|\btsd\b|\btausend\b|\bk\s*(?:€|eur)|\bkeur\b")),
    (1e6, re.compile(r"\bmio\b|\bmillionen\b|\bmeur\b")),
)
_PA = re.compile(r"\bp\s*\.?\s*a\b\.?")
_YEAR = re.compile(r"^(?:19[89]\d|20\d\d)$")
_TOKEN = re.compile(r"[a-z0-9]+")
# headers that name revenue and, with a year, which year's
REVENUE_WORDS = frozenset(("umsatz", "revenue", "sales", "nettoumsatz", "jahresumsatz",
                           "umsatzerloese", "erloese", "erloes", "bruttoumsatz", "turnover"))


@dataclass(frozen=True)
class Heading:
    key: str  # letters and digits that remain ("potenzial", "umsatzvj")
    year: int | None = None  # a year in the header (the last one)
    scale: float = 1.0  # 1000 for T€/Tsd., 1e6 for Mio.


def folded(text: object) -> str:
    """Lower case, umlauts and ß spelled out, accents dropped."""
    s = str(text if text is not None else "").strip().casefold()
    s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFKD", s)
                   if not unicodedata.combining(ch))


def read_heading(text: object) -> Heading:
    """The key, year and unit of a header text."""
    s = folded(text)
    scale = 1.0
    for factor, pattern in SCALES:
        if pattern.search(s):
            scale, s = factor, pattern.sub(" ", s)
            break
    s = _PA.sub(" ", s.replace("€", " "))
    tokens = _TOKEN.findall(s)
    year = None
    kept = []
    for token in tokens:
        if _YEAR.match(token):
            year = int(token)
        elif token not in FILLER:
            kept.append(token)
    if not kept:  # nothing but qualifiers ("Gesamt", "EUR"): the words themselves
        kept = [t for t in tokens if not _YEAR.match(t)]
    return Heading("".join(kept), year, scale)


def closeness(key: str, alias: str) -> float:
    """How much header key ``key`` looks like ``alias`` (0..1): shared letters, and an
    abbreviation (``pot`` for ``potenzial``, ``kdnr`` for ``kundennr``) counts high."""
    if not key or not alias:
        return 0.0
    ratio = difflib.SequenceMatcher(None, key, alias).ratio()
    if len(key) >= 3 and (alias.startswith(key) or key.startswith(alias)):
        ratio = max(ratio, 0.8)
    return ratio
