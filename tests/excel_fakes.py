"""A stand-in for an Excel workbook as xlwings shows it (books, sheets, ranges, tables, names,
COM errors), for the tests of the open-book backend and of the ribbon macros."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from xl_cseg.io.source import FileSource
from xl_cseg.xlsx.cellref import a1, parse_range

ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
DEFAULT_FONT = {"name": "Calibri", "size": 11.0, "bold": False, "italic": False, "color": (0, 0, 0)}


# -- the fake ---------------------------------------------------------------------------------
class Err:
    """An error value in a cell."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Err) and other.code == self.code

    def __repr__(self) -> str:
        return f"Err({self.code})"


class ComError(Exception):
    pass


def _constant_text(value: Any) -> str:
    """What Excel's .Formula shows for a constant."""
    if value is None:
        return ""
    if isinstance(value, Err):
        return value.code
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    return str(value)


class FakeFont:
    def __init__(self, rng: "FakeRange") -> None:
        object.__setattr__(self, "_rng", rng)

    def __getattr__(self, key: str) -> Any:
        sheet, (r, c) = self._rng.sheet, self._rng.cells()[0]
        return sheet.fonts.get((r, c), DEFAULT_FONT)[key]

    def __setattr__(self, key: str, value: Any) -> None:
        sheet = self._rng.sheet
        sheet.book.log.append(("font", sheet.name, self._rng.address))
        for rc in self._rng.cells():
            sheet.fonts[rc] = {**sheet.fonts.get(rc, DEFAULT_FONT), key: value}


class FakeRange:
    def __init__(self, sheet: "FakeSheet", r0: int, c0: int, r1: int, c1: int,
                 options: dict | None = None) -> None:
        self.sheet, self.r0, self.c0, self.r1, self.c1 = sheet, r0, c0, r1, c1
        self._options = options or {}

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r0, self.r1 + 1) for c in range(self.c0, self.c1 + 1)]

    def options(self, **options: Any) -> "FakeRange":
        return FakeRange(self.sheet, self.r0, self.c0, self.r1, self.c1, options)

    @property
    def address(self) -> str:
        first, last = (re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", a1(r, c))
                       for r, c in ((self.r0, self.c0), (self.r1, self.c1)))
        return first if first == last else f"{first}:{last}"

    @property
    def row(self) -> int:
        return self.r0 + 1

    @property
    def column(self) -> int:
        return self.c0 + 1

    @property
    def api(self) -> "FakeRangeApi":
        return FakeRangeApi(self)

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self.sheet, self.r1, self.c1, self.r1, self.c1)

    def _shape(self, rows: list[list[Any]]) -> Any:
        if self._options.get("ndim") == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows[0] if len(rows) == 1 else rows

    @property
    def value(self) -> Any:
        sheet = self.sheet
        sheet.book.log.append(("read", sheet.name, self.address))
        err_to_str = self._options.get("err_to_str", False)

        def get(rc: tuple[int, int]) -> Any:
            v = sheet.values.get(rc)
            if isinstance(v, Err):
                return v.code if err_to_str else None
            return v

        return self._shape([[get((r, c)) for c in range(self.c0, self.c1 + 1)]
                            for r in range(self.r0, self.r1 + 1)])

    @value.setter
    def value(self, data: Any) -> None:
        sheet = self.sheet
        sheet.book.write(("write", sheet.name, self.address))
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        assert len(rows) == self.r1 - self.r0 + 1 and all(
            len(row) == self.c1 - self.c0 + 1 for row in rows), "shape must match the range"
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                sheet.put((self.r0 + i, self.c0 + j), v)

    @property
    def formula(self) -> Any:
        sheet = self.sheet
        sheet.book.log.append(("formula", sheet.name, self.address))
        rows = tuple(tuple(sheet.formulas.get((r, c)) or _constant_text(sheet.values.get((r, c)))
                           for c in range(self.c0, self.c1 + 1))
                     for r in range(self.r0, self.r1 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.r0, self.c0), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.book.log.append(("format", self.sheet.name, self.address))
        for rc in self.cells():
            self.sheet.formats[rc] = value

    @property
    def color(self) -> Any:
        return self.sheet.colors.get((self.r0, self.c0))

    @color.setter
    def color(self, value: Any) -> None:
        for rc in self.cells():
            self.sheet.colors[rc] = value

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    def _merge_of(self, rc: tuple[int, int]) -> tuple[int, int, int, int] | None:
        return next((m for m in self.sheet.merges
                     if m[0] <= rc[0] <= m[2] and m[1] <= rc[1] <= m[3]), None)

    @property
    def merge_cells(self) -> bool | None:
        self.sheet.book.log.append(("merge", self.sheet.name, self.address))
        merged = [self._merge_of(rc) is not None for rc in self.cells()]
        return True if all(merged) else False if not any(merged) else None

    @property
    def merge_area(self) -> "FakeRange":
        m = self._merge_of((self.r0, self.c0))
        return FakeRange(self.sheet, *m) if m else self


class FakeRangeApi:
    """The COM side of a range: ``AutoFilter()`` without arguments toggles the sheet's filter
    like Excel's Range.AutoFilter (on over this range, or off when one is on)."""

    def __init__(self, rng: FakeRange) -> None:
        self._rng = rng

    def AutoFilter(self) -> None:  # noqa: N802 - COM name
        sheet = self._rng.sheet
        sheet.book.log.append(("autofilter", sheet.name, self._rng.address))
        if sheet.api.AutoFilterMode:
            sheet.api.AutoFilterMode = False
        else:
            sheet.autofilter = (self._rng.r0, self._rng.c0, self._rng.r1, self._rng.c1)


class FakeSheetApi:
    """The COM side of a worksheet: its autofilter (``AutoFilterMode``, ``FilterMode`` when
    criteria are set, ``AutoFilter.Range.Address``)."""

    def __init__(self, sheet: "FakeSheet") -> None:
        self._sheet = sheet
        self.FilterMode = False

    @property
    def AutoFilterMode(self) -> bool:  # noqa: N802 - COM name
        return self._sheet.autofilter is not None

    @AutoFilterMode.setter
    def AutoFilterMode(self, on: bool) -> None:  # noqa: N802 - COM name
        if not on:
            self._sheet.autofilter = None
            self.FilterMode = False

    @property
    def AutoFilter(self) -> Any:  # noqa: N802 - COM name
        com_range = type("Range", (), {"Address": FakeRange(self._sheet, *self._sheet.autofilter).address})
        return type("AutoFilter", (), {"Range": com_range()})()


class FakeTable:
    def __init__(self, sheet: "FakeSheet", name: str, ref: str, headers: bool = True,
                 totals: bool = False) -> None:
        self.sheet, self.name, self.ref = sheet, name, ref
        self.show_headers, self.show_totals = headers, totals

    @property
    def range(self) -> FakeRange:
        return self.sheet.range(self.ref)

    def resize(self, rng: FakeRange) -> None:
        self.sheet.book.write(("resize", self.sheet.name, rng.address))
        self.ref = rng.address.replace("$", "")


class Collection(list):
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(item for item in self if item.name == key)
        return super().__getitem__(key)


class SheetCollection(Collection):
    """``book.sheets``: also ``add(name, after=…)`` as xlwings has it (appended at the end)."""

    def __init__(self, book: "FakeBook") -> None:
        super().__init__()
        self.book = book

    def add(self, name: str | None = None, before: Any = None, after: Any = None) -> "FakeSheet":
        self.book.write(("add", name or "", ""))
        return self.book.add(name or f"Tabelle{len(self) + 1}")


class FakeSheet:
    def __init__(self, book: "FakeBook", name: str, visible: bool = True) -> None:
        self.book, self.name, self.visible = book, name, visible
        self.values: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.prefixed: set[tuple[int, int]] = set()
        self.formats: dict[tuple[int, int], str] = {}
        self.colors: dict[tuple[int, int], Any] = {}
        self.fonts: dict[tuple[int, int], dict] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.autofilter: tuple[int, int, int, int] | None = None  # (r0, c0, r1, c1)
        self.tables: Collection = Collection()
        self.api = FakeSheetApi(self)

    def range(self, first: Any, last: Any = None) -> FakeRange:
        if isinstance(first, str):
            (r0, c0), (r1, c1) = parse_range(first.replace("$", ""))
            return FakeRange(self, r0, c0, r1, c1)
        last = last or first
        return FakeRange(self, first[0] - 1, first[1] - 1, last[0] - 1, last[1] - 1)

    @property
    def used_range(self) -> FakeRange:
        used = set(self.values) | set(self.formulas)
        if not used:
            return FakeRange(self, 0, 0, 0, 0)
        return FakeRange(self, min(r for r, _ in used), min(c for _, c in used),
                         max(r for r, _ in used), max(c for _, c in used))

    def put(self, rc: tuple[int, int], v: Any) -> None:
        """Assign like Excel's Range.Value: text is parsed as if typed."""
        self.formulas.pop(rc, None)
        self.prefixed.discard(rc)
        self.values.pop(rc, None)
        if v is None or v == "":
            return
        if isinstance(v, str):
            if v.startswith("'"):
                self.values[rc] = v[1:]
                self.prefixed.add(rc)
                return
            if v.startswith("="):
                self.formulas[rc] = v
                self.values[rc] = self.book.results.get((self.name, v))
                return
            v = _typed(v)
        self.values[rc] = float(v) if type(v) is int else v

    def state(self) -> tuple:
        return (dict(self.values), dict(self.formulas), set(self.prefixed),
                [(t.name, t.ref) for t in self.tables])


def _typed(text: str) -> Any:
    """Excel's reading of typed text: errors, booleans, numbers, percentages."""
    if text in ERRORS:
        return Err(text)
    if text.strip().upper() in ("TRUE", "FALSE", "WAHR", "FALSCH"):
        return text.strip().upper() in ("TRUE", "WAHR")
    number = text.strip().replace(",", ".")
    try:
        return float(number[:-1]) / 100 if number.endswith("%") else float(number)
    except ValueError:
        return text


class FakeName:
    def __init__(self, name: str, refers_to: str, names: "FakeNames | None" = None) -> None:
        self.name, self.refers_to, self.names = name, refers_to, names
        self.api = type("Api", (), {"Visible": True})()

    def delete(self) -> None:
        self.names.remove(self)


class FakeNames(list):
    def add(self, name: str, refers_to: str) -> FakeName:
        made = FakeName(name, refers_to, self)
        self.append(made)
        return made

    def append(self, name: FakeName) -> None:  # type: ignore[override]
        name.names = self
        super().append(name)

    def __iadd__(self, names):  # type: ignore[override]
        for name in names:
            self.append(name)
        return self


class FakeApp:
    def __init__(self) -> None:
        self.screen_updating = True
        self.alerts: list[tuple[str, str, str | None]] = []

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self.alerts.append((title, prompt, mode))
        return "ok"


class FakeBook:
    def __init__(self, fullname: str = "Mappe.xlsm") -> None:
        self.fullname = fullname
        self.app = FakeApp()
        self.sheets: Collection = SheetCollection(self)
        self.names: FakeNames = FakeNames()
        self.log: list[tuple[str, str, str]] = []
        self.results: dict[tuple[str, str], Any] = {}  # (sheet, formula) -> its value
        self.fail_at: set[int] = set()  # numbers of the writes (1-based) that fail
        self.writes = 0

    def add(self, name: str) -> FakeSheet:
        sheet = FakeSheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def write(self, entry: tuple[str, str, str]) -> None:
        self.writes += 1
        if self.writes in self.fail_at:
            raise ComError(f"Schreibfehler {self.writes}")
        self.log.append(entry)

    def state(self) -> dict:
        return {s.name: s.state() for s in self.sheets}

    def calls(self, kind: str, sheet: str | None = None) -> list[str]:
        return [addr for k, name, addr in self.log if k == kind and sheet in (None, name)]

    @classmethod
    def from_file(cls, path: Path) -> "FakeBook":
        """The workbook as Excel would show it: cached values, formulas, tables, names."""
        src = FileSource(path)
        book = cls(str(path))
        infos = src.worksheets()
        for info in infos:
            sheet = book.add(info.name)
            sheet.visible = info.state == "visible"
            for r, row in enumerate(src.grid(info)):
                for c, v in enumerate(row):
                    if v == "":
                        continue
                    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                        v = dt.datetime.combine(v, dt.time())
                    sheet.values[(r, c)] = v
            for rc, cell in src.package.special_cells(info.part).items():
                if cell.error:
                    sheet.values[rc] = Err(cell.error)
                if cell.kind == "formula" and cell.formula:
                    sheet.formulas[rc] = "=" + cell.formula
                    book.results[(info.name, sheet.formulas[rc])] = sheet.values.get(rc)
            sheet.merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in src.merged_ranges(info)]
            for t in src.tables(info):
                sheet.tables.append(FakeTable(sheet, t.name, t.ref, bool(t.header_row_count),
                                              bool(t.totals_row_count)))
        for name, local, text in src.package.defined_names():
            full = name if local is None else f"{infos[local].name}!{name}"
            book.names.append(FakeName(full, text if text.startswith("=") else "=" + text))
        return book


# -- helpers ----------------------------------------------------------------------------------
