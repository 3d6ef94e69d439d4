"""German texts for numbers: amounts, percentages, plain numbers, counts and dates.

Every German figure a user reads (the CLI, the ribbon's summaries, the sheets' texts, the
worksheet functions' messages, the row checks) is written here, so that the same figure reads
the same everywhere::

    amount(14000.0)   -> "14.000 €"       amount(14000.5) -> "14.000,50 €"
    percent(0.125)    -> "12,5 %"         percent(0.1)    -> "10 %"
    number(3.5, 1)    -> "3,5"            number(1234.0)  -> "1.234"
    count(2, "Datei", "Dateien") -> "2 Dateien"           date(d) -> "30.06.2026"

Rounding policy (one for all): a figure is rounded to the decimals its text shows, to the
nearest; a figure exactly halfway, as written in its shortest decimal form (``repr``), is
rounded away from zero ("kaufmännisch", as Excel shows a cell: 2,675 -> 2,68, 0,125 -> 0,13).
The decimals shown:

- amounts in euros: to the cent, ",00" left out for whole euros (never one decimal);
- percentages: up to one decimal (``decimals`` for more), a trailing ",0" left out;
- plain numbers: up to ``decimals`` (default 0), trailing zeros after the comma left out;
- counts: whole numbers with thousands points.

Thousands are grouped with ".", the decimal sign is ",", a negative figure starts with "-".
Pure functions: no locale, no clock.
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

import numpy as np

_SEPARATORS = str.maketrans(",.", ".,")
_STEPS = tuple(Decimal(1).scaleb(-n) for n in range(11))  # 1, 0.1, 0.01, ...
_EXACT = Context(prec=400)  # digits for the largest double (1.8e308) to the tenth decimal


def _rounded(value: float, decimals: int, scale: int = 0) -> Decimal:
    """``value`` x 10**scale, rounded half away from zero at ``decimals`` (exact decimals)."""
    exact = Decimal(repr(float(value))).scaleb(scale)
    return exact.quantize(_STEPS[decimals], rounding=ROUND_HALF_UP, context=_EXACT)


def _grouped(number: Decimal, decimals: int, strip: bool) -> str:
    text = f"{number:,.{decimals}f}".translate(_SEPARATORS)
    if strip and decimals:
        text = text.rstrip("0").rstrip(",")
    return "0" if text == "-0" else text


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return None


@lru_cache(maxsize=4096)  # amounts repeat (potentials are estimates in round figures)
def amount(value: float) -> str:
    """Euros: ``14.000 €``, ``14.000,50 €``, ``-5 €``."""
    special = _special(value)
    if special:
        return f"{special} €"
    cents = _rounded(value, 2)
    whole = cents == cents.to_integral_value()
    return f"{_grouped(cents, 0 if whole else 2, strip=False)} €"


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.125`` -> ``12,5 %``, ``0.1`` -> ``10 %``."""
    special = _special(fraction)
    if special:
        return f"{special} %"
    return f"{_grouped(_rounded(fraction, decimals, scale=2), decimals, strip=True)} %"


def percents(fractions: np.ndarray, decimals: int = 1) -> list[str]:
    """:func:`percent` of each of many fractions: the same texts, rounded in numpy (a figure
    within a millionth of a step of a tie is decided by :func:`percent` itself)."""
    scaled = np.asarray(fractions, dtype=float) * 10.0 ** (decimals + 2)
    with np.errstate(invalid="ignore"):
        unsure = ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0 ** 52) \
            | (np.abs(np.abs(scaled) % 1 - 0.5) < 1e-6)
    steps = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    texts = {s: f"{_grouped(Decimal(int(s)).scaleb(-decimals), decimals, strip=True)} %"
             for s in np.unique(steps[~unsure]).tolist()}
    return [percent(f, decimals) if u else texts[s]
            for f, s, u in zip(np.asarray(fractions, dtype=float).tolist(), steps.tolist(),
                               unsure.tolist())]


def number(value: float, decimals: int = 0) -> str:
    """A plain number: ``1.234``, ``3,5`` (up to ``decimals``, trailing zeros left out)."""
    special = _special(float(value))
    if special:
        return special
    return _grouped(_rounded(value, decimals), decimals, strip=True)


def count(n: int, one: str, many: str) -> str:
    """A count with the noun in its grammatical number: ``1 Datei``, ``2.000 Dateien``."""
    return f"{number(n)} {one if n == 1 else many}"


def date(day: _dt.date) -> str:
    """``30.06.2026``."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"
