"""The column catalogue: every field of the customer and measure tables (and the columns the
consolidation adds) with its canonical key, the German header users see, its kind, the Excel
number format its cells are shown with and its column width.

The workbook builder, the sheet writer and the master writer take formats and widths from here.
"""

from __future__ import annotations

from dataclasses import dataclass


# Excel number format codes of the figures this project writes (shown the German way by Excel)
EUR_FORMAT = '#,##0 "€"'
PERCENT_FORMAT = "0.0 %"
TREND_FORMAT = "+0.0 %;-0.0 %;0.0 %"
PROBABILITY_FORMAT = "0 %"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "dd.mm.yyyy"

# kinds of column: what its cells hold
ID, TEXT, AMOUNT, PERCENT, NUMBER, DATE = "id", "text", "amount", "percent", "number", "date"


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    required: bool = False
    numeric: bool = False
    number_format: str | None = None  # how its numbers are shown (None: as Excel's General)
    kind: str = TEXT
    width: float = 13  # Excel's units: characters of the default font


INPUT_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "Kunden-Nr", required=True, kind=ID, width=11),
    Field("name", "Kunde", required=True, width=42),
    Field("revenue", "Umsatz Vorjahr", required=True, numeric=True, number_format=EUR_FORMAT,
          kind=AMOUNT, width=15),
    Field("potential", "Potenzial", required=True, numeric=True, number_format=EUR_FORMAT,
          kind=AMOUNT, width=15),
    Field("revenue_prev", "Umsatz Vorvorjahr", numeric=True, number_format=EUR_FORMAT,
          kind=AMOUNT, width=15),
    Field("revenue_ytd", "Umsatz lfd. Jahr", numeric=True, number_format=EUR_FORMAT,
          kind=AMOUNT, width=15),
    Field("loyalty", "Verbundenheit", numeric=True, number_format=COUNT_FORMAT, kind=NUMBER),
    Field("territory", "Gebiet", width=10),
)

# optional inputs of further analyses (read when present, not part of the segmentation's inputs):
# orders a year and individual discount for cost to serve and pricing (core.pricing)
EXTRA_INPUT_FIELDS: tuple[Field, ...] = (
    Field("orders", "Aufträge/Jahr", numeric=True),
    Field("discount", "Rabatt", numeric=True),
    # a rep's deliberate choice of segment for a customer: wins over the computed code
    # downstream (core.segment)
    Field("code_override", "Segment manuell"),
    # where the customer is: tells companies of one name in different places apart (the
    # consolidation's duplicate search, core.identity)
    Field("postcode", "PLZ"),
    Field("city", "Ort"),
)

OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("trend", "Umsatzentwicklung", number_format=TREND_FORMAT, kind=PERCENT, width=17),
    Field("abc", "ABC", width=6),
    Field("share", "Ausschöpfung", number_format=PERCENT_FORMAT, kind=PERCENT),
    Field("potential_class", "Potenzialklasse", width=15),
    Field("code", "Segment"),
    Field("channel", "Kanal", width=34),
    Field("visits", "Besuche/Jahr", kind=NUMBER, width=12),  # whole visits: General shows them
    Field("risk", "Risiko", width=30),
    Field("notes", "Prüfhinweis", width=60),
)

# the measures table (pipeline): what reps enter per customer measure, what this tool adds
MEASURE_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "Kunden-Nr", required=True, kind=ID, width=11),
    Field("measure", "Maßnahme", required=True, width=40),
    Field("status", "Status", required=True, width=22),
    Field("phase", "Phase"),
    Field("expected_revenue", "Erwarteter Umsatz", required=True, numeric=True,
          number_format=EUR_FORMAT, kind=AMOUNT, width=15),
    Field("probability", "Wahrscheinlichkeit manuell", numeric=True,
          number_format=PROBABILITY_FORMAT, kind=PERCENT),
    Field("next_step", "Nächster Schritt", width=34),
    Field("due_date", "Fällig am", number_format=DATE_FORMAT, kind=DATE, width=12),
    Field("last_activity", "Letzte Aktivität", number_format=DATE_FORMAT, kind=DATE, width=14),
)
MEASURE_OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("probability", "Wahrscheinlichkeit", number_format=PROBABILITY_FORMAT, kind=PERCENT),
    Field("weighted", "Gewichteter Umsatz", number_format=EUR_FORMAT, kind=AMOUNT, width=15),
    Field("code", "Segment", width=12),
    Field("overdue", "Überfällig", width=22),
    Field("stale", "Veraltet", width=26),
    Field("notes", "Prüfhinweis", width=50),
)
# the workbook's measures table shows the customer's name beside the number (a formula)
MEASURE_NAME_FIELD = Field("customer_name", "Kunde", width=34)
# the columns a consolidation adds to the customers and measures of the territory files
CONSOLIDATION_FIELDS: tuple[Field, ...] = (
    Field("territory", "Gebiet", width=14),
    Field("source", "Datei", width=26),
    Field("row", "Zeile", number_format="0", kind=NUMBER, width=7),
    Field("reason", "Grund", width=18),
    Field("key", "Schlüssel", width=34),
)
# output columns that only lists with three or more revenue years get (core.history)
HISTORY_OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("growth", "Ø Wachstum p. a.", number_format="0.0%"),
    Field("declining", "Rückläufig seit (Jahren)", number_format="0"),
)
HISTORY_PREFIX = "revenue_y"  # keys of the older revenue years: revenue_y2021 = "Umsatz 2021"
FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS
                                   + OUTPUT_FIELDS + HISTORY_OUTPUT_FIELDS}
NUMERIC_INPUTS: tuple[str, ...] = tuple(f.key for f in INPUT_FIELDS if f.numeric)
INPUT_KEYS: tuple[str, ...] = tuple(f.key for f in INPUT_FIELDS)
OUTPUT_KEYS: tuple[str, ...] = tuple(f.key for f in OUTPUT_FIELDS)


def header(key: str) -> str:
    """German header of a field key (the key itself for fields of other tables)."""
    field = FIELD_BY_KEY.get(key)
    if field is None and key.startswith(HISTORY_PREFIX) and key[len(HISTORY_PREFIX):].isdigit():
        return f"Umsatz {key[len(HISTORY_PREFIX):]}"
    return field.header if field else key
