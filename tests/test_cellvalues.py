"""One converter and one error vocabulary: every source's form of a cell value (file, xlwings,
COM) becomes the same core value, and every error reads the same in the messages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from xl_cseg.core import cellerrors
from xl_cseg.core.numbers import CellError, UncachedFormula, parse_number
from xl_cseg.io import cellvalues
from xl_cseg.io.reader import load

ERRORS = cellerrors.ERRORS


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.code)
def test_every_form_of_an_error_is_the_same_core_value(error: cellerrors.ExcelError) -> None:
    assert cellvalues.from_com(error.com) == CellError(error.code)
    assert cellvalues.xlwings_error(error.code) == error.code  # err_to_str text
    assert cellvalues.xlwings_error(error.com) == error.code  # errors xlwings leaves as COM ints
    assert cellvalues.from_xlwings(error.code) == cellvalues.from_xlwings(error.com) == ""
    assert cellerrors.from_text(f" {error.german.lower()} ") == error.code
    assert cellerrors.from_text(error.code) == error.code


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.code)
def test_an_error_reads_german_whichever_way_it_came(error: cellerrors.ExcelError) -> None:
    expected = (None, f"Fehlerwert {error.german} statt einer Zahl")
    assert parse_number(cellvalues.from_com(error.com)) == expected
    assert parse_number(error.code) == expected  # typed as text in English
    assert parse_number(error.german) == expected  # typed as text in German


def test_com_numbers_are_the_xlerr_constants() -> None:
    """The HRESULTs pywin32 delivers, as xlwings' own table has them for the classic errors."""
    assert cellerrors.BY_CODE["#N/A"].com == -2146826246
    assert cellerrors.BY_CODE["#DIV/0!"].com == -2146826281
    assert cellerrors.BY_CODE["#VALUE!"].com == -2146826273
    assert cellerrors.BY_CODE["#SPILL!"].com == -2146826243
    assert len({e.com for e in ERRORS}) == len({e.german for e in ERRORS}) == len(ERRORS)


def test_values_that_are_no_errors_pass_unchanged() -> None:
    for value in (1.5, "Text", "#Hashtag", None, True, -2146826246.0):
        assert cellvalues.from_com(value) == value or value is None
        assert cellvalues.xlwings_error(value) is None
    assert cellvalues.from_com(Decimal("12.25")) == 12.25  # Currency
    assert cellvalues.from_com(-5) == -5
    assert cellvalues.from_xlwings(None) == "" and cellvalues.from_xlwings(7) == 7.0
    assert cellerrors.from_text("#nv?") is None and cellerrors.from_text("NV") is None


def test_a_new_error_through_xlwings_is_no_number() -> None:
    """xlwings' err_to_str translates only the classic seven errors: a #SPILL! or #CALC! cell
    arrives as its COM integer, which must not be read as a revenue of -2.1 billion."""
    spill = cellerrors.BY_CODE["#SPILL!"].com
    assert cellvalues.from_xlwings(spill) == ""
    cell = cellvalues.xlwings_special(None, spill)
    assert cell is not None and cell.kind == "error" and cell.error == "#SPILL!"
    formula = cellvalues.xlwings_special("=SEQUENZ(3)", spill)
    assert formula is not None and formula.formula == "SEQUENZ(3)" and formula.error == "#SPILL!"
    assert cellvalues.xlwings_special("'=A1", "=A1") is None  # text typed with an apostrophe


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    ws.write_row(1, 0, [1001, "Muster GmbH", 5000, 20000])
    ws.write_formula(2, 2, "=NA()", None, "#N/A")
    ws.write_formula(3, 2, "=SEQUENCE(2)", None, "#SPILL!")  # XlsxWriter stores it as text
    ws.write_formula(4, 2, "=A1+1")  # no cached value: XlsxWriter writes 0
    ws.write_string(5, 2, "#WERT!")  # typed as text
    for r, name in enumerate(["A", "B", "C", "D"], start=2):
        ws.write_number(r, 0, 1000 + r)
        ws.write_string(r, 1, f"Kunde {name}")
        ws.write_number(r, 3, 10000)
    wb.close()
    return path


def test_file_error_cells_become_the_core_error_values(tmp_path: Path) -> None:
    _source, table = load(_book(tmp_path / "k.xlsx"), 2026)
    revenue = table.raw["revenue"].tolist()
    assert revenue[0] == 5000.0
    assert revenue[1] == CellError("#N/A")  # an error cell (t="e")
    assert revenue[4] == "#WERT!"  # text stays text; the core reads it as an error text
    assert parse_number(revenue[1])[1] == "Fehlerwert #NV statt einer Zahl"
    assert parse_number(revenue[2])[1] == "Fehlerwert #ÜBERLAUF! statt einer Zahl"
    assert parse_number(revenue[4])[1] == "Fehlerwert #WERT! statt einer Zahl"
    assert not isinstance(revenue[3], UncachedFormula)  # XlsxWriter stores a cached 0
