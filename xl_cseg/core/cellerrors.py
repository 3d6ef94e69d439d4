"""Excel's error values: one table, read by every source's converter and by the number rules.

Each error has its code as files and xlwings write it (``#N/A``), the text a German Excel shows
(``#NV``) and its ``xlErr`` number (COM delivers an error cell as the HRESULT
``0x800A0000 + number``, e.g. ``-2146826246`` for ``#N/A``).
"""

from __future__ import annotations

from typing import NamedTuple


class ExcelError(NamedTuple):
    code: str  # as stored in a file (<c t="e"><v>#N/A</v>) and as xlwings' err_to_str gives it
    german: str  # as a German Excel shows and accepts it
    number: int  # xlErr constant (XlCVError)

    @property
    def com(self) -> int:
        """The value pywin32 delivers for the error cell (HRESULT 0x800A0000 + number)."""
        return COM_ERROR_BASE + self.number


COM_ERROR_BASE = -2146828288  # 0x800A0000 as a signed 32-bit integer

ERRORS: tuple[ExcelError, ...] = (
    ExcelError("#NULL!", "#NULL!", 2000),
    ExcelError("#DIV/0!", "#DIV/0!", 2007),
    ExcelError("#VALUE!", "#WERT!", 2015),
    ExcelError("#REF!", "#BEZUG!", 2023),
    ExcelError("#NAME?", "#NAME?", 2029),
    ExcelError("#NUM!", "#ZAHL!", 2036),
    ExcelError("#N/A", "#NV", 2042),
    ExcelError("#GETTING_DATA", "#DATEN_ABRUFEN", 2043),
    ExcelError("#SPILL!", "#ÜBERLAUF!", 2045),
    ExcelError("#CONNECT!", "#VERBINDEN!", 2046),
    ExcelError("#BLOCKED!", "#BLOCKIERT!", 2047),
    ExcelError("#UNKNOWN!", "#UNBEKANNT!", 2048),
    ExcelError("#FIELD!", "#FELD!", 2049),
    ExcelError("#CALC!", "#KALK!", 2050),
)

BY_CODE = {e.code: e for e in ERRORS}
BY_COM = {e.com: e for e in ERRORS}
# what a user may type or another tool may write for an error, upper-cased: the code, the German
# text, and "#NA" (a common way of typing #N/A)
BY_TEXT = {**{e.german.upper(): e for e in ERRORS}, **{e.code: e for e in ERRORS},
           "#NA": BY_CODE["#N/A"]}


def german(code: str) -> str:
    """The error as a German user sees it (``#N/A`` -> ``#NV``); unknown codes as they are."""
    found = BY_CODE.get(code)
    return found.german if found is not None else code


def from_text(text: str) -> str | None:
    """The code of an error written as text (``#NV``, ``#n/a``, `` #WERT! ``), else None."""
    found = BY_TEXT.get(text.strip().upper())
    return found.code if found is not None else None


def from_com(value: object) -> str | None:
    """The code of a COM error value (an ``int`` such as ``-2146826246``), else None."""
    found = BY_COM.get(value) if type(value) is int else None  # type: ignore[call-overload]
    return found.code if found is not None else None
