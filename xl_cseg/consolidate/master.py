"""The master workbook: ``Übersicht`` (figures and native charts), ``Kunden gesamt`` (every
customer, rows rendered by the workers), ``Gebiete``, ``Pipeline``, ``Duplikate``,
``Kaufverhalten`` (when the files keep buying-behaviour columns) and ``Importprotokoll``.

Every cell is a value: text is written as text (``=HYPERLINK(...)`` stays a string), so the
master holds no formulas and no links to the territory files.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..core import german
from ..core.columns import (CONSOLIDATION_FIELDS, DATE_FORMAT, EXTRA_INPUT_FIELDS, FIELD_BY_KEY,
                            ID, INPUT_FIELDS, MEASURE_FIELDS, MEASURE_OUTPUT_FIELDS,
                            OUTPUT_FIELDS, Field, header)
from ..core.dimensions import COLUMNS as DIMENSION_COLUMNS, NO_VALUE
from ..core.distribution import TOTAL, Distribution
from ..core.params import CODES, POTENTIAL_CLASSES
from ..core.pipeline import measure_header
from ..xlsx.cellvalue import MAX_TEXT
from . import master_rows
from .reader import CUSTOMER_COLUMNS, OUTPUT_PROPERTY
from .summary import DimensionTable

CUSTOMERS_SHEET = "Kunden gesamt"
_CUSTOMERS_PART = "xl/worksheets/sheet2.xml"  # the second sheet XlsxWriter writes
# the customers' and measures' columns look as the column catalogue says (the consolidation's
# own columns after the territory files' ones); a column's kind is its number format code
_CUSTOMER_COLUMNS = {f.key: f for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS + OUTPUT_FIELDS
                     + CONSOLIDATION_FIELDS}
_MEASURE_COLUMNS = {f.key: f for f in (FIELD_BY_KEY["name"],) + MEASURE_FIELDS
                    + MEASURE_OUTPUT_FIELDS + CONSOLIDATION_FIELDS}
_OWN_HEADERS = {f.key: f.header for f in CONSOLIDATION_FIELDS}
_FORMATS = {"int": "#,##0", "eur": '#,##0 "€"', "pct": "0.0%", "num": "#,##0.0",
            "fte": "0.00", "date": DATE_FORMAT}
_FORMATS.update({f.number_format: f.number_format for f in (*_CUSTOMER_COLUMNS.values(),
                                                             *_MEASURE_COLUMNS.values())
                 if f.number_format and f.number_format not in _FORMATS.values()})
_KIND_OF_FORMAT = {code: kind for kind, code in reversed(_FORMATS.items())}  # each format once


def _kinds(fields: dict[str, Field]) -> dict[str, str]:
    return {key: "id" if f.kind == ID else _KIND_OF_FORMAT[f.number_format]
            for key, f in fields.items() if f.kind == ID or f.number_format}


_KINDS, _MEASURE_KINDS = _kinds(_CUSTOMER_COLUMNS), _kinds(_MEASURE_COLUMNS)
MEASURE_SHEET_COLUMNS = ("territory", "source", "row", "customer_id", "name", "measure",
                         "status", "phase", "expected_revenue", "probability", "weighted", "code",
                         "next_step", "due_date", "last_activity", "overdue", "stale", "notes")


@dataclass
class MasterData:
    customers: pd.DataFrame  # reader.CUSTOMER_COLUMNS
    measures: pd.DataFrame  # reader.MEASURE_COLUMNS
    territories: pd.DataFrame  # summary.territory_table
    duplicates: pd.DataFrame  # duplicates.GROUP_COLUMNS, one row per group
    log: pd.DataFrame  # summary.import_log
    deviations: pd.DataFrame
    messages: pd.DataFrame
    overview: list[tuple[str, Any, str]]
    distribution: Distribution
    parameters: str  # where the central parameters came from
    parameter_errors: Sequence[str]
    date: _dt.date
    rendered: list[master_rows.Deflated]  # the customers' rows, file by file (deflated)
    dimensions: list[DimensionTable] = field(default_factory=list)  # sheet Kaufverhalten
    dimension_errors: list[str] = field(default_factory=list)  # --nach names no file has


def _title(key: str) -> str:
    if key in _OWN_HEADERS:
        return _OWN_HEADERS[key]
    return measure_header(key) if key in MEASURE_SHEET_COLUMNS and key not in CUSTOMER_COLUMNS \
        else header(key)


class Book:
    """XlsxWriter workbook with the formats every sheet shares."""

    def __init__(self, stream: io.BytesIO, kind: str) -> None:
        self.wb = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False})
        self.wb.set_custom_property(OUTPUT_PROPERTY, kind)  # never read back in as a territory
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.head = add({"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True,
                         "valign": "top"})
        self.kind = {k: add({"num_format": f}) for k, f in _FORMATS.items()}
        self.total = {k: add({"num_format": f, "bold": True, "top": 1})
                      for k, f in _FORMATS.items()}
        self.total_text = add({"bold": True, "top": 1})
        # style indexes in creation order, whatever the sheets use first: the workers render
        # ``Kunden gesamt`` before this book exists (see customer_styles)
        for fmt in (self.title, self.bold, self.head, *self.kind.values(),
                    *self.total.values(), self.total_text):
            fmt._get_xf_index()

    def cell(self, ws, row: int, col: int, value: Any, kind: str, total: bool = False) -> None:
        fmt = (self.total if total else self.kind).get(kind, self.total_text if total else None)
        if type(value) is str and kind != "id":  # most cells: text as text
            ws.write_string(row, col, value[:MAX_TEXT], fmt)
        elif value is None or not isinstance(value, str) and pd.isna(value):
            if total:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            if kind == "id" and master_rows.numeric_id(value):
                ws.write_number(row, col, float(value), fmt)
            else:
                ws.write_string(row, col, value[:MAX_TEXT], fmt)
        elif isinstance(value, (bool, np.bool_)):
            ws.write_boolean(row, col, bool(value), fmt)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if math.isfinite(value):
                ws.write_number(row, col, float(value), fmt)
        elif isinstance(value, (_dt.date, _dt.datetime)):
            ws.write_datetime(row, col, value, self.kind["date"])
        else:
            ws.write_string(row, col, str(value)[:MAX_TEXT], fmt)

    def table(self, ws, frame: pd.DataFrame, keys: Sequence[str], first_row: int = 0,
              headers: Sequence[str] | None = None, kinds: dict[str, str] | None = None,
              total_last: bool = False, filter_: bool = True) -> int:
        """Header row and values of ``frame[keys]``; returns the row after the table."""
        kinds = kinds or _KINDS
        for col, key in enumerate(keys):
            ws.write_string(first_row, col, headers[col] if headers else _title(key), self.head)
        last = len(frame) - 1
        for i, values in enumerate(frame[list(keys)].itertuples(index=False, name=None)):
            for col, (key, value) in enumerate(zip(keys, values)):
                self.cell(ws, first_row + 1 + i, col, value, kinds.get(key, "text"),
                          total_last and i == last)
        if filter_:
            ws.autofilter(first_row, 0, first_row + len(frame), len(keys) - 1)
        return first_row + len(frame) + 1


LOG_SHEET = "Importprotokoll"


def write_master(data: MasterData, dst: Path) -> None:
    """Write the master workbook to ``dst`` atomically."""
    stream = io.BytesIO()
    book = Book(stream, "Gesamtauswertung")
    overview = book.wb.add_worksheet("Übersicht")
    customers = book.wb.add_worksheet(CUSTOMERS_SHEET)
    territories = book.wb.add_worksheet("Gebiete")
    _customer_layout(book, customers, len(data.customers))
    _territories(book, territories, data.territories)
    _pipeline(book, book.wb.add_worksheet("Pipeline"), data.measures)
    _duplicates(book, book.wb.add_worksheet("Duplikate"), data.duplicates)
    if data.dimensions:
        _dimensions(book, book.wb.add_worksheet(DIMENSIONS_SHEET), data.dimensions)
    log = book.wb.add_worksheet(LOG_SHEET)
    messages, messages_row = _log(book, log, data)
    _overview(book, overview, data)
    overview.activate()
    book.wb.close()
    template = stream.getvalue()
    log_part = f"xl/worksheets/sheet{book.wb.worksheets().index(log) + 1}.xml"
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        sheet_xml, log_xml = zf.read(_CUSTOMERS_PART), zf.read(log_part)
    if master_rows.column_styles(sheet_xml) != customer_styles():
        raise RuntimeError("the workers rendered Kunden gesamt with other styles than the master "
                           "has")  # a programming error: customer_styles() builds a Book alike
    last_row, last_col = len(data.customers) + 1, xl_col_to_name(len(CUSTOMER_COLUMNS) - 1)
    part = master_rows.with_deflated_rows(sheet_xml, data.rendered, last_row, last_col)
    master_rows.write_streamed(template, dst, {
        _CUSTOMERS_PART: part,
        log_part: master_rows.with_rows_below(log_xml, messages, messages_row)})


def customer_columns(customers: pd.DataFrame) -> list[master_rows.MasterColumn]:
    """The columns of ``Kunden gesamt``; customer numbers like "10001" become numbers."""
    return [master_rows.MasterColumn(customers[key], numeric_ids=key == "customer_id")
            for key in CUSTOMER_COLUMNS]


def customer_styles() -> dict[int, int]:
    """Column -> style index of the ``Kunden gesamt`` cells, the same in every master."""
    kinds = Book(io.BytesIO(), "").kind
    return {col: kinds[_KINDS[key]].xf_index for col, key in enumerate(CUSTOMER_COLUMNS)
            if _KINDS.get(key) in kinds}


def _customer_layout(book: Book, ws, count: int) -> None:
    """Header, column formats and filter; the rows come from :mod:`master_rows`."""
    for col, key in enumerate(CUSTOMER_COLUMNS):
        ws.write_string(0, col, _title(key), book.head)
        kind = _KINDS.get(key)
        ws.set_column(col, col, _CUSTOMER_COLUMNS[key].width,
                      book.kind.get(kind) if kind else None)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(count, 1), len(CUSTOMER_COLUMNS) - 1)
    print_setup(ws, count, len(CUSTOMER_COLUMNS) - 1, repeat_header=True)


TERRITORY_KINDS = {"Umsatz Vorjahr": "eur", "Potenzial": "eur", "Umsatz gefährdet": "eur",
                   "Umsatzziel": "eur", "Lücke zum Ziel": "eur", "Gewichtete Pipeline": "eur",
                   "Besuchsbedarf": "num", "Besuchskapazität": "num", "Auslastung": "pct",
                   "Kontaktbedarf": "num", "Inside-Sales-FTE": "fte",
                   **{c: "int" for c in ("Kunden", *CODES, "ohne Segment")}}


def _territories(book: Book, ws, table: pd.DataFrame) -> None:
    frame = table.reset_index()
    end = book.table(ws, frame, list(frame.columns), headers=list(frame.columns),
                     kinds=TERRITORY_KINDS, total_last=True, filter_=False)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 26)
    ws.set_column(2, len(frame.columns) - 1, 12)
    ws.freeze_panes(1, 1)
    print_setup(ws, end - 1, len(frame.columns) - 1, repeat_header=True)


def _pipeline(book: Book, ws, measures: pd.DataFrame) -> None:
    end = book.table(ws, measures, MEASURE_SHEET_COLUMNS, kinds=_MEASURE_KINDS)
    for col, key in enumerate(MEASURE_SHEET_COLUMNS):
        ws.set_column(col, col, _MEASURE_COLUMNS[key].width)
    ws.freeze_panes(1, 0)
    print_setup(ws, end - 1, len(MEASURE_SHEET_COLUMNS) - 1, repeat_header=True)


def _duplicates(book: Book, ws, duplicates: pd.DataFrame) -> None:
    """One row per group of rows that are one customer (``duplicates.GROUP_COLUMNS``)."""
    from .duplicates import GROUP_HEADERS

    keys = list(duplicates.columns)
    kinds = {"group": "int", "similarity": "pct", "territory_count": "int", "rows": "int",
             "revenue": "eur", "customer_id": "text"}
    end = book.table(ws, duplicates, keys, 0, [GROUP_HEADERS.get(k, k) for k in keys], kinds)
    widths = {"group": 8, "reason": 22, "similarity": 11, "customer_id": 16, "name": 40,
              "place": 14, "territories": 30, "territory_count": 9, "sources": 36, "rows": 8,
              "revenue": 14, "codes": 20}
    for col, key in enumerate(keys):
        ws.set_column(col, col, widths.get(key, 13))
    ws.freeze_panes(1, 0)
    print_setup(ws, end - 1, len(keys) - 1, repeat_header=True)


MAX_MESSAGE_ROWS = 1_000_000  # below Excel's 1,048,576 rows with the log above them


def _log(book: Book, ws, data: MasterData) -> tuple[list[master_rows.MasterColumn], int]:
    """Everything of ``Importprotokoll`` but the rows of its last table, the messages (there
    can be a million): those are returned, as columns, with the (0-based) row they start in;
    :func:`master_rows.with_rows_below` renders them below what XlsxWriter wrote."""
    ws.write_string(0, 0, "Importprotokoll", book.title)
    ws.write_string(1, 0, f"Parameter: {data.parameters}")
    row = 2
    for text in data.parameter_errors:
        ws.write_string(row, 0, f"Parameterdatei: {text}")
        row += 1
    for text in data.dimension_errors:
        ws.write_string(row, 0, text)
        row += 1
    lacking = [(t.name, ", ".join(f for f, _n in t.missing)) for t in data.dimensions
               if t.missing and not t.combined]
    for name, files in lacking:
        ws.write_string(row, 0, f"Ohne Spalte „{name}“ (Kunden als „{NO_VALUE}“ im Blatt "
                                f"{DIMENSIONS_SHEET}): {files}"[:MAX_TEXT])
        row += 1
    kinds = {"Kunden": "int", "Maßnahmen": "int", "Fehler": "int", "Hinweise": "int",
             "Abweichende Parameter": "int", "Zuletzt gespeichert": "date", "Sekunden": "num"}
    log = data.log
    end = book.table(ws, log, list(log.columns), row + 1, list(log.columns), kinds)
    ws.set_row(row + 1, 30)  # wrapped headers: two lines
    messages = data.messages
    shown = f"alle {len(messages):,}".replace(",", ".")
    if len(messages) > MAX_MESSAGE_ROWS:
        shown = f"die ersten {MAX_MESSAGE_ROWS:,} von {len(messages):,}".replace(",", ".")
        messages = messages.iloc[:MAX_MESSAGE_ROWS]
    ws.write_string(end + 1, 0, "Parameter, die von den zentralen Werten abweichen", book.bold)
    deviations = data.deviations
    end = book.table(ws, deviations, list(deviations.columns), end + 2, list(deviations.columns),
                     {}, filter_=False)
    ws.write_string(end + 1, 0, f"Fehler und Hinweise ({shown}; Anzahl je Datei in den Spalten "
                                "Fehler und Hinweise oben)", book.bold)
    for col, key in enumerate(messages.columns):
        ws.write_string(end + 2, col, key, book.head)
    first_message = end + 3
    end = first_message + len(messages)
    widths = {"Datei": 30, "Status": 13, "Meldung": 60, "Gebiete": 18, "Gebiet aus": 22,
              "Zuletzt gespeichert": 12, "Veraltet": 18}
    for col, name in enumerate(log.columns):  # no header word broken across lines (bold)
        ws.set_column(col, col, widths.get(name, max(9, *map(len, name.split())) + 3))
    print_setup(ws, end - 1, len(log.columns) - 1)
    return [master_rows.MasterColumn(messages[key]) for key in messages.columns], first_message


DIMENSIONS_SHEET = "Kaufverhalten"
PAGE_ROWS = 34  # rows of 15 pt on a landscape A4 page with print_setup's margins
_DIMENSION_KINDS = {"Kunden": "int", "Umsatz": "eur", "Potenzial": "eur",
                    "Offenes Potenzial": "eur"}


def _dimensions(book: Book, ws, tables: Sequence[DimensionTable]) -> None:
    """Per dimension a block: value x code (customers, revenue, potential, open potential),
    each value's total and the grand total in bold, the files without the column below."""
    ws.write_string(0, 0, "Auswertung nach Kaufverhalten", book.title)
    ws.write_string(1, 0, "Je Merkmal: Kunden, Umsatz Vorjahr, Potenzial und offenes Potenzial "
                          "je Wert und Segment")
    row, page, breaks, width = 3, 0, [], 18
    for t in tables:
        frame = t.table.reset_index()
        # a block that would cross a page break starts on a new page (when it fits on one)
        if row > page and row + len(frame) + 4 > page + PAGE_ROWS:
            breaks.append(row)
            page = row
        width = max(width, len(t.name), *(len(str(v)) for v in frame.iloc[:, 0]))
        ws.write_string(row, 0, f"{t.name} x Segment", book.bold)
        frame.columns = [t.name, "Segment", *DIMENSION_COLUMNS]
        keys = list(frame.columns)
        for col, key in enumerate(keys):
            ws.write_string(row + 1, col, key, book.head)
        for i, values in enumerate(frame.itertuples(index=False, name=None), start=row + 2):
            total = values[1] == TOTAL
            for col, (key, value) in enumerate(zip(keys, values)):
                book.cell(ws, i, col, value, _DIMENSION_KINDS.get(key, "text"), total)
        row += len(frame) + 2
        if t.missing:
            files = ", ".join(f"{f} ({german.number(n)})" for f, n in t.missing)
            ws.write_string(row, 0, f"Ohne diese Spalte, als „{NO_VALUE}“ gezählt: "
                                    f"{files}"[:MAX_TEXT])
            row += 1
        row += 1
    ws.set_column(0, 0, min(width + 2, 50))
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 10)
    ws.set_column(3, len(DIMENSION_COLUMNS) + 1, 16)
    print_setup(ws, row - 2, len(DIMENSION_COLUMNS) + 1)
    if breaks:
        ws.set_h_pagebreaks(breaks)


TOP_TERRITORIES = 15
_TOP_COLUMNS = ("Kunden", "Umsatz Vorjahr", "Umsatz gefährdet", "Lücke zum Ziel",
                "Gewichtete Pipeline", "Inside-Sales-FTE")


def _overview(book: Book, ws, data: MasterData) -> None:
    """One landscape page: figures and tables on the left (columns A-G), the charts beside
    them (from column I)."""
    ws.write_string(0, 0, "Gesamtauswertung Kundensegmentierung", book.title)
    ws.write_string(1, 0, f"Stand {german.date(data.date)}; Parameter: {data.parameters}")
    for i, (label, value, kind) in enumerate(data.overview):
        ws.write_string(3 + i, 0, label)
        book.cell(ws, 3 + i, 1, value, kind)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 14)
    ws.set_column(7, 7, 2)
    row = 4 + len(data.overview)
    ws.write_string(row, 0, "Verteilung nach Segment", book.bold)
    by_code = data.distribution.by_code.reset_index(names="Segment")
    kinds = {"Kunden": "int", "Anteil Kunden": "pct", "Umsatz": "eur", "Anteil Umsatz": "pct",
             "Potenzial": "eur", "Offenes Potenzial": "eur"}
    top = row + 1
    row = book.table(ws, by_code, list(by_code.columns), top, list(by_code.columns), kinds,
                     total_last=True, filter_=False)
    ws.set_row(top, 30)  # wrapped headers
    chart = book.wb.add_chart({"type": "column"})
    for col, name in ((2, "Anteil Kunden"), (4, "Anteil Umsatz")):
        chart.add_series({"name": name,
                          "categories": ["Übersicht", top + 1, 0, top + len(CODES), 0],
                          "values": ["Übersicht", top + 1, col, top + len(CODES), col]})
    chart.set_title({"name": "Verteilung nach Segment", "name_font": {"size": 11}})
    chart.set_y_axis({"num_format": "0%"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 570, "height": 300})
    ws.insert_chart(2, 8, chart)

    row += 1
    matrix_top = row
    for title, matrix, kind in (("Portfolio-Matrix: Kunden", data.distribution.matrix_customers,
                                 "int"),
                                ("Portfolio-Matrix: Umsatz", data.distribution.matrix_revenue,
                                 "eur")):
        ws.write_string(row, 0, title, book.bold)
        frame = matrix.reset_index(names="ABC")
        row = book.table(ws, frame, list(frame.columns), row + 1, list(frame.columns),
                         {c: kind for c in POTENTIAL_CLASSES}, filter_=False) + 1
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    for col, name in enumerate(POTENTIAL_CLASSES, start=1):
        chart.add_series({"name": name, "categories": ["Übersicht", matrix_top + 2, 0,
                                                        matrix_top + 4, 0],
                          "values": ["Übersicht", matrix_top + 2, col, matrix_top + 4, col]})
    chart.set_title({"name": "Portfolio-Matrix (Kunden)", "name_font": {"size": 11}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 570, "height": 300})
    ws.insert_chart(18, 8, chart)

    territories = data.territories.drop(index=TOTAL, errors="ignore")
    biggest = territories.sort_values("Umsatz Vorjahr", ascending=False, kind="stable") \
        .head(TOP_TERRITORIES)
    count = len(biggest)
    last = row
    if count:
        title = "Gebiete im Überblick" if len(territories) <= TOP_TERRITORIES else \
            f"Die {TOP_TERRITORIES} umsatzstärksten von {len(territories)} Gebieten (alle: Blatt Gebiete)"
        ws.write_string(row, 0, title, book.bold)
        frame = biggest.reset_index()[["Gebiet", *_TOP_COLUMNS]]
        head = row + 1
        last = book.table(ws, frame, list(frame.columns), head, list(frame.columns),
                          TERRITORY_KINDS, filter_=False) - 1
        ws.set_row(head, 30)
        chart = book.wb.add_chart({"type": "bar"})
        for name in ("Umsatz Vorjahr", "Lücke zum Ziel", "Gewichtete Pipeline"):
            col = list(frame.columns).index(name)
            chart.add_series({"name": name, "categories": ["Übersicht", head + 1, 0,
                                                            head + count, 0],
                              "values": ["Übersicht", head + 1, col, head + count, col]})
        chart.set_title({"name": "Umsatz, Lücke und Pipeline je Gebiet",
                         "name_font": {"size": 11}})
        chart.set_x_axis({"num_format": '#,##0 "€"'})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 570, "height": max(300, 20 * (last - 33))})
        ws.insert_chart(34, 8, chart)
    print_setup(ws, max(last, 50), 17, one_page=True)


def print_setup(ws, last_row: int, last_col: int, repeat_header: bool = False,
                one_page: bool = False) -> None:
    """Landscape A4, print area over the used cells, fitted to one page wide (``one_page``:
    one page in all), header row repeated on every page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.print_area(0, 0, max(last_row, 0), max(last_col, 0))
    ws.fit_to_pages(1, 1 if one_page else 0)
    if repeat_header:
        ws.repeat_rows(0)
