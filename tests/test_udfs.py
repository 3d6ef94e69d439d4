"""The worksheet functions called the way Excel calls them, without Excel.

Every call goes through xlwings' own ``call_udf`` (argument conversion per ``@xw.arg`` options,
the hidden ``caller`` argument, return conversion per ``@xw.ret``). What pywin32 and Excel would
provide is stood in for: the Excel engine's value cleaning (ported from ``xlwings._xlwindows``),
the calling cell and its workbook (the interface ``xlwings._xlwindows`` offers ``xlwings.main``).
Arguments are what VBA hands over: floats, text, None for blanks, COM error codes, tuples of row
tuples for ranges, and the "missing" marker for omitted optional arguments.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import math
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_cseg import udfs

XLU = udfs.load_xlwings_udfs()
MISSING = -2147352572  # what VBA passes for an omitted Optional argument
DIV0, NA, SPILL = -2146826281, -2146826246, -2146826243
CELL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
               -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
               -2146826273: "#VALUE!"}


class StandInExcelEngine:
    """``xlwings._xlwindows.Engine`` without pywin32 (its value cleaning, datetimes as such)."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def prepare_xl_data_element(x: Any, date_format: Any) -> Any:
        if isinstance(x, float) and math.isnan(x):
            return ""
        return "" if x is None else x

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value: Any) -> Any:
            if value in ("", None):
                return empty_as
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and value in CELL_ERRORS:
                return CELL_ERRORS[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in data]


# -- the calling cell and its workbook, as xlwings._xlwindows objects ------------------------
_BOOKS = itertools.count(1)


@dataclass
class FakeWorkbook:
    """Sheets as {sheet: {(row, col) 1-based: value}} and names as {name: refers_to}."""

    cells: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    fullname: str = field(default_factory=lambda: rf"C:\Vertrieb\Gebiet{next(_BOOKS)}.xlsm")
    reads: list[str] = field(default_factory=list)

    def set_names(self, values: dict[str, Any], sheet: str = "Parameter", col: int = 2) -> None:
        """Put each value in its own cell of ``sheet`` (column B from row 5) with a defined name."""
        grid = self.cells.setdefault(sheet, {})
        row = 5 + len(grid)
        for offset, (name, value) in enumerate(values.items()):
            grid[(row + offset, col)] = value
            quoted = f"'{sheet}'" if " " in sheet else sheet
            self.names[name] = f"={quoted}!$B${row + offset}"


class _NameImpl:
    def __init__(self, name: str, refers_to: str) -> None:
        self.name, self.refers_to = name, refers_to


class _NamesImpl:
    def __init__(self, book: FakeWorkbook) -> None:
        self.book = book

    def snapshot(self):
        return [(n, _NameImpl(n, r)) for n, r in self.book.names.items()]


class _RangeImpl:
    max_cells_per_read = None  # no chunking, as on Windows

    def __init__(self, sheet: "_SheetImpl", first: tuple[int, int], last: tuple[int, int]) -> None:
        self.sheet, self.first, self.last = sheet, first, last
        self.api = types.SimpleNamespace(CLSID=None)

    @property
    def raw_value(self):
        (r1, c1), (r2, c2) = self.first, self.last
        self.sheet.book.book.reads.append(f"{self.sheet.name}!R{r1}C{c1}:R{r2}C{c2}")
        grid = self.sheet.book.book.cells.get(self.sheet.name, {})
        rows = tuple(tuple(grid.get((r, c)) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


class _SheetImpl:
    def __init__(self, book: "_BookImpl", name: str) -> None:
        self.book, self.name = book, name

    def range(self, first, last=None):
        return _RangeImpl(self, first, last or first)


class _BookImpl:
    def __init__(self, book: FakeWorkbook) -> None:
        self.book = book
        self.name = book.fullname.rsplit("\\", 1)[-1]
        self.names = _NamesImpl(book)
        self.sheets = lambda name: _SheetImpl(self, name)
        self.app = types.SimpleNamespace(engine=StandInExcelEngine(), pid=4711)


def caller_in(book: FakeWorkbook, sheet: str = "Kunden") -> _RangeImpl:
    """The calling cell (Kunden!K2) as ``xlwings._xlwindows.Range`` would wrap it."""
    return cells_of(book, sheet, (2, 11), (2, 11))


def cells_of(book: FakeWorkbook, sheet: str, first: tuple[int, int],
             last: tuple[int, int]) -> _RangeImpl:
    """A range argument (a reference, not values): call_udf reads it through the conversion."""
    return _RangeImpl(_SheetImpl(_BookImpl(book), sheet), first, last)


def install_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for what call_udf needs from pywin32 and Excel; a fresh parameter cache."""
    monkeypatch.setitem(xlwings.engines.engines_by_name, "excel",
                        xlwings.main.Engine(impl=StandInExcelEngine()))
    monkeypatch.setattr(xlwings, "_xlwindows", types.SimpleNamespace(
        Range=lambda xl: xl, is_range_instance=lambda value: isinstance(value, _RangeImpl),
        BOOK_CALLER=None),
        raising=False)
    com_server = types.ModuleType("xlwings.com_server")
    com_server.loop = None
    monkeypatch.setitem(sys.modules, "xlwings.com_server", com_server)
    monkeypatch.setattr(XLU.pythoncom, "CoMarshalInterThreadInterfaceInStream",
                        lambda iid, api: object(), raising=False)
    monkeypatch.setattr(XLU.pythoncom, "IID_IDispatch", None, raising=False)
    monkeypatch.setattr(udfs, "_snapshots", {})


@pytest.fixture(autouse=True)
def excel(monkeypatch):
    install_stand_ins(monkeypatch)


def call(name: str, *args: Any, book: FakeWorkbook | None = None) -> Any:
    """Call a UDF as the VBA wrapper does: omitted optionals as MISSING, ``Nothing`` for caller."""
    info = getattr(udfs, name).__xlfunc__["args"]
    values = list(args) + [MISSING] * (len(info) - len(args))
    values[next(a["pos"] for a in info if a["name"] == "caller")] = None
    result = XLU.call_udf("xl_cseg.udfs", name, tuple(values), None,
                          caller_in(book or FakeWorkbook()))
    if name in ("CSEG_SEGMENTIEREN", "CSEG_VERTEILUNG"):  # raw: a 2D list, or one text
        return result
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


def error(text: str) -> str:
    return udfs.ERROR_PREFIX + text


# -- threshold and ABC ------------------------------------------------------------------------
def test_threshold_rule_of_thumb():
    assert call("CSEG_SCHWELLE", 4.0, 350.0, 0.1) == 14000.0
    assert call("CSEG_SCHWELLE", 4.0) == 14000.0  # defaults: 350 EUR, 10 %
    assert call("CSEG_SCHWELLE", 4.0, "350 €", "10 %") == 14000.0
    assert call("CSEG_SCHWELLE", 4.0, 350.0, 10.0) == 14000.0  # 10 without % format = 10 %
    assert call("CSEG_SCHWELLE", 12.0, MISSING, 0.2) == 21000.0


def test_threshold_errors_are_german_texts():
    assert call("CSEG_SCHWELLE", "vierzehn") == error('„vierzehn“ ist keine Zahl (Besuche)')
    assert call("CSEG_SCHWELLE", None) == error("Besuche fehlt")
    assert call("CSEG_SCHWELLE", 4.0, -5.0) == error("-5 € liegt außerhalb 0,01 € bis ∞ "
                                                     "(kosten_je_besuch)")
    assert call("CSEG_SCHWELLE", 4.0, DIV0).startswith(error("Fehlerwert #DIV/0! statt einer Zahl"))
    assert call("CSEG_SCHWELLE", ((4.0, 5.0),)) == error(
        "Besuche: bitte eine einzelne Zelle angeben, keinen Bereich")


def test_threshold_uses_the_workbook_parameters():
    book = FakeWorkbook()
    book.set_names({"Kosten_je_Besuch": 500.0, "Max_Vertriebskostenanteil": 0.05})
    assert call("CSEG_SCHWELLE", 4.0, book=book) == 40000.0
    assert call("CSEG_SCHWELLE", 4.0, 350.0, MISSING, book=book) == 28000.0


def test_invalid_workbook_parameter_names_its_cell():
    book = FakeWorkbook()
    book.set_names({"Kosten_je_Besuch": "dreihundert"})
    assert call("CSEG_SCHWELLE", 4.0, book=book) == error(
        '„dreihundert“ ist keine Zahl (Zelle Kosten_je_Besuch)')
    assert call("CSEG_SCHWELLE", 4.0, 350.0, book=book) == 14000.0  # the cell is not used


def test_abc_classes():
    assert call("CSEG_ABC", 14000.0) == "B"  # the threshold itself is B
    assert call("CSEG_ABC", 13999.99) == "C"
    assert call("CSEG_ABC", 42000.0) == "A"  # 12 x 350 / 10 %
    assert call("CSEG_ABC", 0.0) == "C"
    assert call("CSEG_ABC", "25.000,00 €") == "B"
    assert call("CSEG_ABC", 30000.0, 50000.0, 10000.0) == "B"
    assert call("CSEG_ABC", 5000.0, MISSING, 4000.0) == "B"


def test_abc_errors():
    assert call("CSEG_ABC", None) == error("Umsatz fehlt")
    assert call("CSEG_ABC", DIV0) == error("Fehlerwert #DIV/0! statt einer Zahl (Umsatz)")
    assert call("CSEG_ABC", NA) == error("Fehlerwert #NV statt einer Zahl (Umsatz)")
    assert call("CSEG_ABC", SPILL) == error("Fehlerwert #ÜBERLAUF! statt einer Zahl (Umsatz)")
    assert call("CSEG_ABC", True) == error('„WAHR“ ist ein Wahrheitswert, keine Zahl (Umsatz)')
    assert call("CSEG_ABC", dt.datetime(2024, 3, 1)) == error(
        "01.03.2024 ist ein Datum, keine Zahl (Umsatz)")
    assert call("CSEG_ABC", -1.0) == error("negativer Betrag ist nicht zulässig (Umsatz)")
    assert call("CSEG_ABC", 1.0, 1000.0, 2000.0) == error(
        "Schwelle A muss mindestens so hoch sein wie Schwelle C")


def test_abc_needs_all_customers_for_pareto():
    book = FakeWorkbook()
    book.set_names({"ABC_Methode": "Pareto"})
    assert call("CSEG_ABC", 1000.0, book=book).startswith(error("ABC_Methode „pareto“"))
    assert call("CSEG_ABC", 1000.0, 5000.0, 500.0, book=book) == "B"


# -- potential and segment --------------------------------------------------------------------
def test_share_of_wallet():
    assert call("CSEG_AUSSCHOEPFUNG", 20000.0, 80000.0) == 0.25
    assert call("CSEG_AUSSCHOEPFUNG", None, 80000.0) == 0.0  # prospect
    assert call("CSEG_AUSSCHOEPFUNG", 20000.0, None) == error("Potenzial fehlt (wird nicht geschätzt)")
    assert call("CSEG_AUSSCHOEPFUNG", 20000.0, 0.0) == error(
        "Potenzial ist 0, bitte Potenzial schätzen")
    assert call("CSEG_AUSSCHOEPFUNG", 20000.0, "viel") == error('„viel“ ist keine Zahl (Potenzial)')


@pytest.mark.parametrize("revenue, potential, expected", [
    (10000.0, 100000.0, "Win"), (50000.0, 100000.0, "Grow"), (80000.0, 100000.0, "Maintain"),
    (10000.0, 12000.0, "Maintain"),  # open potential below 3.500
    (60000.0, 50000.0, "Maintain"),  # revenue above potential
    (None, 100000.0, "Win"),
])
def test_potential_class(revenue, potential, expected):
    assert call("CSEG_POTENZIALKLASSE", revenue, potential) == expected


def test_potential_class_with_own_limits():
    assert call("CSEG_POTENZIALKLASSE", 40000.0, 100000.0, "50 %") == "Win"
    assert call("CSEG_POTENZIALKLASSE", 5000.0, 8000.0) == "Maintain"  # 3.000 open
    assert call("CSEG_POTENZIALKLASSE", 5000.0, 8000.0, MISSING, MISSING, 1000.0) == "Grow"
    assert call("CSEG_POTENZIALKLASSE", 1.0, 100.0, 0.8, 0.7) == error(
        "Win-Grenze muss unter der Maintain-Grenze liegen (grenze_win)")


def test_segment_codes():
    assert call("CSEG_SEGMENT", 5000.0, 100000.0) == "C-Win"
    assert call("CSEG_SEGMENT", 50000.0, 52000.0) == "A-Maintain"
    assert call("CSEG_SEGMENT", 20000.0, 40000.0) == "B-Grow"
    assert call("CSEG_SEGMENT", 20000.0, 40000.0, 15000.0, 10000.0) == "A-Grow"
    assert call("CSEG_SEGMENT", 20000.0, None) == error("Potenzial fehlt (wird nicht geschätzt)")


def test_channel_matrix():
    assert call("CSEG_KANAL", "C-Win") == "Hybrid (Außendienst + Inside Sales)"
    assert call("CSEG_KANAL", " c - grow ") == "Inside Sales"
    assert call("CSEG_BESUCHE", "B-Win") == 6.0
    assert call("CSEG_BESUCHE", "C-Maintain") == 0.0
    assert call("CSEG_KANAL", "D-Win").startswith(error('„D-Win“ ist kein Segment (erlaubt: A-Win'))
    assert call("CSEG_KANAL", None) == error("Segment fehlt")
    book = FakeWorkbook()
    book.set_names({"Kanal_C_Win": "Webshop", "Besuche_C_Win": 1.0, "Besuche_B_Win": -2.0})
    assert call("CSEG_KANAL", "C-Win", book=book) == "Webshop"
    assert call("CSEG_BESUCHE", "C-Win", book=book) == 1.0
    assert call("CSEG_BESUCHE", "B-Win", book=book) == error("negativ (Zelle Besuche_B_Win)")


# -- pipeline and planning --------------------------------------------------------------------
def test_probability_per_status():
    assert call("CSEG_WAHRSCHEINLICHKEIT", "in der Erprobung") == 0.4
    assert call("CSEG_WAHRSCHEINLICHKEIT", "ANGEBOT BEIM EINKAUF") == 0.7
    assert call("CSEG_WAHRSCHEINLICHKEIT", None) == 0.1  # blank = nicht gestartet
    assert call("CSEG_WAHRSCHEINLICHKEIT", "Angebt beim Einkauf") == error(
        '„Angebt beim Einkauf“ ist kein bekannter Status – meinten Sie „Angebot beim Einkauf“?')
    book = FakeWorkbook()
    book.set_names({"Wkt_in_Erprobung": 0.5, "Wkt_gewonnen": "sicher"})
    assert call("CSEG_WAHRSCHEINLICHKEIT", "in Erprobung", book=book) == 0.5
    assert call("CSEG_WAHRSCHEINLICHKEIT", "gewonnen", book=book) == error(
        '„sicher“ ist keine Zahl (Zelle Wkt_gewonnen)')


def test_weighted_revenue():
    assert call("CSEG_GEWICHTET", 10000.0, "Angebot beim Einkauf") == 7000.0
    assert call("CSEG_GEWICHTET", 10000.0, "initial vorgestellt", "50 %") == 5000.0
    assert call("CSEG_GEWICHTET", 10000.0, "gewonnen", 0.5) == 10000.0  # only open measures
    assert call("CSEG_GEWICHTET", 10000.0, "verloren") == 0.0
    assert call("CSEG_GEWICHTET", None, "gewonnen") == error("Betrag fehlt")
    assert call("CSEG_GEWICHTET", 1.0, "offen").startswith(error('„offen“ ist kein bekannter'))
    assert call("CSEG_GEWICHTET", 1.0, "gewonnen", 150.0) == error(
        "150 % liegt außerhalb 0 bis 100 % (Wahrscheinlichkeit)")


def test_gap_to_target():
    assert call("CSEG_LUECKE", 500000.0, 600000.0) == 100000.0
    assert call("CSEG_LUECKE", 500000.0, 500000.0 + 100000.0) == 100000.0
    assert call("CSEG_LUECKE", 500000.0, 0.2) == pytest.approx(100000.0)
    assert call("CSEG_LUECKE", 500000.0, "20 %") == pytest.approx(100000.0)
    assert call("CSEG_LUECKE", 500000.0) == pytest.approx(50000.0)  # Ziel_Wachstum 10 %
    # 80.000 at risk, 25 % expected loss: expected base 480.000
    assert call("CSEG_LUECKE", 500000.0, 600000.0, 80000.0) == 120000.0
    assert call("CSEG_LUECKE", 500000.0, 600000.0, 80000.0, 0.5) == 140000.0
    assert call("CSEG_LUECKE", 500000.0, 20.0).startswith(error("Ziel 20 ist mehrdeutig"))
    assert call("CSEG_LUECKE", 500000.0, 600000.0, 600000.0) == error(
        "gefährdeter Umsatz ist größer als der Vorjahresumsatz")


def test_gap_takes_the_workbook_target():
    book = FakeWorkbook()
    book.set_names({"Ziel_Umsatz": 600000.0, "Ziel_Wachstum": 0.5})
    assert call("CSEG_LUECKE", 500000.0, book=book) == 100000.0
    assert call("CSEG_LUECKE", 500000.0, 0.2, book=book) == pytest.approx(100000.0)


def test_customer_days_and_inside_sales():
    assert call("CSEG_KUNDENTAGE") == pytest.approx(115.5)  # (220-30-8-5-12) x 3,5 / 5
    assert call("CSEG_KUNDENTAGE", 220.0, 30.0, 8.0, 5.0, 12.0, 4.0) == pytest.approx(132.0)
    assert call("CSEG_KUNDENTAGE", 50.0) == error(
        "Abwesenheiten (55 Tage) übersteigen die Arbeitstage (50) (arbeitstage)")
    assert call("CSEG_KUNDENTAGE", MISSING, 30.5).startswith(error("30,5 ist keine ganze Zahl"))
    assert call("CSEG_IS_FTE", 4368.0) == pytest.approx(2.0)  # 12 x (220-30-8) = 2184 per FTE
    assert call("CSEG_IS_FTE", 4000.0, 10.0, 200.0) == pytest.approx(2.0)
    assert call("CSEG_IS_FTE", 4000.0, MISSING, 0.0) == error("Tage müssen größer 0 sein")
    assert call("CSEG_IS_FTE", "viele") == error('„viele“ ist keine Zahl (Kontakte)')


# -- table functions --------------------------------------------------------------------------
HEADER = ("Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Umsatz Vorvorjahr", "Verbundenheit")
TABLE = (
    HEADER,
    (1001.0, "Müller GmbH", 50000.0, 60000.0, 60000.0, 2.0),
    (1002.0, "Schmidt KG", 5000.0, 100000.0, 4000.0, None),
    (None, None, None, None, None, None),
    (1003.0, "Weber AG", "vierzehn", 1000.0, None, None),
    (1004.0, "Neu GmbH", None, 30000.0, None, None),
    (1002.0, "Doppelt", 1.0, 2.0, None, None),
    (1005.0, "Fehler OHG", DIV0, 5000.0, None, None),
)


def test_segmentieren_spills_one_row_per_input_row():
    out = call("CSEG_SEGMENTIEREN", TABLE)
    assert out[0] == ("Umsatzentwicklung", "ABC", "Ausschöpfung", "Potenzialklasse", "Segment",
                      "Kanal", "Besuche/Jahr", "Risiko", "Prüfhinweis")
    assert len(out) == len(TABLE) and {len(r) for r in out} == {9}
    rows = {TABLE[i][1]: dict(zip(out[0], out[i])) for i in range(1, len(TABLE)) if TABLE[i][1]}
    mueller = rows["Müller GmbH"]
    assert mueller["Segment"] == "A-Maintain" and mueller["Besuche/Jahr"] == 12.0
    assert mueller["Umsatzentwicklung"] == pytest.approx(-1 / 6)
    assert mueller["Risiko"] == "Umsatzrückgang −17 %; geringe Verbundenheit (2)"
    assert rows["Schmidt KG"]["Segment"] == "C-Win" and rows["Schmidt KG"]["Ausschöpfung"] == 0.05
    assert rows["Neu GmbH"]["Segment"] == "C-Win"
    assert rows["Neu GmbH"]["Umsatzentwicklung"] == "Potenzialkunde"
    assert rows["Weber AG"]["Segment"] == ""
    assert rows["Weber AG"]["Prüfhinweis"] == 'Umsatz Vorjahr: „vierzehn“ ist keine Zahl'
    assert "1002 kommt 2-mal vor: Zeilen " in rows["Schmidt KG"]["Prüfhinweis"]
    assert rows["Fehler OHG"]["Prüfhinweis"] == \
        "Umsatz Vorjahr: Fehlerwert #DIV/0! statt einer Zahl"
    assert out[3] == ("",) * 9  # the blank row stays blank
    assert all(type(v) in (str, float) for row in out for v in row)


def test_segmentieren_stops_at_the_last_customer():
    whole_columns = TABLE + ((None,) * 6,) * 1000  # =CSEG_SEGMENTIEREN(A:F)
    assert call("CSEG_SEGMENTIEREN", whole_columns) == call("CSEG_SEGMENTIEREN", TABLE)


def test_range_references_are_read_through_the_conversion():
    book = FakeWorkbook()
    grid = book.cells.setdefault("Kunden", {})
    for r, row in enumerate(TABLE, start=1):
        for c, value in enumerate(row, start=1):
            grid[(r, c)] = value
    table = cells_of(book, "Kunden", (1, 1), (len(TABLE), len(HEADER)))
    assert call("CSEG_SEGMENTIEREN", table, book=book) == call("CSEG_SEGMENTIEREN", TABLE)
    assert call("CSEG_ABC", cells_of(book, "Kunden", (2, 3), (2, 3)), book=book) == "A"
    assert call("CSEG_ABC", cells_of(book, "Kunden", (4, 3), (4, 3)), book=book) == error(
        "Umsatz fehlt")  # an empty cell
    assert call("CSEG_ABC", cells_of(book, "Kunden", (2, 3), (3, 3)), book=book) == error(
        "Umsatz: bitte eine einzelne Zelle angeben, keinen Bereich")


def test_segmentieren_parameters_from_range_and_workbook():
    table = (HEADER[:4], (1.0, "K", 15000.0, 100000.0))
    assert call("CSEG_SEGMENTIEREN", table)[1][1] == "B"
    assert call("CSEG_SEGMENTIEREN", table, (("Kosten_je_Besuch", 500.0),))[1][1] == "C"
    labelled = (("Parameter", "Wert"), ("Kosten je Außendienstbesuch", 500.0), ("Kosten", None))
    assert call("CSEG_SEGMENTIEREN", table, labelled)[1][1] == "C"
    book = FakeWorkbook()
    book.set_names({"Kosten_je_Besuch": 500.0})
    assert call("CSEG_SEGMENTIEREN", table, book=book)[1][1] == "C"
    assert call("CSEG_SEGMENTIEREN", table, (("Kosten_je_Besuh", 500.0),)) == error(
        '„Kosten_je_Besuh“ ist kein bekannter Parameter (Parameterbereich)')
    assert call("CSEG_SEGMENTIEREN", table, ((1.0, 2.0, 3.0),)) == error(
        "Parameterbereich muss zwei Spalten haben (Name | Wert)")


def test_segmentieren_table_errors():
    assert call("CSEG_SEGMENTIEREN", 5.0) == error(
        "Tabelle braucht eine Überschriftenzeile und mindestens eine Kundenzeile")
    assert call("CSEG_SEGMENTIEREN", (HEADER,)) == error(
        "Tabelle braucht eine Überschriftenzeile und mindestens eine Kundenzeile")
    assert call("CSEG_SEGMENTIEREN", (HEADER, (None,) * 6, ("",) * 6)) == error(
        "Tabelle braucht eine Überschriftenzeile und mindestens eine Kundenzeile")
    assert call("CSEG_SEGMENTIEREN", (("Kunden-Nr", "Kunde", "Umsatz Vorjahr"), (1.0, "K", 2.0))) \
        == error("Spalte fehlt: Potenzial")
    doubled = (("Kunden-Nr", "Kunde", "Potenzial", "Potenzial", "Umsatz Vorjahr"),
               (1.0, "K", 1.0, 2.0, 3.0))
    assert call("CSEG_SEGMENTIEREN", doubled) == error("Spalte mehrfach vorhanden: Potenzial")


def test_verteilung_per_code_with_total():
    out = call("CSEG_VERTEILUNG", TABLE)
    assert out[0] == ("Segment", "Kunden", "Anteil Kunden", "Umsatz", "Anteil Umsatz", "Potenzial",
                      "Offenes Potenzial")
    rows = {r[0]: r[1:] for r in out[1:]}
    assert list(rows)[:9] == ["A-Win", "A-Grow", "A-Maintain", "B-Win", "B-Grow", "B-Maintain",
                              "C-Win", "C-Grow", "C-Maintain"]
    assert rows["Gesamt"][0] == 6 and type(rows["Gesamt"][0]) is int
    assert rows["C-Win"][0] == 2 and rows["C-Win"][2] == 5000.0
    assert rows["ohne Segment"][0] == 2  # Weber, Fehler (the duplicates keep their codes)
    assert rows["Gesamt"][2] == 55001.0


# -- parameter reading ------------------------------------------------------------------------
def test_parameters_are_read_once_per_sheet_and_recalculation(monkeypatch):
    book = FakeWorkbook()
    book.set_names({"Kosten_je_Besuch": 350.0, "Besuche_A": 12.0, "Besuche_B": 4.0,
                    "Max_Vertriebskostenanteil": 0.1, "Grenze_Win": 0.3})
    book.set_names({"Wkt_in_Erprobung": 0.4}, sheet="Pipeline Werte")
    book.names["Fremder_Name"] = "=Kunden!$A$1"
    book.names["Kunden!Kosten_je_Besuch"] = "=Kunden!$A$2"  # sheet-scoped: not a parameter
    clock = [100.0]
    monkeypatch.setattr(udfs.time, "monotonic", lambda: clock[0])
    for revenue in (1000.0, 20000.0, 50000.0):
        call("CSEG_SEGMENT", revenue, 100000.0, book=book)
    assert call("CSEG_WAHRSCHEINLICHKEIT", "in Erprobung", book=book) == 0.4
    assert sorted(book.reads) == ["Parameter!R5C2:R9C2", "Pipeline Werte!R5C2:R5C2"]
    book.cells["Parameter"][(5, 2)] = 500.0  # Kosten_je_Besuch edited
    assert call("CSEG_SCHWELLE", 4.0, book=book) == 14000.0  # same recalculation
    clock[0] += 5
    assert call("CSEG_SCHWELLE", 4.0, book=book) == 20000.0
    assert len(book.reads) == 4


def test_unreadable_workbook_is_a_cell_text():
    class Broken(FakeWorkbook):
        @property
        def names(self):
            raise RuntimeError("Excel ist beschäftigt")

        @names.setter
        def names(self, value):
            pass

    assert call("CSEG_ABC", 1.0, book=Broken()) == error(
        "Parameter der Arbeitsmappe nicht lesbar (Excel ist beschäftigt)")


# -- robustness -------------------------------------------------------------------------------
SCALAR_UDFS = sorted(n for n in dir(udfs) if n.startswith("CSEG_")
                     and n not in ("CSEG_SEGMENTIEREN", "CSEG_VERTEILUNG"))
EXCEL_VALUES = st.one_of(
    st.none(), st.just(MISSING), st.sampled_from(sorted(CELL_ERRORS) + [SPILL]),
    st.floats(allow_nan=False, min_value=-1e12, max_value=1e12), st.booleans(),
    st.text(max_size=12), st.sampled_from(["C-Win", "in Erprobung", "10 %", "14.000 €", ""]),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.tuples(st.tuples(st.floats(allow_nan=False), st.none())),
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(SCALAR_UDFS), values=st.lists(EXCEL_VALUES, max_size=7))
def test_scalar_udfs_never_fail(name, values):
    params = [p for p in inspect.signature(getattr(udfs, name)).parameters if p != "caller"]
    required = sum(1 for a in getattr(udfs, name).__xlfunc__["args"] if "optional" not in a)
    args = (values + [1.0] * len(params))[:len(params)]
    args[:required] = [1.0 if a == MISSING else a for a in args[:required]]
    result = call(name, *args)
    assert isinstance(result, (float, str))
    assert "interner Fehler" not in str(result)
    if isinstance(result, float):
        assert math.isfinite(result)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(*[EXCEL_VALUES.filter(lambda v: v != MISSING)] * 6), min_size=1,
                     max_size=6))
def test_segmentieren_never_fails(rows):
    out = call("CSEG_SEGMENTIEREN", (HEADER,) + tuple(rows))
    filled = [i for i, row in enumerate(rows, start=1) if any(v not in (None, "") for v in row)]
    if not filled:
        assert out == error("Tabelle braucht eine Überschriftenzeile und mindestens eine "
                            "Kundenzeile")
        return
    assert isinstance(out, list) and len(out) == filled[-1] + 1
    assert all(type(v) in (str, float) for row in out for v in row)


# -- cost to serve and pricing ----------------------------------------------------------------
def test_cost_to_serve_fee_and_coverage_functions():
    assert call("CSEG_BETREUUNGSKOSTEN", 4.0, 12.0) == 1880.0  # 4 x 350 + 12 x 40
    assert call("CSEG_BETREUUNGSKOSTEN", 4.0, 12.0, 300.0, 50.0) == 1800.0
    assert call("CSEG_PAUSCHALE", 1800.0, 12.0) == 180.0  # 12 orders of 150 under 250
    assert call("CSEG_PAUSCHALE", 1800.0, 12.0, 100.0) == 0.0
    assert call("CSEG_KOSTENDECKUNG", 18000.0, 1880.0) == "nicht kostendeckend betreut"
    assert call("CSEG_KOSTENDECKUNG", 14000.0, 1400.0) == "kostendeckend"
    assert call("CSEG_BETREUUNGSKOSTEN", 4.0, 1.5) == error(
        "Aufträge: bitte eine ganze Zahl ab 0 angeben")


def test_pricing_functions_read_the_workbook_parameters():
    book = FakeWorkbook()
    book.set_names({"Kosten_je_Auftrag": 25.0, "Mindestbestellwert": 200.0,
                    "Bearbeitungspauschale": 10.0})
    assert call("CSEG_BETREUUNGSKOSTEN", 4.0, 12.0, book=book) == 1700.0
    assert call("CSEG_PAUSCHALE", 1800.0, 12.0, book=book) == 120.0
    book = FakeWorkbook()
    book.set_names({"Bearbeitungspauschale": -5.0})
    assert call("CSEG_PAUSCHALE", 1800.0, 12.0, book=book).startswith(
        error("-5 € liegt außerhalb"))


def test_history_functions():
    years = ((10_000.0, 12_000.0, 14_400.0, 17_280.0),)
    assert call("CSEG_WACHSTUM", years) == pytest.approx(0.2)
    assert call("CSEG_RUECKLAEUFIG", ((60_000.0,), (55_000.0,), (50_000.0,))) == 2.0
    assert call("CSEG_RUECKLAEUFIG", years) == 0.0
    assert call("CSEG_WACHSTUM", ((1.0, "viel"),)) == error('„viel“ ist keine Zahl (Umsatz Jahr 2)')
    assert call("CSEG_WACHSTUM", ((5.0,),)).startswith(error("Umsätze: bitte mindestens"))
