"""Turning cell values into numbers: German formats, text numbers, error cells, dates."""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

from . import cellerrors, german


@dataclass(frozen=True)
class CellError:
    """An Excel error value (``#N/A``, ``#DIV/0!``, ...) as read from a cell."""

    code: str

    def __str__(self) -> str:
        return self.code


class UncachedFormula(CellError):
    """A formula cell whose file holds no computed value (saved by a tool that cannot calculate)."""


_CURRENCY = re.compile(r"(?i)(€|eur(?:o)?)")
# units of a thousand or a million written beside an amount ("3,5 T€", "12 Tsd.", "1,2 Mio. €")
_SCALE_WORDS = (
    (1e3, r"t\s*€|teur|t\s*eur|tsd\.?|tausend|k\s*€|keur|k"),
    (1e6, r"mio\.?|millionen|meur|m\s*€"),
    (1e9, r"mrd\.?|milliarden"),
)
_SCALES = [(factor, re.compile(rf"(?i)^(.*?\d[\d.,)\s\u00a0\u202f-]*?)\s*(?:{words})\s*(?:€|eur(?:o)?)?"
                                r"\s*$"))
           for factor, words in _SCALE_WORDS]
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN = re.compile(r"^[+-]?\d+$")
_GERMAN = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$|^[+-]?\d+,\d+$")
_ENGLISH = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$|^[+-]?\d*\.\d+$")


def error_label(code: str) -> str:
    """Excel error code as a German user sees it (``#N/A`` -> ``#NV``)."""
    return cellerrors.german(code)


def parse_number(raw: Any) -> tuple[float | None, str | None]:
    """Parse one cell value. Returns ``(value, None)``, ``(None, None)`` for blank, or an error.

    Accepts numbers, and text such as ``14.000,50 €``, ``1.234`` (German thousands),
    ``1,5``, ``1,234.50``, ``12 %``, ``(500)`` and ``500-`` (negative). Rejects booleans, dates,
    error values and words with a German message (``"vierzehn" ist keine Zahl``).
    """
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, f'„{"WAHR" if raw else "FALSCH"}“ ist ein Wahrheitswert, keine Zahl'
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value):
            return None, None
        if math.isinf(value):
            return None, "unendlicher Wert ist keine Zahl"
        return value, None
    if isinstance(raw, UncachedFormula):
        return None, (f"Formel {raw.code} ohne gespeichertes Ergebnis: bitte die Datei in Excel "
                      "öffnen und speichern")
    if isinstance(raw, CellError):
        return None, f"Fehlerwert {error_label(raw.code)} statt einer Zahl"
    if isinstance(raw, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
        shown = german.date(raw) if isinstance(raw, _dt.date) else str(raw)
        return None, f"{shown} ist ein Datum, keine Zahl"
    text = str(raw)
    value = parse_number_text(text)
    if value is None:
        stripped = text.strip()
        if not stripped:
            return None, None
        code = cellerrors.from_text(stripped)
        if code is not None:
            return None, f"Fehlerwert {error_label(code)} statt einer Zahl"
        return None, f'„{_shorten(stripped)}“ ist keine Zahl'
    return value, None


def number_scale(text: str) -> tuple[str, float]:
    """An amount's text without a unit of a thousand or a million, and that unit's factor:
    ``"3,5 T€"`` -> ``("3,5", 1000.0)``, ``"1,2 Mio. €"`` -> ``("1,2", 1e6)``, else factor 1."""
    for factor, pattern in _SCALES:
        match = pattern.match(text.strip())
        if match:
            return match.group(1), factor
    return text, 1.0


def parse_number_text(text: str) -> float | None:
    """Number written as text, or None when the text is no number; a unit of a thousand or a
    million scales it (``"3,5 T€"`` -> 3500)."""
    text, factor = number_scale(text)
    value = _number_text(text)
    return value * factor if value is not None and factor != 1.0 else value


def _number_text(text: str) -> float | None:
    s = _SPACES.sub("", _CURRENCY.sub("", text))
    if not s:
        return None
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    elif s.endswith("-") and len(s) > 1:
        negative, s = True, s[:-1]
    if s.startswith("−"):  # typographic minus
        s = "-" + s[1:]
    if _PLAIN.match(s):
        number = float(s)
    elif _GERMAN.match(s):
        number = float(s.replace(".", "").replace(",", "."))
    elif _ENGLISH.match(s):
        number = float(s.replace(",", ""))
    else:
        return None
    if negative:
        number = -number
    return number / 100.0 if percent else number


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalize_id(raw: Any) -> str | None:
    """Customer number as text: 1001.0 -> "1001", " K-17 " -> "K-17", blank -> None."""
    if raw is None or isinstance(raw, CellError):
        return None
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, int):
        return str(raw)
    text = str(raw).strip()
    return text or None


def percent_points(value: float) -> float:
    """A fraction from a cell that should hold a percentage: a whole number above 1 ("10" typed
    into a cell without % format, or "150") means that many percent; any other value is taken as
    it is (a % cell holds 1.5 for 150 %); the caller's range check refuses what is above 100 %."""
    if value > 1 and value == int(value):
        return value / 100.0
    return value

